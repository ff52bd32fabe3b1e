import type { ClickHouse } from "../../store/clickhouse/client";
import { literal } from "../../store/clickhouse/literal";
import type { Tx } from "../../store/db";
import type { StoredEvent } from "./event";
import type { ReleaseSessions } from "./repository";
import type { OutcomeRow } from "./tally";

/**
 * The write path's queries on a cluster (decision 017): dedup and session claims in PostgreSQL,
 * events and outcomes into ClickHouse's Distributed tables. The embedded store's are in
 * repository.ts.
 */

/**
 * Claims the ids not claimed within the dedup window (7 days, as the embedded store keeps keys), in
 * one statement, and takes over claims a node left unstored for over 30 s (it died between claim
 * and insert). Returns the claimed ids as `app|client id`, and which of them were taken over.
 */
export async function claimEvents(
  tx: Tx,
  events: readonly StoredEvent[],
): Promise<{ claimed: Set<string>; takenOver: Set<string> }> {
  if (events.length === 0) return { claimed: new Set(), takenOver: new Set() };
  const ordered = inLockOrder(events, (e) => `${e.appId}|${e.clientEventId}`);
  const rows = await tx.all<{ app_id: string; client_event_id: string; taken_over: boolean }>(
    `INSERT INTO event_claims (app_id, client_event_id, event_id)
     SELECT * FROM unnest(?::JSON::UUID[], ?::JSON::VARCHAR[], ?::JSON::UUID[])
     ON CONFLICT (app_id, client_event_id) DO UPDATE
       SET event_id = EXCLUDED.event_id, claimed_at = now(), stored = false
       WHERE event_claims.claimed_at < now() - INTERVAL '7 days'
          OR (NOT event_claims.stored AND event_claims.claimed_at < now() - INTERVAL '30 seconds')
     RETURNING app_id::VARCHAR AS app_id, client_event_id, (xmax <> 0) AS taken_over`,
    [ordered.map((e) => e.appId), ordered.map((e) => e.clientEventId), ordered.map((e) => e.id)],
  );
  const key = (r: { app_id: string; client_event_id: string }) => `${r.app_id}|${r.client_event_id}`;
  return {
    claimed: new Set(rows.map(key)),
    takenOver: new Set(rows.filter((r) => r.taken_over).map(key)),
  };
}

/** Marks claims stored once their events are in ClickHouse (by the claims' key: no scan). */
export async function markStored(tx: Tx, events: readonly StoredEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.run(
    `UPDATE event_claims c SET stored = true
     FROM unnest(?::JSON::UUID[], ?::JSON::VARCHAR[], ?::JSON::UUID[]) AS u(app_id, client_event_id, event_id)
     WHERE c.app_id = u.app_id AND c.client_event_id = u.client_event_id AND c.event_id = u.event_id`,
    [events.map((e) => e.appId), events.map((e) => e.clientEventId), events.map((e) => e.id)],
  );
}

