import { Elysia, t } from "elysia";
import { authErrors, Deleted, ErrorBody, IdParams } from "../../lib/schemas";
import type { AuthGuard } from "../access/guard";
import { CreateProjectBody, ListProjectsQuery, PatchProjectBody, Project } from "./model";
import type { ProjectsService } from "./service";

export function projectsRoutes(guard: AuthGuard, projects: ProjectsService) {
  const detail = (summary: string) => ({ tags: ["projects"], summary });
  return new Elysia({ prefix: "/v1/projects" })
    .use(guard)
    .get("", async ({ caller, query }) => ({ projects: await projects.list(caller, query) }), {
      permission: "org:read",
      query: ListProjectsQuery,
      response: { 200: t.Object({ projects: t.Array(Project) }), ...authErrors },
      detail: detail("Projects of the caller's teams (filter with team_id)"),
    })
    .get("/:id", ({ caller, params }) => projects.get(caller, params.id), {
      permission: "org:read",
      params: IdParams,
      response: { 200: Project, ...authErrors },
      detail: detail("One project"),
    })
    .post("", async ({ caller, body, status }) => status(201, await projects.create(caller, body)), {
      permission: "org:write",
      body: CreateProjectBody,
      response: { 201: Project, ...authErrors, 409: ErrorBody },
      detail: detail("Create a project"),
    })
    .patch("/:id", ({ caller, params, body }) => projects.update(caller, params.id, body), {
      permission: "org:write",
      params: IdParams,
      body: PatchProjectBody,
      response: { 200: Project, ...authErrors, 409: ErrorBody },
      detail: detail("Change a project's name, slug, retention, status, filters or quota"),
    })
    .delete("/:id", ({ caller, params }) => projects.remove(caller, params.id), {
      permission: "org:admin",
      params: IdParams,
      response: { 200: Deleted, ...authErrors },
      detail: detail("Delete a project: its apps and events disappear from every query at once"),
    });
}
