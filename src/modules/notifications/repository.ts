import type { Tx, WriteTx } from "../../store/db";

export const NOTIFICATION_EVENTS = ["issue.new", "issue.regressed", "issue.digest"] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export interface DestinationRow {
  id: string;
  project_id: string;
  kind: "webhook" | "email";
  url: string;
  secret: string;
  events: NotificationEvent[];
  last_digest_at: Date | null;
  created_at: Date;
}

const DESTINATION = `id::VARCHAR AS id, project_id::VARCHAR AS project_id, kind, url, secret, events, last_digest_at,
  created_at`;

export async function destinationsOf(tx: Tx, projectId: string): Promise<DestinationRow[]> {
  return tx.all(
    `SELECT ${DESTINATION} FROM notification_destinations WHERE project_id = ?::UUID AND deleted_at IS NULL
     ORDER BY created_at, id`,
    [projectId],
  );
}

export async function findDestination(tx: Tx, projectId: string, id: string): Promise<DestinationRow | null> {
  const [row] = await tx.all<DestinationRow>(
    `SELECT ${DESTINATION} FROM notification_destinations WHERE project_id = ?::UUID AND id = ?::UUID AND deleted_at IS NULL`,
    [projectId, id],
  );
  return row ?? null;
}

export async function insertDestination(tx: WriteTx, d: DestinationRow): Promise<void> {
  await tx.run(
    `INSERT INTO notification_destinations (id, project_id, kind, url, secret, events, created_at)
     VALUES (?::UUID, ?::UUID, ?, ?, ?, ?::JSON::VARCHAR[], ?)`,
    [d.id, d.project_id, d.kind, d.url, d.secret, d.events, d.created_at],
  );
}

export async function deleteDestination(tx: WriteTx, id: string, at: Date): Promise<void> {
  await tx.run("UPDATE notification_destinations SET deleted_at = ? WHERE id = ?::UUID", [at, id]);
  // What it had not delivered yet is dropped with it.
  await tx.run(
    "UPDATE notification_outbox SET failed_at = ? WHERE destination_id = ?::UUID AND delivered_at IS NULL AND failed_at IS NULL",
    [at, id],
  );
}

/** An issue as a notification shows it. */
export interface IssueNews {
  id: string;
  short_id: number;
  project_id: string;
  project_name: string;
  app_id: string;
  app_name: string | null;
  title: string;
  status: string;
  event_count: number;
  occurrence_count: number;
  unique_user_count: number;
  first_seen_at: string;
  last_seen_at: string;
  last_seen_app_version: string | null;
}

const NEWS = `i.id::VARCHAR AS id, i.seq::DOUBLE AS short_id, i.project_id::VARCHAR AS project_id, p.name AS project_name,
  i.app_id::VARCHAR AS app_id, a.name AS app_name, i.title, i.status, i.event_count::DOUBLE AS event_count,
  i.session_count::DOUBLE AS occurrence_count, i.user_count::DOUBLE AS unique_user_count,
  i.first_seen AS first_seen_at, i.last_seen AS last_seen_at,
  i.last_release AS last_seen_app_version`;
const NEWS_FROM =
  "issues AS i JOIN projects AS p ON p.id = i.project_id LEFT JOIN apps AS a ON a.id = i.app_id";

/** As stored: the times as times (each engine formats its own way; JavaScript formats them once). */
type StoredNews = Omit<IssueNews, "first_seen_at" | "last_seen_at"> & {
  first_seen_at: Date;
  last_seen_at: Date;
};

const newsOf = (row: StoredNews): IssueNews => ({
  ...row,
  first_seen_at: row.first_seen_at.toISOString(),
  last_seen_at: row.last_seen_at.toISOString(),
});

/** Production issues among `ids` (development issues are never sent to people, as in Owlmetry). */
export async function productionNews(tx: Tx, ids: readonly string[]): Promise<IssueNews[]> {
  if (ids.length === 0) return [];
  const rows = await tx.all<StoredNews>(
    `SELECT ${NEWS} FROM ${NEWS_FROM} WHERE i.id IN (SELECT unnest(?::JSON::UUID[])) AND NOT i.is_dev ORDER BY i.seq`,
    [ids],
  );
  return rows.map(newsOf);
}

/** Live destinations of these projects that take `event`. */
export async function subscribers(tx: Tx, projectIds: readonly string[], event: NotificationEvent) {
  if (projectIds.length === 0) return [];
  return tx.all<{ id: string; project_id: string }>(
    `SELECT id::VARCHAR AS id, project_id::VARCHAR AS project_id FROM notification_destinations
     WHERE deleted_at IS NULL AND list_contains(events, ?) AND project_id IN (SELECT unnest(?::JSON::UUID[]))`,
    [event, projectIds],
  );
}

export interface OutboxItem {
  id: string;
  destinationId: string;
  event: NotificationEvent;
  payload: string;
}

export async function enqueue(tx: WriteTx, items: readonly OutboxItem[], now: Date): Promise<void> {
  for (const item of items) {
    await tx.run(
      `INSERT INTO notification_outbox (id, destination_id, event, payload, attempts, next_attempt_at, created_at)
       VALUES (?::UUID, ?::UUID, ?, ?::JSON, 0, ?, ?)`,
      [item.id, item.destinationId, item.event, item.payload, now, now],
    );
  }
}

