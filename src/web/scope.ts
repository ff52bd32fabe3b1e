import type { Me, Project } from "./api";

/** What every page is shown within: the signed-in user, their team and (optionally) one project. */
export interface Scope {
  me: Me;
  teamId: string;
  teamSlug: string;
  /** Empty: every project of the team. */
  projectId: string;
  projects: Project[];
  reloadProjects: () => void;
}

/** The projects a page covers: the chosen one, or every project of the team. */
export const projectsInView = (scope: Scope) =>
  scope.projects.filter((p) => !scope.projectId || p.id === scope.projectId);
