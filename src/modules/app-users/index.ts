import { Elysia, t } from "elysia";
import { authErrors, IdParams } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import { AppUser, AppUserList, AppUserQuery } from "./model";
import type { AppUsersService } from "./service";

/** Owlmetry's app-users routes: a project's users, sealed and hot, with their properties. */
export function appUsersRoutes(guard: AuthGuard, users: AppUsersService) {
  return new Elysia({ prefix: "/v1" })
    .use(guard)
    .get("/app-users", ({ caller, query }) => users.list(caller, query), {
      permission: "events:read",
      query: AppUserQuery,
      response: { 200: AppUserList, ...authErrors },
      detail: {
        tags: ["app users"],
        summary:
          "The users of the caller's apps (or one team, project or app), last seen first, with their properties",
      },
    })
    .get("/app-users/:id", ({ caller, params }) => users.get(caller, params.id), {
      permission: "events:read",
      params: IdParams,
      response: { 200: AppUser, ...authErrors },
      detail: { tags: ["app users"], summary: "One user by the id the listing gives" },
    })
    .get("/apps/:id/users", ({ caller, params, query }) => users.listOfApp(caller, params.id, query), {
      permission: "events:read",
      params: IdParams,
      query: t.Omit(AppUserQuery, ["team_id", "project_id", "app_id", "since", "until"]),
      response: { 200: AppUserList, ...authErrors },
      detail: { tags: ["app users"], summary: "The users seen in one app" },
    });
}
