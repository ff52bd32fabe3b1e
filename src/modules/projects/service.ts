import { conflict, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { firstFreeSlug, slugify } from "../../lib/slug";
import { isoRequired } from "../../lib/time";
import type { Database, Tx } from "../../store/db";
import { authorize, type Caller, defaultTeam, teamsWith } from "../access/caller";
import { findTeam } from "../teams/repository";
import {
  type CreateProjectBody,
  DEFAULT_FILTERS,
  DEFAULT_QUOTA,
  type PatchProjectBody,
  type Project,
  type ProjectFilters,
  type ProjectQuota,
} from "./model";
import {
  findProject,
  insertProject,
  listProjects,
  liveSlugTaken,
  type ProjectRow,
  type ProjectValues,
  softDeleteProject,
  updateProject,
} from "./repository";

export type ProjectView = typeof Project.static;
export const projectNotFound = () => notFound("Project not found");

export function presentProject(row: ProjectRow): ProjectView {
  return {
    id: row.id,
    team_id: row.team_id,
    name: row.name,
    slug: row.slug,
    retention_days: row.retention_days,
    status: row.status,
    filters: { ...DEFAULT_FILTERS, ...(JSON.parse(row.filters) as Partial<ProjectFilters>) },
    quota: { ...DEFAULT_QUOTA, ...(JSON.parse(row.quota) as Partial<ProjectQuota>) },
    created_at: isoRequired(row.created_at),
    updated_at: isoRequired(row.updated_at),
    sentry_id: row.sentry_id,
  };
}

/** Creates a project inside the caller's transaction; the slug defaults to one from the name. */
export async function createProjectIn(tx: Tx, teamId: string, body: CreateProjectBody): Promise<ProjectRow> {
  let slug = body.slug;
  if (slug && (await liveSlugTaken(tx, teamId, slug, null))) {
    throw conflict(`A project with slug '${slug}' already exists in this team`);
  }
  if (!slug) {
    const taken = new Set<string>();
    for (const p of await listProjects(tx, [teamId])) taken.add(p.slug);
    slug = firstFreeSlug(slugify(body.name, "project"), (s) => taken.has(s));
  }
  const id = newId();
  await insertProject(tx, id, teamId, {
    name: body.name,
    slug,
    retentionDays: body.retention_days ?? 90,
    status: body.status ?? "active",
    filters: { ...DEFAULT_FILTERS, ...body.filters },
    quota: { ...DEFAULT_QUOTA, ...body.quota },
  });
  const row = await findProject(tx, id);
  if (!row) throw new Error(`project ${id} vanished inside its own transaction`);
  return row;
}

export class ProjectsService {
  constructor(
    private readonly store: Database,
    /** Called after a change that cached lookups (keys, ingest contexts) must see. */
    private readonly changed: () => void,
  ) {}

  async list(caller: Caller, query: { team_id?: string }): Promise<ProjectView[]> {
    let teams = teamsWith(caller, "org:read");
    if (query.team_id) teams = teams.filter((id) => id === query.team_id);
    return (await listProjects(this.store, teams)).map(presentProject);
  }

  async get(caller: Caller, id: string): Promise<ProjectView> {
    const row = await findProject(this.store, id);
    if (!row) throw projectNotFound();
    authorize(caller, row.team_id, "org:read", projectNotFound);
    return presentProject(row);
  }

  async create(caller: Caller, body: CreateProjectBody): Promise<ProjectView> {
    const teamId = body.team_id ?? defaultTeam(caller);
    const row = await this.store.write(async (tx) => {
      const hidden = () => notFound("Team not found");
      if (!(await findTeam(tx, teamId))) throw hidden();
      authorize(caller, teamId, "org:write", hidden);
      return createProjectIn(tx, teamId, body);
    });
    return presentProject(row);
  }

  async update(caller: Caller, id: string, body: PatchProjectBody): Promise<ProjectView> {
    const row = await this.store.write(async (tx) => {
      const current = await findProject(tx, id);
      if (!current) throw projectNotFound();
      authorize(caller, current.team_id, "org:write", projectNotFound);
      const now = presentProject(current);
      if (body.slug && body.slug !== now.slug && (await liveSlugTaken(tx, now.team_id, body.slug, id))) {
        throw conflict(`A project with slug '${body.slug}' already exists in this team`);
      }
      const next: ProjectValues = {
        name: body.name ?? now.name,
        slug: body.slug ?? now.slug,
        retentionDays: body.retention_days ?? now.retention_days,
        status: body.status ?? now.status,
        filters: { ...now.filters, ...body.filters },
        quota: { ...now.quota, ...body.quota },
      };
      await updateProject(tx, id, next);
      return findProject(tx, id);
    });
    this.changed();
    if (!row) throw projectNotFound();
    return presentProject(row);
  }

  /** Soft delete: the project, its apps and their events vanish from every query at once. */
  async remove(caller: Caller, id: string): Promise<{ id: string; deleted: true }> {
    await this.store.write(async (tx) => {
      const current = await findProject(tx, id);
      if (!current) throw projectNotFound();
      authorize(caller, current.team_id, "org:admin", projectNotFound);
      await softDeleteProject(tx, id);
    });
    this.changed();
    return { id, deleted: true };
  }
}
