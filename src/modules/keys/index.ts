import { Elysia, t } from "elysia";
import { publicBase } from "../../lib/dsn";
import { authErrors, IdParams } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import { CreatedKey, CreateKeyBody, Key, ListKeysQuery } from "./model";
import type { KeysService } from "./service";

/** `publicUrl`: ROOST_PUBLIC_URL, the base of the DSNs shown; else the request's own address. */
export function keysRoutes(guard: AuthGuard, keys: KeysService, publicUrl: string | undefined) {
  const detail = (summary: string) => ({ tags: ["keys"], summary });
  return new Elysia({ prefix: "/v1/keys" })
    .use(guard)
    .get("", async ({ caller, query }) => ({ keys: await keys.list(caller, query) }), {
      permission: "org:admin",
      query: ListKeysQuery,
      response: { 200: t.Object({ keys: t.Array(Key) }), ...authErrors },
      detail: detail("API keys (never their secrets)"),
    })
    .post(
      "",
      async ({ caller, body, request, status }) =>
        status(201, await keys.create(caller, body, publicBase(publicUrl, request))),
      {
        permission: "org:admin",
        body: CreateKeyBody,
        response: { 201: CreatedKey, ...authErrors },
        detail: detail(
          "Create a key (a client key with its Sentry DSN); its secret is in this response only",
        ),
      },
    )
    .delete("/:id", ({ caller, params }) => keys.revoke(caller, params.id), {
      permission: "org:admin",
      params: IdParams,
      response: { 200: Key, ...authErrors },
      detail: detail("Revoke a key; it stops working at once"),
    });
}
