import { Elysia, t } from "elysia";
import { authErrors, ErrorBody, IdParams } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import { AddMemberBody, CreateTeamBody, Member, Team } from "./model";
import type { TeamsService } from "./service";

export function teamsRoutes(guard: AuthGuard, teams: TeamsService) {
  const detail = (summary: string) => ({ tags: ["teams"], summary });
  return new Elysia({ prefix: "/v1/teams" })
    .use(guard)
    .get("", async ({ caller }) => ({ teams: await teams.list(caller) }), {
      permission: "org:read",
      response: { 200: t.Object({ teams: t.Array(Team) }), ...authErrors },
      detail: detail("Teams the caller belongs to"),
    })
    .get("/:id", ({ caller, params }) => teams.get(caller, params.id), {
      permission: "org:read",
      params: IdParams,
      response: { 200: Team, ...authErrors },
      detail: detail("One team"),
    })
    .post("", async ({ caller, body, status }) => status(201, await teams.create(caller, body)), {
      userSession: true,
      body: CreateTeamBody,
      response: { 201: Team, ...authErrors, 409: ErrorBody },
      detail: detail("Create a team; the signed-in user becomes its owner"),
    })
    .post(
      "/:id/members",
      async ({ caller, params, body, status }) => status(201, await teams.addMember(caller, params.id, body)),
      {
        permission: "org:admin",
        params: IdParams,
        body: AddMemberBody,
        response: { 201: Member, ...authErrors, 409: ErrorBody },
        detail: detail("Add a member (the user is created when new, and then needs a password)"),
      },
    );
}
