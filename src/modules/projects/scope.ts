import { uuidParam } from "../../lib/ids";
import type { Store } from "../../store/db";
import { type Caller, teamsWith } from "../access/caller";
import type { Permission } from "../access/permissions";
import { projectsOfTeams } from "./repository";

/**
 * The live projects of the teams where the caller holds `permission`, narrowed by the query's
 * `team_id` and `project_id` (Owlmetry's team-wide lists: a team or project the caller cannot
 * see narrows to nothing, never a 404).
 */
export async function projectsInScope(
  store: Store,
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
