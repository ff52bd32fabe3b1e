import { join } from "node:path";
import type { Param, Store, Tx, WriteTx } from "../../store/db";
import { ensureLocal } from "../../store/lake";
import { type RecentKeys, scopedKey } from "../pipeline/recent-keys";
import { appendOutcomes } from "../pipeline/repository";
import type { AttachmentEvents } from "./events";

export interface AttachmentRow {
  id: string;
  app_id: string;
  project_id: string;
  team_id: string;
  client_event_id: string;
  event_id: string | null;
  user_id: string | null;
  original_filename: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  is_dev: boolean;
  created_at: Date;
  expires_at: Date;
  uploaded_at: Date | null;
}

/** Live attachments (not soft-deleted) of live apps in live projects, with their team. */
const SELECT = `SELECT t.id::VARCHAR AS id, t.app_id::VARCHAR AS app_id, t.project_id::VARCHAR AS project_id,
  p.team_id::VARCHAR AS team_id, t.client_event_id, t.event_id::VARCHAR AS event_id, t.user_id,
  t.original_filename, t.content_type, t.size_bytes, t.sha256, t.is_dev, t.created_at, t.expires_at, t.uploaded_at
  FROM attachments t JOIN apps a ON a.id = t.app_id JOIN projects p ON p.id = t.project_id
  WHERE t.deleted_at IS NULL AND a.deleted_at IS NULL AND p.deleted_at IS NULL`;

export interface NewAttachment {
  id: string;
  appId: string;
  projectId: string;
  apiKeyId: string;
  clientEventId: string;
  eventId: string | null;
  userId: string | null;
  originalFilename: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  isDev: boolean;
  createdAt: Date;
  expiresAt: Date;
  /** Set when the bytes came with the row (a Sentry envelope); null for a reservation. */
  uploadedAt?: Date | null;
}