/** Which of these copies ClickHouse already holds (a taken-over claim whose node did store it). */
export async function storedAlready(ch: ClickHouse, events: readonly StoredEvent[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const conditions = events
    .map((e) => `(app_id = toUUID(${literal(e.appId)}) AND client_event_id = ${literal(e.clientEventId)})`)
    .join(" OR ");
  const rows = await ch.rows<{ app: string; client_event_id: string }>(
    `SELECT toString(app_id) AS app, client_event_id FROM events WHERE ${conditions}`,
  );
  return new Set(rows.map((r) => `${r.app}|${r.client_event_id}`));
}

/** Gives back claims whose events were not stored (their insert failed): a retry may store them. */
export async function releaseEvents(tx: Tx, events: readonly StoredEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.run(
    `DELETE FROM event_claims c
     USING unnest(?::JSON::UUID[], ?::JSON::VARCHAR[], ?::JSON::UUID[]) AS u(app_id, client_event_id, event_id)
     WHERE c.app_id = u.app_id AND c.client_event_id = u.client_event_id AND c.event_id = u.event_id`,
    [events.map((e) => e.appId), events.map((e) => e.clientEventId), events.map((e) => e.id)],
  );
}

/** The sessions seen here first: `app|session` of each new one. */
export async function claimSessions(tx: Tx, sessions: ReadonlyArray<{ appId: string; sessionId: string }>) {
  if (sessions.length === 0) return new Set<string>();
  const ordered = inLockOrder(sessions, (s) => `${s.appId}|${s.sessionId}`);
  const rows = await tx.all<{ app_id: string; session_id: string }>(
    `INSERT INTO session_claims (app_id, session_id)
     SELECT * FROM unnest(?::JSON::UUID[], ?::JSON::VARCHAR[])
     ON CONFLICT DO NOTHING RETURNING app_id::VARCHAR AS app_id, session_id`,
    [ordered.map((s) => s.appId), ordered.map((s) => s.sessionId)],
  );
  return new Set(rows.map((r) => `${r.app_id}|${r.session_id}`));
}

/**
 * Two nodes claiming overlapping keys in different orders would each wait for a row the other
 * inserted: a deadlock, which PostgreSQL ends by failing one of them. One order for every node
 * makes the later claimer wait for the earlier one instead.
 */
function inLockOrder<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export async function insertEvents(
  ch: ClickHouse,
  events: readonly StoredEvent[],
  columns: (event: StoredEvent) => Record<string, unknown> = () => ({}),
): Promise<void> {
  await ch.insert(
    "events",
    events.map((e) => ({
      ...columns(e),
      id: e.id,
      project_id: e.projectId,
      app_id: e.appId,
      client_event_id: e.clientEventId,
      session_id: e.sessionId,
      user_id: e.userId,
      api_key_id: e.apiKeyId,
      level: e.level,
      source_module: e.sourceModule,
      message: e.message,
      screen_name: e.screenName,
      custom_attributes: e.customAttributes,
      experiments: e.experiments,
      environment: e.environment,
      os_version: e.osVersion,
      app_version: e.appVersion,
      sdk_name: e.sdkName,
      sdk_version: e.sdkVersion,
      build_number: e.buildNumber,
      device_model: e.deviceModel,
      locale: e.locale,
      country_code: e.countryCode,
      is_dev: e.isDev ? 1 : 0,
      ts: e.timestamp,
      received_ms: e.receivedAt,
      kind: e.kind ?? null,
      payload: e.payload ?? null,
    })),
  );
}

export async function insertOutcomes(ch: ClickHouse, rows: readonly OutcomeRow[]): Promise<void> {
  await ch.insert(
    "outcomes",
    rows
      .filter((r) => r.projectId !== "")
      .map((r) => ({
        project_id: r.projectId,
        key_id: r.keyId ?? "",
        minute: chDateTime(r.minute),
        outcome: r.outcome,
        reason: r.reason ?? "",
        category: r.category,
        quantity: r.quantity,
        times_seen: r.timesSeen,
      })),
  );
}

/** Claims past the dedup window (and a day of grace): a copy sent again then is a new event anyway. */
export async function pruneClaims(tx: Tx): Promise<number> {
  const rows = await tx.all(
    "DELETE FROM event_claims WHERE claimed_at < now() - INTERVAL '8 days' RETURNING 1",
  );
  await tx.run("DELETE FROM session_claims WHERE claimed_at < now() - INTERVAL '8 days'");
  return rows.length;
}

/** The stored copies of these ids of an app: their ids and times (an import replaces them). */
export async function storedCopies(
  ch: ClickHouse,
  appId: string,
  clientEventIds: readonly string[],
): Promise<Map<string, { id: string; ts: number }>> {
  if (clientEventIds.length === 0) return new Map();
  const rows = await ch.rows<{ client_event_id: string; id_text: string; ts: number }>(
    `SELECT client_event_id, toString(id) AS id_text, ts FROM events
     WHERE app_id = toUUID(${literal(appId)}) AND client_event_id IN (${clientEventIds.map((c) => literal(c)).join(", ")})`,
  );
  return new Map(rows.map((r) => [r.client_event_id, { id: r.id_text, ts: Number(r.ts) }]));
}

/**
 * Deletes the copies of these ids received before `before` (an import's new copies are already
 * in): a mutation on every shard, waited for.
 */
export async function deleteOlderCopies(
  ch: ClickHouse,
  appId: string,
  clientEventIds: readonly string[],
  before: number,
): Promise<void> {
  if (clientEventIds.length === 0) return;
  await ch.mutateEveryShard(
    "events_local",
    `ALTER TABLE events_local DELETE WHERE app_id = toUUID(${literal(appId)})
       AND client_event_id IN (${clientEventIds.map((c) => literal(c)).join(", ")}) AND received_ms < ${literal(before)}`,
  );
}

/** Claims of replaced events point at their new copies, stored. */
export async function repointClaims(tx: Tx, events: readonly StoredEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.run(
    `UPDATE event_claims c SET event_id = u.event_id, stored = true
     FROM unnest(?::JSON::UUID[], ?::JSON::VARCHAR[], ?::JSON::UUID[]) AS u(app_id, client_event_id, event_id)
     WHERE c.app_id = u.app_id AND c.client_event_id = u.client_event_id`,
    [events.map((e) => e.appId), events.map((e) => e.clientEventId), events.map((e) => e.id)],
  );
}

/** Epoch milliseconds as a DateTime's text (UTC: the servers run in UTC). */
const chDateTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

/** Release-health session counts (Sentry's `session` and `sessions` items). */
export async function insertSessions(ch: ClickHouse, rows: readonly ReleaseSessions[]): Promise<void> {
  if (rows.length === 0) return;
  await ch.insert(
    "sentry_sessions",
    rows.map((r) => ({
      project_id: r.projectId,
      app_id: r.appId,
      release: r.release,
      environment: r.environment ?? "",
      hour: chDateTime(r.hour),
      status: r.status,
      quantity: r.quantity,
    })),
  );
}
