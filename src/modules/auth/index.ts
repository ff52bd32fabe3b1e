import { Elysia } from "elysia";
import { ErrorBody } from "../../lib/schemas";
import type { Database } from "../../store/db";
import type { AuthGuard } from "../access/guard";
import { listTeams } from "../teams/repository";
import { LoginBody, LoginResponse, MeResponse } from "./model";
import type { AuthService } from "./service";

export function authRoutes(guard: AuthGuard, auth: AuthService, store: Database) {
  return new Elysia({ prefix: "/v1/auth" })
    .use(guard)
    .post("/login", ({ body }) => auth.login(body.email, body.password), {
      body: LoginBody,
      response: { 200: LoginResponse, 400: ErrorBody, 401: ErrorBody },
      detail: { tags: ["auth"], summary: "Sign in with email and password; returns a JWT" },
    })
    .get(
      "/me",
      async ({ caller }) => {
        if (caller.type === "key") {
          const { keyId: id, kind, teamId: team_id, appId: app_id, permissions } = caller;
          return { type: "key" as const, key: { id, kind, team_id, app_id, permissions: [...permissions] } };
        }
        const teams = await listTeams(store, [...caller.roles.keys()]);
        return {
          type: "user" as const,
          user: { id: caller.userId, email: caller.email, name: caller.name },
          teams: teams.map((t) => ({
            id: t.id,
            name: t.name,
            slug: t.slug,
            role: caller.roles.get(t.id) ?? "member",
          })),
        };
      },
      {
        signedIn: true,
        response: { 200: MeResponse, 401: ErrorBody },
        detail: {
          tags: ["auth"],
          summary: "Who the credentials belong to: a user and their teams, or a key",
        },
      },
    );
}
