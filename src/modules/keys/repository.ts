import { isUuid } from "../../lib/ids";
import type { Tx } from "../../store/db";
import type { KeyKind, Permission } from "../access/permissions";

export interface KeyRow {
  id: string;
  kind: KeyKind;
  team_id: string;
  app_id: string | null;
  name: string;
  prefix: string;
  permissions: Permission[];
  events_per_minute: number | null;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = `k.id::VARCHAR AS id, k.kind, k.team_id::VARCHAR AS team_id, k.app_id::VARCHAR AS app_id, k.name,
  k.prefix, k.permissions, k.events_per_minute, k.created_at, k.expires_at, k.last_used_at, k.revoked_at`;

export interface NewKey {
  id: string;
  kind: KeyKind;
  teamId: string;
  appId: string | null;
  name: string;
  secretHash: string;
  prefix: string;
  permissions: readonly Permission[];
  eventsPerMinute: number | null;
  createdBy: string | null;
  expiresAt: Date | null;
}

export async function insertKey(tx: Tx, key: NewKey): Promise<void> {
  await tx.run(
    `INSERT INTO api_keys (id, kind, team_id, app_id, name, secret_hash, prefix, permissions, events_per_minute, created_by, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?::JSON::VARCHAR[], ?, ?, ?)`,
    [
      key.id,
      key.kind,
      key.teamId,
      key.appId,
      key.name,
      key.secretHash,
      key.prefix,
      key.permissions,
      key.eventsPerMinute,
      key.createdBy,
      key.expiresAt,
    ],
  );
}

/** A key by its secret's hash, with whether the app it is scoped to still exists. */
export async function findKeyByHash(db: Tx, hash: string): Promise<(KeyRow & { app_live: boolean }) | null> {
  const rows = await db.all<KeyRow & { app_live: boolean }>(
    `SELECT ${COLUMNS},
       (k.app_id IS NULL OR (a.deleted_at IS NULL AND p.deleted_at IS NULL)) AS app_live
     FROM api_keys k
     LEFT JOIN apps a ON a.id = k.app_id
     LEFT JOIN projects p ON p.id = a.project_id
     WHERE k.secret_hash = ?`,
    [hash],
  );
  return rows[0] ?? null;
}

export async function findKey(db: Tx, id: string): Promise<KeyRow | null> {
  if (!isUuid(id)) return null;
  const rows = await db.all<KeyRow>(`SELECT ${COLUMNS} FROM api_keys k WHERE k.id = ?::UUID`, [id]);
  return rows[0] ?? null;
}

/** Keys of the given teams, optionally of one app, newest first. */
export async function listKeys(db: Tx, teamIds: readonly string[], appId: string | null): Promise<KeyRow[]> {
  if (teamIds.length === 0) return [];
  return db.all<KeyRow>(
    `SELECT ${COLUMNS} FROM api_keys k
     WHERE list_contains(?::JSON::UUID[], k.team_id) AND (?::UUID IS NULL OR k.app_id = ?::UUID)
     ORDER BY k.created_at DESC, k.id DESC`,
    [teamIds, appId, appId],
  );
}

export async function revokeKey(tx: Tx, id: string): Promise<void> {
  await tx.run("UPDATE api_keys SET revoked_at = now() WHERE id = ?::UUID AND revoked_at IS NULL", [id]);
}

export async function touchKeys(tx: Tx, ids: readonly string[], at: Date): Promise<void> {
  await tx.run("UPDATE api_keys SET last_used_at = ? WHERE list_contains(?::JSON::UUID[], id)", [at, ids]);
}
