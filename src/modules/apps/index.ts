import { Elysia, t } from "elysia";
import { publicBase } from "../../lib/dsn";
import { authErrors, Deleted, IdParams } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import { App, CreateAppBody, CreatedApp, ListAppsQuery, PatchAppBody } from "./model";
import type { AppsService } from "./service";

/** `publicUrl`: ROOST_PUBLIC_URL, the base of the DSNs shown; else the request's own address. */
export function appsRoutes(guard: AuthGuard, apps: AppsService, publicUrl: string | undefined) {
  const detail = (summary: string) => ({ tags: ["apps"], summary });
  return new Elysia({ prefix: "/v1/apps" })
    .use(guard)
    .get("", async ({ caller, query }) => ({ apps: await apps.list(caller, query) }), {
      permission: "org:read",
      query: ListAppsQuery,
      response: { 200: t.Object({ apps: t.Array(App) }), ...authErrors },
      detail: detail("Apps of the caller's teams (filter with project_id)"),
    })
    .get("/:id", ({ caller, params }) => apps.get(caller, params.id), {
      permission: "org:read",
      params: IdParams,
      response: { 200: App, ...authErrors },
      detail: detail("One app"),
    })
    .post(
      "",
      async ({ caller, body, request, status }) =>
        status(201, await apps.create(caller, body, publicBase(publicUrl, request))),
      {
        permission: "org:write",
        body: CreateAppBody,
        response: { 201: CreatedApp, ...authErrors },
        detail: detail(
          "Create an app and its client key (with its Sentry DSN); the key's secret is in this response only",
        ),
      },
    )
    .patch("/:id", ({ caller, params, body }) => apps.update(caller, params.id, body), {
      permission: "org:write",
      params: IdParams,
      body: PatchAppBody,
      response: { 200: App, ...authErrors },
      detail: detail("Rename an app or change its bundle_id"),
    })
    .delete("/:id", ({ caller, params }) => apps.remove(caller, params.id), {
      permission: "org:admin",
      params: IdParams,
      response: { 200: Deleted, ...authErrors },
      detail: detail("Delete an app: its events disappear and its keys stop working"),
    });
}
