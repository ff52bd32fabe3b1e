import type { ColumnKind, Tx, WriteTx } from "../../store/db";
import { type ReplacedCopy, removeSealedCopies } from "../../store/lake/replace";
import type { StoredEvent } from "./event";
import type { OutcomeRow } from "./tally";

/** The `events` table's columns in table order, with how each is appended. */
const EVENT_COLUMNS: ReadonlyArray<[ColumnKind, (e: StoredEvent) => string | boolean | number | null]> = [
  ["text", (e) => e.id],
  ["text", (e) => e.appId],
  ["text", (e) => e.projectId],
  ["text", (e) => e.clientEventId],
  ["text", (e) => e.sessionId],
  ["text", (e) => e.userId],
  ["text", (e) => e.apiKeyId],
  ["text", (e) => e.level],
  ["text", (e) => e.sourceModule],
  ["text", (e) => e.message],
  ["text", (e) => e.screenName],
  ["text", (e) => e.customAttributes],
  ["text", (e) => e.experiments],
  ["text", (e) => e.environment],
  ["text", (e) => e.osVersion],
  ["text", (e) => e.appVersion],
  ["text", (e) => e.sdkName],
  ["text", (e) => e.sdkVersion],
  ["text", (e) => e.buildNumber],
  ["text", (e) => e.deviceModel],
  ["text", (e) => e.locale],
  ["text", (e) => e.countryCode],
  ["bool", (e) => e.isDev],
  ["micros", (e) => e.timestamp * 1000],
  ["micros", (e) => e.receivedAt * 1000],
  ["text", (e) => e.kind ?? null],
  ["text", (e) => e.payload ?? null],
];
const EVENT_KINDS = EVENT_COLUMNS.map(([kind]) => kind);

export async function appendEvents(tx: WriteTx, events: readonly StoredEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.append(
    "events",
    EVENT_KINDS,
    EVENT_COLUMNS.map(([, get]) => events.map(get)),
  );
}

export type KeyTable = "event_keys" | "session_keys";

export async function appendKeys(
  tx: WriteTx,
  table: KeyTable,
  keys: readonly number[],
  seenAt: readonly number[],
) {
  if (keys.length === 0) return;
  await tx.append(table, ["u64", "micros"], [keys, seenAt.map((ms) => ms * 1000)]);
}

/** Keys seen since `sinceMs`, newest sighting per key. */
export async function loadKeys(
  db: Tx,
  table: KeyTable,
  sinceMs: number,
): Promise<Array<{ key: number; at: number }>> {
  // Keys are 53-bit, so they come back as exact numbers.
  const rows = await db.all<{ key: number; at: Date }>(
    `SELECT key, max(seen_at) AS at FROM ${table} WHERE seen_at >= ? GROUP BY key`,
    [new Date(sinceMs)],
  );
  return rows.map((r) => ({ key: r.key, at: r.at.getTime() }));
}

/**
 * Removes the stored copies of events an import replaces: hot ones by a delete, sealed ones by
 * writing their lake files again without them (lake/replace.ts), all in the import's commit.
 * Returns the copies removed, with their ids and times.
 */
export async function deleteStoredCopies(
  tx: WriteTx,
  dataDir: string,
  projectId: string,
  appId: string,
  events: ReadonlyArray<{ clientEventId: string; timestamp: number }>,
): Promise<ReplacedCopy[]> {
  if (events.length === 0) return [];
  const hot = await tx.all<ReplacedCopy>(
    // A semi-join (hashed once), not list_contains per row: that compared every hot row with every
    // id of the batch, and made each import batch slower as the hot table grew.
    `DELETE FROM events
     WHERE app_id = ?::UUID AND client_event_id IN (SELECT unnest(?::JSON::VARCHAR[]))
     RETURNING client_event_id, id::VARCHAR AS id, timestamp`,
    [appId, events.map((e) => e.clientEventId)],
  );
  const removed = new Set(hot.map((r) => r.client_event_id));
  const sealed = events.filter((e) => !removed.has(e.clientEventId));
  return [
    ...hot,
    ...(await removeSealedCopies(
      tx,
      dataDir,
      projectId,
      appId,
      sealed.map((e) => e.clientEventId),
      sealed.map((e) => e.timestamp),
    )),
  ];
}

const OUTCOME_KINDS = ["text", "text", "micros", "text", "text", "text", "i64", "i64"] as const;

export async function appendOutcomes(tx: WriteTx, rows: readonly OutcomeRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.append("outcomes_minute", OUTCOME_KINDS, [
    rows.map((r) => r.projectId),
    rows.map((r) => r.keyId),
    rows.map((r) => r.minute * 1000),
    rows.map((r) => r.outcome),
    rows.map((r) => r.reason),
    rows.map((r) => r.category),
    rows.map((r) => r.quantity),
    rows.map((r) => r.timesSeen),
  ]);
}

/** Release-health session counts of one (app, release, environment, hour, status). */
export interface ReleaseSessions {
  projectId: string;
  appId: string;
  release: string;
  environment: string | null;
  /** Start of the hour, epoch milliseconds. */
  hour: number;
  status: string;
  quantity: number;
}

const SESSION_KINDS = ["text", "text", "text", "text", "micros", "text", "i64"] as const;

export async function appendSessions(tx: WriteTx, rows: readonly ReleaseSessions[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.append("sentry_sessions", SESSION_KINDS, [
    rows.map((r) => r.projectId),
    rows.map((r) => r.appId),
    rows.map((r) => r.release),
    rows.map((r) => r.environment),
    rows.map((r) => r.hour * 1000),
    rows.map((r) => r.status),
    rows.map((r) => r.quantity),
  ]);
}
