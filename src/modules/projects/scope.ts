import { notFound } from "../../lib/errors";
import { isUuid, uuidParam } from "../../lib/ids";
import type { Database } from "../../store/db";
import { authorize, type Caller, teamsWith } from "../access/caller";
import type { Permission } from "../access/permissions";
import { findProject, projectsOfTeams } from "./repository";

/**
 * A live project addressed by a path, when the caller holds `permission` in its team; else
 * Owlmetry's 404 `Project not found` (the same whether it does not exist or is another team's).
 */
export async function projectFor(store: Database, caller: Caller, projectId: string, permission: Permission) {
  const projectNotFound = () => notFound("Project not found");
  const project = isUuid(projectId) ? await findProject(store, projectId.toLowerCase()) : null;
  if (!project) throw projectNotFound();
  authorize(caller, project.team_id, permission, projectNotFound);
  return project;
}

/**
 * The live projects of the teams where the caller holds `permission`, narrowed by the query's
 * `team_id` and `project_id` (Owlmetry's team-wide lists: a team or project the caller cannot
 * see narrows to nothing, never a 404).
 */
export async function projectsInScope(
  store: Database,
  caller: Caller,
  permission: Permission,
  q: { team_id?: string; project_id?: string },
): Promise<string[]> {
  const teamId = q.team_id ? uuidParam("team_id", q.team_id) : undefined;
  const projectId = q.project_id ? uuidParam("project_id", q.project_id) : undefined;
  const teams = teamsWith(caller, permission).filter((t) => teamId === undefined || t === teamId);
  if (teams.length === 0) return [];
  const projects = await projectsOfTeams(store, teams);
  return projects.filter((p) => projectId === undefined || p === projectId);
}
