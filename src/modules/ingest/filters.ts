import type { ValidEvent } from "../pipeline/event";
import type { ProjectFilters } from "../projects/model";
import type { ProjectView } from "../projects/service";

/** The filter ids that become the `filtered` outcome's reason. */
export type FilterId = "level" | "environment" | "app-version" | "message" | "dev-data";

/** `*` any run of characters, `?` one character, everything else literal; whole-string match. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replaceAll("*", ".*")
    .replaceAll("?", ".");
  return new RegExp(`^${body}$`, "s");
}

/** A project's inbound filters, compiled once: returns the id of the first filter an event hits. */
export function compileFilters(filters: ProjectFilters): (event: ValidEvent) => FilterId | null {
  const levels = new Set<string>(filters.levels);
  const environments = new Set(filters.environments);
  const versions = filters.app_versions.map(globToRegExp);
  const messages = filters.messages.map(globToRegExp);
  const empty =
    levels.size + environments.size + versions.length + messages.length === 0 && !filters.dev_data;
  if (empty) return () => null;
  return (event) => {
    if (levels.has(event.level)) return "level";
    if (environments.has(event.environment)) return "environment";
    if (event.appVersion !== null && versions.some((v) => v.test(event.appVersion as string)))
      return "app-version";
    if (messages.some((m) => m.test(event.message))) return "message";
    if (filters.dev_data && event.isDev) return "dev-data";
    return null;
  };
}

/** Compiled per cached project view: a change to a project's filters makes a new view. */
const compiled = new WeakMap<ProjectView, (event: ValidEvent) => FilterId | null>();

/** The project's filters, compiled once per cached view of it. */
export function filterOf(project: ProjectView): (event: ValidEvent) => FilterId | null {
  let filter = compiled.get(project);
  if (!filter) {
    filter = compileFilters(project.filters);
    compiled.set(project, filter);
  }
  return filter;
}
