import { Elysia, t } from "elysia";
import { authErrors, IdParams } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import { CreatedKey, CreateKeyBody, Key, ListKeysQuery } from "./model";
import type { KeysService } from "./service";

export function keysRoutes(guard: AuthGuard, keys: KeysService) {
  const detail = (summary: string) => ({ tags: ["keys"], summary });
  return new Elysia({ prefix: "/v1/keys" })
    .use(guard)
    .get("", async ({ caller, query }) => ({ keys: await keys.list(caller, query) }), {
      permission: "org:admin",
      query: ListKeysQuery,
      response: { 200: t.Object({ keys: t.Array(Key) }), ...authErrors },
      detail: detail("API keys (never their secrets)"),
    })
    .post("", async ({ caller, body, status }) => status(201, await keys.create(caller, body)), {
      permission: "org:admin",
      body: CreateKeyBody,
      response: { 201: CreatedKey, ...authErrors },
      detail: detail("Create a key; its secret is in this response only"),
    })
    .delete("/:id", ({ caller, params }) => keys.revoke(caller, params.id), {
      permission: "org:admin",
      params: IdParams,
      response: { 200: Key, ...authErrors },
      detail: detail("Revoke a key; it stops working at once"),
    });
}