export async function insertAttachment(tx: Tx, a: NewAttachment): Promise<void> {
  await tx.run(
    `INSERT INTO attachments (id, app_id, project_id, api_key_id, client_event_id, event_id, user_id,
       original_filename, content_type, size_bytes, sha256, is_dev, created_at, expires_at, uploaded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      a.id,
      a.appId,
      a.projectId,
      a.apiKeyId,
      a.clientEventId,
      a.eventId,
      a.userId,
      a.originalFilename,
      a.contentType,
      a.sizeBytes,
      a.sha256,
      a.isDev,
      a.createdAt,
      a.expiresAt,
      a.uploadedAt ?? null,
    ],
  );
}

export async function findAttachment(db: Tx, id: string): Promise<AttachmentRow | null> {
  const rows = await db.all<AttachmentRow>(`${SELECT} AND t.id = ?::UUID`, [id]);
  return rows[0] ?? null;
}

/**
 * Bytes a project holds against its quota: uploaded files, plus reservations still open (so
 * concurrent reservations cannot together overrun it).
 */
export async function bytesHeld(tx: Tx, projectId: string, now: Date): Promise<number> {
  const [row] = await tx.all<{ bytes: number }>(
    `SELECT coalesce(sum(size_bytes), 0) AS bytes FROM attachments
     WHERE project_id = ?::UUID AND deleted_at IS NULL AND (uploaded_at IS NOT NULL OR expires_at > ?::TIMESTAMPTZ)`,
    [projectId, now],
  );
  return row?.bytes ?? 0;
}

export async function markUploaded(tx: Tx, id: string, at: Date): Promise<void> {
  await tx.run("UPDATE attachments SET uploaded_at = ?::TIMESTAMPTZ WHERE id = ?::UUID", [at, id]);
}

/** A failed upload gives its reservation up: it no longer holds quota, and may be reserved anew. */
export async function dropReservation(tx: Tx, id: string): Promise<void> {
  await tx.run("DELETE FROM attachments WHERE id = ?::UUID AND uploaded_at IS NULL", [id]);
}

export async function softDeleteAttachment(tx: Tx, id: string, at: Date): Promise<void> {
  await tx.run("UPDATE attachments SET deleted_at = ?::TIMESTAMPTZ WHERE id = ?::UUID", [at, id]);
}

export interface ListFilter {
  appIds: readonly string[];
  eventId?: string;
  clientEventId?: string;
  projectId?: string;
  /** Ids below this one (ids are UUIDv7: newest first is id descending). */
  before?: string;
  limit: number;
}

/** Uploaded attachments, newest first, one more than `limit` when there is a next page. */
export async function listAttachments(db: Tx, f: ListFilter): Promise<AttachmentRow[]> {
  const parts = [SELECT, "AND t.uploaded_at IS NOT NULL AND list_contains(?::JSON::UUID[], t.app_id)"];
  const params: Param[] = [f.appIds];
  const add = (sql: string, value: Param) => {
    parts.push(sql);
    params.push(value);
  };
  if (f.eventId) add("AND t.event_id = ?::UUID", f.eventId);
  if (f.clientEventId) add("AND t.client_event_id = ?", f.clientEventId);
  if (f.projectId) add("AND t.project_id = ?::UUID", f.projectId);
  if (f.before) add("AND t.id < ?::UUID", f.before);
  return db.all<AttachmentRow>(`${parts.join(" ")} ORDER BY t.id DESC LIMIT ${f.limit + 1}`, params);
}

/** The uploaded attachments of one event, oldest first. */
export async function attachmentsOfEvent(
  db: Tx,
  appId: string,
  clientEventId: string,
): Promise<AttachmentRow[]> {
  return db.all<AttachmentRow>(
    `${SELECT} AND t.uploaded_at IS NOT NULL AND t.app_id = ?::UUID AND t.client_event_id = ? ORDER BY t.id`,
    [appId, clientEventId],
  );
}

/** (app, client event id) of every attachment still waiting for, or linked to, an event. */
export async function linkableKeys(db: Tx): Promise<Array<{ app_id: string; client_event_id: string }>> {
  return db.all(
    "SELECT DISTINCT app_id::VARCHAR AS app_id, client_event_id FROM attachments WHERE deleted_at IS NULL",
  );
}

/** Points attachments at their event, in the transaction that stores (or replaces) the event. */
export async function linkToEvents(
  tx: WriteTx,
  links: ReadonlyArray<{ appId: string; clientEventId: string; eventId: string }>,
): Promise<void> {
  for (const link of links) {
    await tx.run(
      "UPDATE attachments SET event_id = ?::UUID WHERE app_id = ?::UUID AND client_event_id = ? AND deleted_at IS NULL",
      [link.eventId, link.appId, link.clientEventId],
    );
  }
}

/**
 * The id of an event already stored, by (app, client event id): the hot table first, then the lake
 * files written since the event was received (a file holding it was sealed or compacted later).
 */
export async function findEventId(
  tx: Tx,
  dataDir: string,
  at: { projectId: string; appId: string; clientEventId: string; receivedSince: Date },
): Promise<string | null> {
  const [hot] = await tx.all<{ id: string }>(
    "SELECT id::VARCHAR AS id FROM events WHERE app_id = ?::UUID AND client_event_id = ? LIMIT 1",
    [at.appId, at.clientEventId],
  );
  if (hot) return hot.id;
  const paths = (
    await tx.all<{ path: string }>(
      "SELECT path FROM lake_files WHERE project_id = ?::UUID AND created_at >= ?::TIMESTAMPTZ",
      [at.projectId, at.receivedSince],
    )
  ).map((r) => r.path);
  if (paths.length === 0) return null;
  await ensureLocal(dataDir, paths);
  const files = paths.map((p) => join(dataDir, p));
  const [cold] = await tx.all<{ id: string }>(
    `SELECT id::VARCHAR AS id FROM read_parquet(?::VARCHAR[]) WHERE app_id = ?::UUID AND client_event_id = ? LIMIT 1`,
    [files, at.appId, at.clientEventId],
  );
  return cold?.id ?? null;
}

/**
 * Drops what nothing needs any more: reservations never uploaded, and attachments of deleted
 * projects or older than their project's retention. Returns how many rows went.
 */
export async function dropExpired(tx: WriteTx, now: Date): Promise<number> {
  const [row] = await tx.all<{ n: number }>(
    `SELECT count(*) AS n FROM attachments t LEFT JOIN projects p ON p.id = t.project_id
     WHERE (t.uploaded_at IS NULL AND t.expires_at <= ?::TIMESTAMPTZ)
        OR p.id IS NULL OR p.deleted_at IS NOT NULL
        OR t.created_at < ?::TIMESTAMPTZ - to_days(p.retention_days)`,
    [now, now],
  );
  await tx.run(
    `DELETE FROM attachments WHERE id IN (
       SELECT t.id FROM attachments t LEFT JOIN projects p ON p.id = t.project_id
       WHERE (t.uploaded_at IS NULL AND t.expires_at <= ?::TIMESTAMPTZ)
          OR p.id IS NULL OR p.deleted_at IS NOT NULL
          OR t.created_at < ?::TIMESTAMPTZ - to_days(p.retention_days))`,
    [now, now],
  );
  return row?.n ?? 0;
}

/** The hashes whose bytes are still needed: uploaded, not deleted. */
export async function referencedHashes(tx: Tx): Promise<Set<string>> {
  const rows = await tx.all<{ sha256: string }>(
    "SELECT DISTINCT sha256 FROM attachments WHERE uploaded_at IS NOT NULL AND deleted_at IS NULL",
  );
  return new Set(rows.map((r) => r.sha256));
}

/**
 * The embedded store's side of attachments: outcomes in the attachment's own write; an event's id
 * from the hot table or the lake files written since it arrived (the recent keys say when, so
 * events never seen cost no file read); linking happens in the ingest commit itself.
 */
export function embeddedAttachmentEvents(store: Store, eventKeys: RecentKeys): AttachmentEvents {
  return {
    seesEveryReservation: true,
    count: (tx, rows) => appendOutcomes(tx as WriteTx, rows),
    async lookup(key) {
      const lookedAt = Date.now();
      const receivedAt = eventKeys.receivedAt(scopedKey(key.appId, key.clientEventId));
      const seen =
        receivedAt === null
          ? null
          : await store.snapshot((tx) =>
              findEventId(tx, store.dataDir, { ...key, receivedSince: new Date(receivedAt - 1000) }),
            );
      // An event committed since the lookup began is hot, or in a file written since then.
      return async (tx) =>
        seen ?? (await findEventId(tx, store.dataDir, { ...key, receivedSince: new Date(lookedAt - 1000) }));
    },
    link: async () => {},
  };
}