export interface DueItem {
  id: string;
  destination_id: string;
  event: NotificationEvent;
  payload: string;
  attempts: number;
  url: string;
  secret: string;
}

export async function dueItems(tx: Tx, now: Date, limit: number): Promise<DueItem[]> {
  return tx.all(
    `SELECT o.id::VARCHAR AS id, o.destination_id::VARCHAR AS destination_id, o.event, o.payload::VARCHAR AS payload,
       o.attempts, d.url, d.secret
     FROM notification_outbox AS o JOIN notification_destinations AS d ON d.id = o.destination_id
     WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ? AND d.deleted_at IS NULL
     ORDER BY o.next_attempt_at, o.id LIMIT ?`,
    [now, limit],
  );
}

export interface Attempt {
  outboxId: string;
  attempt: number;
  status: number | null;
  error: string | null;
  ms: number;
  at: Date;
}

/** One attempt's outcome: delivered, retried at `retryAt`, or given up (retryAt null). */
export async function recordAttempt(tx: WriteTx, a: Attempt, delivered: boolean, retryAt: Date | null) {
  await tx.run("INSERT INTO notification_attempts VALUES (?::UUID, ?, ?, ?, ?, ?)", [
    a.outboxId,
    a.attempt,
    a.status,
    a.error,
    a.ms,
    a.at,
  ]);
  if (delivered) {
    await tx.run("UPDATE notification_outbox SET attempts = ?, delivered_at = ? WHERE id = ?::UUID", [
      a.attempt,
      a.at,
      a.outboxId,
    ]);
  } else if (retryAt) {
    await tx.run("UPDATE notification_outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?::UUID", [
      a.attempt,
      retryAt,
      a.outboxId,
    ]);
  } else {
    await tx.run("UPDATE notification_outbox SET attempts = ?, failed_at = ? WHERE id = ?::UUID", [
      a.attempt,
      a.at,
      a.outboxId,
    ]);
  }
}

/** Whether an item is still waiting (not delivered, failed or dropped): checked before marking it. */
export async function stillPending(tx: Tx, outboxId: string): Promise<boolean> {
  const [row] = await tx.all<{ n: number }>(
    "SELECT count(*)::INTEGER AS n FROM notification_outbox WHERE id = ?::UUID AND delivered_at IS NULL AND failed_at IS NULL",
    [outboxId],
  );
  return (row?.n ?? 0) > 0;
}

export interface DeliveryRow {
  id: string;
  event: string;
  attempts: number;
  delivered_at: Date | null;
  failed_at: Date | null;
  next_attempt_at: Date;
  created_at: Date;
  last_status: number | null;
  last_error: string | null;
}

/** A destination's deliveries, newest first, each with its last attempt. */
export async function deliveriesOf(tx: Tx, destinationId: string, limit: number): Promise<DeliveryRow[]> {
  return tx.all(
    `SELECT o.id::VARCHAR AS id, o.event, o.attempts, o.delivered_at, o.failed_at, o.next_attempt_at, o.created_at,
       (SELECT a.status FROM notification_attempts a WHERE a.outbox_id = o.id ORDER BY a.attempt DESC LIMIT 1) AS last_status,
       (SELECT a.error FROM notification_attempts a WHERE a.outbox_id = o.id ORDER BY a.attempt DESC LIMIT 1) AS last_error
     FROM notification_outbox AS o WHERE o.destination_id = ?::UUID ORDER BY o.created_at DESC, o.id DESC LIMIT ?`,
    [destinationId, limit],
  );
}

/** Destinations whose digest is due, with the production issues new or regressed since their last one. */
export async function dueDigests(tx: Tx, now: Date, everyMs: number) {
  const due = await tx.all<{ id: string; project_id: string; since: Date }>(
    `SELECT id::VARCHAR AS id, project_id::VARCHAR AS project_id, coalesce(last_digest_at, created_at) AS since
     FROM notification_destinations
     WHERE deleted_at IS NULL AND list_contains(events, 'issue.digest')
       AND coalesce(last_digest_at, created_at) <= ?::TIMESTAMPTZ - to_milliseconds(?::BIGINT)`,
    [now, everyMs],
  );
  const out: Array<{ id: string; projectId: string; since: Date; issues: IssueNews[] }> = [];
  for (const d of due) {
    const issues = await tx.all<StoredNews>(
      `SELECT ${NEWS} FROM ${NEWS_FROM}
       WHERE i.project_id = ?::UUID AND NOT i.is_dev AND i.status IN ('new', 'regressed') AND i.last_seen > ?
       ORDER BY i.event_count DESC, i.seq LIMIT 50`,
      [d.project_id, d.since],
    );
    out.push({ id: d.id, projectId: d.project_id, since: d.since, issues: issues.map(newsOf) });
  }
  return out;
}

export async function markDigest(tx: WriteTx, destinationId: string, at: Date): Promise<void> {
  await tx.run("UPDATE notification_destinations SET last_digest_at = ? WHERE id = ?::UUID", [
    at,
    destinationId,
  ]);
}

/** The issues a notification was queued for (Owlmetry's `last_notified_at`). */
export async function markNotified(tx: WriteTx, issueIds: readonly string[], at: Date): Promise<void> {
  if (issueIds.length === 0) return;
  await tx.run("UPDATE issues SET last_notified_at = ? WHERE id IN (SELECT unnest(?::JSON::UUID[]))", [
    at,
    issueIds,
  ]);
}
