import { isUuid } from "../../lib/ids";
import type { Tx } from "../../store/db";
import type { ProjectFilters, ProjectQuota, ProjectStatus } from "./model";

export interface ProjectRow {
  id: string;
  team_id: string;
  name: string;
  slug: string;
  retention_days: number;
  status: ProjectStatus;
  filters: string;
  quota: string;
  created_at: Date;
  updated_at: Date;
  sentry_id: number;
}

const COLUMNS = `id::VARCHAR AS id, team_id::VARCHAR AS team_id, name, slug, retention_days, status,
  filters::VARCHAR AS filters, quota::VARCHAR AS quota, created_at, updated_at, sentry_id`;

export interface ProjectValues {
  name: string;
  slug: string;
  retentionDays: number;
  status: ProjectStatus;
  filters: ProjectFilters;
  quota: ProjectQuota;
}

export async function insertProject(tx: Tx, id: string, teamId: string, p: ProjectValues): Promise<void> {
  await tx.run(
    // The next Sentry project number: writes are serialised, so no two projects get the same one.
    `INSERT INTO projects (id, team_id, name, slug, retention_days, status, filters, quota, sentry_id)
     SELECT ?, ?, ?, ?, ?, ?, ?::JSON, ?::JSON, coalesce(max(sentry_id), 0) + 1 FROM projects`,
    [id, teamId, p.name, p.slug, p.retentionDays, p.status, p.filters, p.quota],
  );
}

export async function updateProject(tx: Tx, id: string, p: ProjectValues): Promise<void> {
  await tx.run(
    `UPDATE projects SET name = ?, slug = ?, retention_days = ?, status = ?, filters = ?::JSON, quota = ?::JSON,
       updated_at = now()
     WHERE id = ?::UUID`,
    [p.name, p.slug, p.retentionDays, p.status, p.filters, p.quota, id],
  );
}

export async function softDeleteProject(tx: Tx, id: string): Promise<void> {
  await tx.run("UPDATE projects SET deleted_at = now(), updated_at = now() WHERE id = ?::UUID", [id]);
}

/** A live (not deleted) project. */
export async function findProject(db: Tx, id: string): Promise<ProjectRow | null> {
  if (!isUuid(id)) return null;
  const rows = await db.all<ProjectRow>(
    `SELECT ${COLUMNS} FROM projects WHERE id = ?::UUID AND deleted_at IS NULL`,
    [id],
  );
  return rows[0] ?? null;
}

/** A live project by its Sentry number (the project of a DSN). */
export async function findProjectBySentryId(db: Tx, sentryId: number): Promise<ProjectRow | null> {
  const rows = await db.all<ProjectRow>(
    `SELECT ${COLUMNS} FROM projects WHERE sentry_id = ? AND deleted_at IS NULL`,
    [sentryId],
  );
  return rows[0] ?? null;
}

export async function listProjects(db: Tx, teamIds: readonly string[]): Promise<ProjectRow[]> {
  if (teamIds.length === 0) return [];
  return db.all<ProjectRow>(
    `SELECT ${COLUMNS} FROM projects
     WHERE list_contains(?::JSON::UUID[], team_id) AND deleted_at IS NULL
     ORDER BY created_at, id`,
    [teamIds],
  );
}

export async function liveSlugTaken(
  db: Tx,
  teamId: string,
  slug: string,
  exceptId: string | null,
): Promise<boolean> {
  const rows = await db.all(
    `SELECT 1 FROM projects WHERE team_id = ?::UUID AND slug = ? AND deleted_at IS NULL
       AND (?::UUID IS NULL OR id <> ?::UUID)`,
    [teamId, slug, exceptId, exceptId],
  );
  return rows.length > 0;
}

/** The live projects of some teams. */
export async function projectsOfTeams(tx: Tx, teamIds: readonly string[]): Promise<string[]> {
  const rows = await tx.all<{ id: string }>(
    "SELECT id::VARCHAR AS id FROM projects WHERE deleted_at IS NULL AND list_contains(?::JSON::UUID[], team_id)",
    [teamIds],
  );
  return rows.map((r) => r.id);
}
