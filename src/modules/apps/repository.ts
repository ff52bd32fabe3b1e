import { isUuid } from "../../lib/ids";
import type { Tx } from "../../store/db";
import type { Platform } from "./model";

export interface AppRow {
  id: string;
  project_id: string;
  team_id: string;
  name: string;
  platform: Platform;
  bundle_id: string | null;
  created_at: Date;
  updated_at: Date;
  /** Its project's number in Sentry DSNs. */
  sentry_id: number;
}

/** Apps joined to their project, so every read knows the team and hides deleted projects' apps. */
const SELECT = `SELECT a.id::VARCHAR AS id, a.project_id::VARCHAR AS project_id, p.team_id::VARCHAR AS team_id,
  a.name, a.platform, a.bundle_id, a.created_at, a.updated_at, p.sentry_id
  FROM apps a JOIN projects p ON p.id = a.project_id
  WHERE a.deleted_at IS NULL AND p.deleted_at IS NULL`;

export interface AppValues {
  name: string;
  platform: Platform;
  bundleId: string | null;
}

export async function insertApp(tx: Tx, id: string, projectId: string, a: AppValues): Promise<void> {
  await tx.run("INSERT INTO apps (id, project_id, name, platform, bundle_id) VALUES (?, ?, ?, ?, ?)", [
    id,
    projectId,
    a.name,
    a.platform,
    a.bundleId,
  ]);
}

export async function updateApp(tx: Tx, id: string, a: AppValues): Promise<void> {
  await tx.run(
    "UPDATE apps SET name = ?, platform = ?, bundle_id = ?, updated_at = now() WHERE id = ?::UUID",
    [a.name, a.platform, a.bundleId, id],
  );
}

export async function softDeleteApp(tx: Tx, id: string): Promise<void> {
  await tx.run("UPDATE apps SET deleted_at = now(), updated_at = now() WHERE id = ?::UUID", [id]);
}

export async function findApp(db: Tx, id: string): Promise<AppRow | null> {
  if (!isUuid(id)) return null;
  const rows = await db.all<AppRow>(`${SELECT} AND a.id = ?::UUID`, [id]);
  return rows[0] ?? null;
}

/** Live apps of the given teams, optionally of one project. */
export async function listApps(
  db: Tx,
  teamIds: readonly string[],
  projectId: string | null,
): Promise<AppRow[]> {
  if (teamIds.length === 0) return [];
  return db.all<AppRow>(
    `${SELECT} AND list_contains(?::JSON::UUID[], p.team_id) AND (?::UUID IS NULL OR a.project_id = ?::UUID)
     ORDER BY a.created_at, a.id`,
    [teamIds, projectId, projectId],
  );
}
