import type { Param, Tx, WriteTx } from "../../store/db";
import { eventsSource } from "../../store/events-source";
import { unnestRows } from "../../store/rows";
import { Where } from "../../store/where";
import type { Alias, ErrorOccurrence, NewIssue } from "./grouping";

/** The order grouping takes errors in, live and in a rebuild. */
const GROUPING_ORDER = "e.received_at, e.timestamp, e.id";

/** What grouping keeps in memory, as stored; the errors of the last `burstMs` for the open bursts. */
export async function loadGroupingState(tx: Tx, burstMs: number) {
  const [newest] = await tx.all<{ ms: number | null }>(
    "SELECT epoch_ms(max(received_at)) AS ms FROM issue_events",
  );
  const issues = await tx.all<{ id: string; seq: number; title: string }>(
    "SELECT id::VARCHAR AS id, seq::DOUBLE AS seq, title FROM issues",
  );
  const fingerprints = await tx.all<Alias>(
    `SELECT fingerprint, app_id::VARCHAR AS "appId", is_dev AS "isDev", issue_id::VARCHAR AS "issueId" FROM issue_fingerprints`,
  );
  const merges = await tx.all<{ source: string; target: string }>(
    "SELECT source_id::VARCHAR AS source, target_id::VARCHAR AS target FROM issue_merges",
  );
  const recent = await tx.all<{
    issueId: string;
    appId: string;
    isDev: boolean;
    sessionId: string;
    timestamp: number;
    receivedAt: number;
  }>(
    `SELECT issue_id::VARCHAR AS "issueId", app_id::VARCHAR AS "appId", is_dev AS "isDev", session_id AS "sessionId",
       epoch_ms(timestamp) AS timestamp, epoch_ms(received_at) AS "receivedAt"
     FROM issue_events WHERE received_at >= ? ORDER BY received_at, timestamp, event_id`,
    [new Date((newest?.ms ?? 0) - burstMs)],
  );
  return { issues, fingerprints, merges, recent };
}

export async function insertIssues(
  tx: WriteTx,
  created: readonly NewIssue[],
  first: ReadonlyMap<string, number>,
  now: Date,
) {
  if (created.length === 0) return;
  const rows = unnestRows([
    ["id", "UUID", created.map((i) => i.id)],
    ["seq", "BIGINT", created.map((i) => i.seq)],
    ["project_id", "UUID", created.map((i) => i.projectId)],
    ["app_id", "UUID", created.map((i) => i.appId)],
    ["is_dev", "BOOLEAN", created.map((i) => i.isDev)],
    ["title", "VARCHAR", created.map((i) => i.title)],
    ["source_module", "VARCHAR", created.map((i) => i.sourceModule)],
    ["seen", "TIMESTAMPTZ", created.map((i) => new Date(first.get(i.id) as number))],
    // As columns, not a trailing ?: DuckDB numbers a FROM subquery's parameters first.
    ["now", "TIMESTAMPTZ", created.map(() => now)],
  ]);
  await tx.run(
    `INSERT INTO issues (id, seq, project_id, app_id, is_dev, status, title, source_module, event_count, session_count,
       user_count, first_seen, last_seen, created_at, updated_at)
     SELECT id, seq, project_id, app_id, is_dev, 'new', title, source_module, 0, 0, 0, seen, seen, now, now
     FROM (${rows.sql}) AS v`,
    rows.params,
  );
}

export async function insertAliases(tx: WriteTx, aliases: readonly Alias[]) {
  if (aliases.length === 0) return;
  const rows = unnestRows([
    ["fingerprint", "VARCHAR", aliases.map((a) => a.fingerprint)],
    ["app_id", "UUID", aliases.map((a) => a.appId)],
    ["is_dev", "BOOLEAN", aliases.map((a) => a.isDev)],
    ["issue_id", "UUID", aliases.map((a) => a.issueId)],
  ]);
  await tx.run(`INSERT INTO issue_fingerprints ${rows.sql} ON CONFLICT DO NOTHING`, rows.params);
}

export async function retitle(tx: WriteTx, titles: ReadonlyMap<string, string>) {
  if (titles.size === 0) return;
  const rows = unnestRows([
    ["id", "UUID", [...titles.keys()]],
    ["title", "VARCHAR", [...titles.values()]],
  ]);
  await tx.run(
    `UPDATE issues SET title = v.title FROM (${rows.sql}) AS v WHERE issues.id = v.id`,
    rows.params,
  );
}

/** The index behind the events API's issue_id filter, and the bursts' memory at start-up. */
export async function appendIssueEvents(
  tx: WriteTx,
  errors: readonly ErrorOccurrence[],
  issueIds: readonly string[],
) {
  if (errors.length === 0) return;
  await tx.append(
    "issue_events",
    ["text", "text", "text", "bool", "text", "text", "micros", "micros"],
    [
      issueIds,
      errors.map((e) => e.eventId),
      errors.map((e) => e.appId),
      errors.map((e) => e.isDev),
      errors.map((e) => e.sessionId),
      errors.map((e) => e.appVersion),
      errors.map((e) => e.timestamp * 1000),
      errors.map((e) => e.receivedAt * 1000),
    ],
  );
}

/** A session's first error of each issue; returns the issue of each occurrence that was new. */
export async function insertOccurrences(
  tx: WriteTx,
  errors: readonly ErrorOccurrence[],
  issueIds: readonly string[],
) {
  if (errors.length === 0) return [];
  const rows = unnestRows([
    ["issue_id", "UUID", issueIds],
    ["session_id", "VARCHAR", errors.map((e) => e.sessionId)],
    ["user_id", "VARCHAR", errors.map((e) => e.userId)],
    ["event_id", "UUID", errors.map((e) => e.eventId)],
    ["app_version", "VARCHAR", errors.map((e) => e.appVersion)],
    ["sdk_name", "VARCHAR", errors.map((e) => e.sdkName)],
    ["sdk_version", "VARCHAR", errors.map((e) => e.sdkVersion)],
    ["environment", "VARCHAR", errors.map((e) => e.environment)],
    ["country_code", "VARCHAR", errors.map((e) => e.countryCode)],
    ["timestamp", "TIMESTAMPTZ", errors.map((e) => new Date(e.timestamp))],
  ]);
  const inserted = await tx.all<{ issue_id: string }>(
    `INSERT INTO issue_occurrences ${rows.sql} ON CONFLICT DO NOTHING RETURNING issue_id::VARCHAR AS issue_id`,
    rows.params,
  );
  return inserted.map((r) => r.issue_id);
}

/** Each (issue, user) once; returns the issue of each pair that was new. */
export async function insertUsers(
  tx: WriteTx,
  pairs: ReadonlyArray<readonly [issueId: string, userId: string]>,
) {
  if (pairs.length === 0) return [];
  const rows = unnestRows([
    ["issue_id", "UUID", pairs.map((p) => p[0])],
    ["user_id", "VARCHAR", pairs.map((p) => p[1])],
  ]);
  const inserted = await tx.all<{ issue_id: string }>(
    `INSERT INTO issue_users ${rows.sql} ON CONFLICT DO NOTHING RETURNING issue_id::VARCHAR AS issue_id`,
    rows.params,
  );
  return inserted.map((r) => r.issue_id);
}

export async function addDays(
  tx: WriteTx,
  days: ReadonlyArray<{ issueId: string; day: string; events: number }>,
) {
  if (days.length === 0) return;
  const rows = unnestRows([
    ["issue_id", "UUID", days.map((d) => d.issueId)],
    ["day", "DATE", days.map((d) => d.day)],
    ["events", "BIGINT", days.map((d) => d.events)],
  ]);
  await tx.run(
    `INSERT INTO issue_days ${rows.sql} ON CONFLICT (issue_id, day) DO UPDATE SET events = issue_days.events + excluded.events`,
    rows.params,
  );
}

/** One issue's share of a round: counts to add, and the ends of its time and version ranges. */
export interface IssueDelta {
  id: string;
  events: number;
  sessions: number;
  users: number;
  firstSeen: number;
  lastSeen: number;
  firstRelease: { value: string; at: number } | null;
  lastRelease: { value: string; at: number } | null;
  firstSdk: { value: string; at: number } | null;
  lastSdk: { value: string; at: number } | null;
}

export async function addCounts(tx: WriteTx, deltas: readonly IssueDelta[], now: Date) {
  if (deltas.length === 0) return;
  const at = (v: { at: number } | null) => (v ? new Date(v.at) : null);
  const rows = unnestRows([
    ["id", "UUID", deltas.map((d) => d.id)],
    ["events", "BIGINT", deltas.map((d) => d.events)],
    ["sessions", "BIGINT", deltas.map((d) => d.sessions)],
    ["users", "BIGINT", deltas.map((d) => d.users)],
    ["first_seen", "TIMESTAMPTZ", deltas.map((d) => new Date(d.firstSeen))],
    ["last_seen", "TIMESTAMPTZ", deltas.map((d) => new Date(d.lastSeen))],
    ["first_release", "VARCHAR", deltas.map((d) => d.firstRelease?.value ?? null)],
    ["first_release_at", "TIMESTAMPTZ", deltas.map((d) => at(d.firstRelease))],
    ["last_release", "VARCHAR", deltas.map((d) => d.lastRelease?.value ?? null)],
    ["last_release_at", "TIMESTAMPTZ", deltas.map((d) => at(d.lastRelease))],
    ["first_sdk", "VARCHAR", deltas.map((d) => d.firstSdk?.value ?? null)],
    ["first_sdk_at", "TIMESTAMPTZ", deltas.map((d) => at(d.firstSdk))],
    ["last_sdk", "VARCHAR", deltas.map((d) => d.lastSdk?.value ?? null)],
    ["last_sdk_at", "TIMESTAMPTZ", deltas.map((d) => at(d.lastSdk))],
    ["now", "TIMESTAMPTZ", deltas.map(() => now)],
  ]);
  // An end moves only when the round's is further out (strictly: the earlier event keeps it).
  const earlier = (col: string) =>
    `v.${col}_at IS NOT NULL AND (i.${col}_at IS NULL OR v.${col}_at < i.${col}_at)`;
  const later = (col: string) =>
    `v.${col}_at IS NOT NULL AND (i.${col}_at IS NULL OR v.${col}_at >= i.${col}_at)`;
  await tx.run(
    `UPDATE issues AS i SET
       event_count = i.event_count + v.events,
       session_count = i.session_count + v.sessions,
       user_count = i.user_count + v.users,
       first_seen = least(i.first_seen, v.first_seen),
       last_seen = greatest(i.last_seen, v.last_seen),
       first_release = CASE WHEN ${earlier("first_release")} THEN v.first_release ELSE i.first_release END,
       first_release_at = CASE WHEN ${earlier("first_release")} THEN v.first_release_at ELSE i.first_release_at END,
       last_release = CASE WHEN ${later("last_release")} THEN v.last_release ELSE i.last_release END,
       last_release_at = CASE WHEN ${later("last_release")} THEN v.last_release_at ELSE i.last_release_at END,
       first_sdk_version = CASE WHEN ${earlier("first_sdk")} THEN v.first_sdk ELSE i.first_sdk_version END,
       first_sdk_at = CASE WHEN ${earlier("first_sdk")} THEN v.first_sdk_at ELSE i.first_sdk_at END,
       last_sdk_version = CASE WHEN ${later("last_sdk")} THEN v.last_sdk ELSE i.last_sdk_version END,
       last_sdk_at = CASE WHEN ${later("last_sdk")} THEN v.last_sdk_at ELSE i.last_sdk_at END,
       updated_at = v.now
     FROM (${rows.sql}) AS v WHERE i.id = v.id`,
    rows.params,
  );
}

/** What a round's status rules read of the issues it touched. */
export interface IssueState {
  id: string;
  status: string;
  resolved_at_version: string | null;
  snooze_until: Date | null;
  snooze_count: number | null;
  snooze_events: number | null;
}

export async function statesOf(tx: Tx, ids: readonly string[]): Promise<IssueState[]> {
  if (ids.length === 0) return [];
  return tx.all<IssueState>(
    `SELECT id::VARCHAR AS id, status, resolved_at_version, snooze_until, snooze_count::DOUBLE AS snooze_count,
       snooze_events::DOUBLE AS snooze_events
     FROM issues WHERE id IN (SELECT unnest(?::JSON::UUID[]))`,
    [ids],
  );
}

/** A status the grouping decided (regressed, or back to new from a snooze). */
export interface Transition {
  id: string;
  status: "regressed" | "new" | "snoozed";
  /** Errors counted against a count snooze that holds. */
  snoozeEvents?: number;
}

export async function applyTransitions(tx: WriteTx, transitions: readonly Transition[], now: Date) {
  for (const t of transitions) {
    if (t.status === "snoozed") {
      await tx.run("UPDATE issues SET snooze_events = ? WHERE id = ?::UUID", [t.snoozeEvents ?? 0, t.id]);
    } else if (t.status === "regressed") {
      await tx.run(
        "UPDATE issues SET status = 'regressed', resolved_at_version = NULL, regressed_at = ?, updated_at = ? WHERE id = ?::UUID",
        [now, now, t.id],
      );
    } else {
      await tx.run(
        `UPDATE issues SET status = 'new', snoozed_at = NULL, snooze_until = NULL, snooze_count = NULL,
           snooze_events = NULL, updated_at = ? WHERE id = ?::UUID`,
        [now, t.id],
      );
    }
  }
}

// ---- Reads and triage ----------------------------------------------------------------------

/** An issue as the API reads it, with its app's and project's names. */
export interface IssueRow {
  id: string;
  seq: number;
  project_id: string;
  app_id: string;
  is_dev: boolean;
  status: string;
  title: string;
  source_module: string | null;
  event_count: number;
  session_count: number;
  user_count: number;
  first_seen: Date;
  last_seen: Date;
  first_release: string | null;
  last_release: string | null;
  first_sdk_version: string | null;
  last_sdk_version: string | null;
  resolved_at_version: string | null;
  snoozed_at: Date | null;
  snooze_until: Date | null;
  snooze_count: number | null;
  regressed_at: Date | null;
  last_notified_at: Date | null;
  created_at: Date;
  updated_at: Date;
  app_name: string | null;
  project_name: string;
  events_expired: boolean;
  /** The sort key of the list it was read in, as text (a cursor part). */
  sort_key: string;
}

/** The orders a list can take, each a fixed SQL expression (never a caller's text). */
export const ISSUE_SORTS = {
  last_seen: "epoch_us(i.last_seen)",
  first_seen: "epoch_us(i.first_seen)",
  events: "i.event_count",
  users: "i.user_count",
  sessions: "i.session_count",
} as const;
export type IssueSort = keyof typeof ISSUE_SORTS;

const ISSUE = `i.id::VARCHAR AS id, i.seq::DOUBLE AS seq, i.project_id::VARCHAR AS project_id, i.app_id::VARCHAR AS app_id,
  i.is_dev, i.status, i.title, i.source_module, i.event_count::DOUBLE AS event_count,
  i.session_count::DOUBLE AS session_count, i.user_count::DOUBLE AS user_count, i.first_seen, i.last_seen,
  i.first_release, i.last_release, i.first_sdk_version, i.last_sdk_version, i.resolved_at_version, i.snoozed_at,
  i.snooze_until, i.snooze_count::DOUBLE AS snooze_count, i.regressed_at, i.last_notified_at, i.created_at,
  i.updated_at, a.name AS app_name, p.name AS project_name,
  coalesce(i.last_seen < now() - to_days(p.retention_days), false) AS events_expired`;
const FROM = "issues AS i LEFT JOIN apps AS a ON a.id = i.app_id JOIN projects AS p ON p.id = i.project_id";

export interface IssueQuery {
  projectIds: readonly string[];
  appId?: string;
  status?: string;
  isDev: boolean | null;
  release?: string;
  since?: Date;
  sort: IssueSort;
  cursor?: { key: string; id: string };
  limit: number;
}

export async function listIssues(tx: Tx, q: IssueQuery): Promise<IssueRow[]> {
  const key = ISSUE_SORTS[q.sort];
  const where = new Where("list_contains(?::JSON::UUID[], i.project_id)", q.projectIds)
    .when(q.appId, "i.app_id = ?::UUID")
    .when(q.status, "i.status = ?")
    .when(q.isDev ?? undefined, "i.is_dev = ?")
    .when(q.since, "i.last_seen >= ?")
    .when(
      q.release,
      "EXISTS (SELECT 1 FROM issue_events AS r WHERE r.issue_id = i.id AND r.app_version = ?)",
    );
  if (q.cursor) where.add(`(${key}, i.id) < (?::BIGINT, ?::UUID)`, q.cursor.key, q.cursor.id);
  return tx.all<IssueRow>(
    `SELECT ${ISSUE}, (${key})::VARCHAR AS sort_key FROM ${FROM}
     WHERE ${where.sql} ORDER BY ${key} DESC, i.id DESC LIMIT ?`,
    [...where.params, q.limit + 1],
  );
}

export async function findIssue(tx: Tx, projectId: string, id: string): Promise<IssueRow | null> {
  const [row] = await tx.all<IssueRow>(
    `SELECT ${ISSUE}, '' AS sort_key FROM ${FROM} WHERE i.project_id = ?::UUID AND i.id = ?::UUID`,
    [projectId, id],
  );
  return row ?? null;
}

export async function fingerprintsOf(tx: Tx, issueIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (issueIds.length === 0) return out;
  const rows = await tx.all<{ issue_id: string; fingerprint: string }>(
    `SELECT issue_id::VARCHAR AS issue_id, fingerprint FROM issue_fingerprints
     WHERE issue_id IN (SELECT unnest(?::JSON::UUID[])) ORDER BY fingerprint`,
    [issueIds],
  );
  for (const r of rows) out.set(r.issue_id, [...(out.get(r.issue_id) ?? []), r.fingerprint]);
  return out;
}

/** Events per day of each issue since `from` (the list's sparklines, an issue's chart). */
export async function daysOf(tx: Tx, issueIds: readonly string[], from?: Date) {
  const out = new Map<string, Array<{ day: string; events: number }>>();
  if (issueIds.length === 0) return out;
  const rows = await tx.all<{ issue_id: string; day: string; events: number }>(
    `SELECT issue_id::VARCHAR AS issue_id, day::VARCHAR AS day, events::DOUBLE AS events FROM issue_days
     WHERE issue_id IN (SELECT unnest(?::JSON::UUID[])) AND day >= ?::DATE ORDER BY day`,
    [issueIds, (from ?? new Date(0)).toISOString().slice(0, 10)],
  );
  for (const r of rows)
    out.set(r.issue_id, [...(out.get(r.issue_id) ?? []), { day: r.day, events: r.events }]);
  return out;
}

export interface OccurrenceRow {
  issue_id: string;
  session_id: string;
  user_id: string | null;
  event_id: string;
  app_version: string | null;
  sdk_name: string | null;
  sdk_version: string | null;
  environment: string | null;
  country_code: string | null;
  timestamp: Date;
  us: string;
}

/** An issue's occurrences (one a session), newest first, after the cursor. */
export async function occurrencesOf(
  tx: Tx,
  issueId: string,
  cursor: { us: string; id: string } | undefined,
  limit: number,
): Promise<OccurrenceRow[]> {
  const where = new Where("o.issue_id = ?::UUID", issueId);
  if (cursor) where.add("(epoch_us(o.timestamp), o.event_id) < (?::BIGINT, ?::UUID)", cursor.us, cursor.id);
  return tx.all<OccurrenceRow>(
    `SELECT o.issue_id::VARCHAR AS issue_id, o.session_id, o.user_id, o.event_id::VARCHAR AS event_id, o.app_version,
       o.sdk_name, o.sdk_version, o.environment, o.country_code, o.timestamp, epoch_us(o.timestamp)::VARCHAR AS us
     FROM issue_occurrences AS o WHERE ${where.sql} ORDER BY o.timestamp DESC, o.event_id DESC LIMIT ?`,
    [...where.params, limit + 1],
  );
}

export interface AttachmentRow {
  id: string;
  event_id: string;
  original_filename: string;
  content_type: string;
  size_bytes: number;
  uploaded_at: Date;
  created_at: Date;
}

/** The uploaded files of an issue's errors (crash logs …), newest first (Owlmetry lists 20). */
export async function attachmentsOf(tx: Tx, issueId: string, limit: number): Promise<AttachmentRow[]> {
  return tx.all<AttachmentRow>(
    `SELECT a.id::VARCHAR AS id, a.event_id::VARCHAR AS event_id, a.original_filename, a.content_type,
       a.size_bytes::DOUBLE AS size_bytes, a.uploaded_at, a.created_at
     FROM attachments AS a JOIN issue_events AS e ON e.event_id = a.event_id
     WHERE e.issue_id = ?::UUID AND a.deleted_at IS NULL AND a.uploaded_at IS NOT NULL
     ORDER BY a.created_at DESC, a.id DESC LIMIT ?`,
    [issueId, limit],
  );
}

export interface StatusChange {
  status: string;
  resolvedAtVersion: string | null;
  snoozedAt: Date | null;
  snoozeUntil: Date | null;
  snoozeCount: number | null;
}

export async function setStatus(tx: WriteTx, id: string, c: StatusChange, now: Date) {
  await tx.run(
    `UPDATE issues SET status = ?, resolved_at_version = ?, snoozed_at = ?, snooze_until = ?, snooze_count = ?,
       snooze_events = CASE WHEN ?::BIGINT IS NULL THEN NULL ELSE 0 END, updated_at = ?
     WHERE id = ?::UUID`,
    [c.status, c.resolvedAtVersion, c.snoozedAt, c.snoozeUntil, c.snoozeCount, c.snoozeCount, now, id],
  );
}

/** Snoozes whose time has come: back to new. Returns their ids. */
export async function wakeSnoozed(tx: WriteTx, now: Date): Promise<string[]> {
  const rows = await tx.all<{ id: string }>(
    `UPDATE issues SET status = 'new', snoozed_at = NULL, snooze_until = NULL, snooze_count = NULL, snooze_events = NULL,
       updated_at = ?
     WHERE status = 'snoozed' AND snooze_until IS NOT NULL AND snooze_until <= ? RETURNING id::VARCHAR AS id`,
    [now, now],
  );
  return rows.map((r) => r.id);
}

/**
 * Merges `sourceId` into `targetId`: fingerprints, events, occurrences (a session once), users,
 * days and comments move; the target's counts are summed or recounted; the source is deleted and
 * remembered, so a rebuild routes its fingerprints the same way.
 */
export async function mergeIssues(tx: WriteTx, sourceId: string, targetId: string, now: Date) {
  await tx.run("UPDATE issue_fingerprints SET issue_id = ?::UUID WHERE issue_id = ?::UUID", [
    targetId,
    sourceId,
  ]);
  await tx.run("UPDATE issue_events SET issue_id = ?::UUID WHERE issue_id = ?::UUID", [targetId, sourceId]);
  await tx.run(
    `INSERT INTO issue_occurrences
     SELECT ?::UUID, session_id, user_id, event_id, app_version, sdk_name, sdk_version, environment, country_code, timestamp
     FROM issue_occurrences WHERE issue_id = ?::UUID ON CONFLICT DO NOTHING`,
    [targetId, sourceId],
  );
  await tx.run(
    "INSERT INTO issue_users SELECT ?::UUID, user_id FROM issue_users WHERE issue_id = ?::UUID ON CONFLICT DO NOTHING",
    [targetId, sourceId],
  );
  await tx.run(
    `INSERT INTO issue_days SELECT ?::UUID, day, events FROM issue_days WHERE issue_id = ?::UUID
     ON CONFLICT (issue_id, day) DO UPDATE SET events = issue_days.events + excluded.events`,
    [targetId, sourceId],
  );
  for (const table of ["issue_occurrences", "issue_users", "issue_days"] as const) {
    await tx.run(`DELETE FROM ${table} WHERE issue_id = ?::UUID`, [sourceId]);
  }
  await tx.run(
    `UPDATE issues AS t SET
       event_count = t.event_count + s.event_count,
       session_count = (SELECT count(*) FROM issue_occurrences WHERE issue_id = t.id),
       user_count = (SELECT count(*) FROM issue_users WHERE issue_id = t.id),
       first_seen = least(t.first_seen, s.first_seen),
       last_seen = greatest(t.last_seen, s.last_seen),
       first_release = CASE WHEN s.first_release_at < coalesce(t.first_release_at, 'infinity'::TIMESTAMPTZ) THEN s.first_release ELSE t.first_release END,
       first_release_at = least(t.first_release_at, s.first_release_at),
       last_release = CASE WHEN s.last_release_at > coalesce(t.last_release_at, '-infinity'::TIMESTAMPTZ) THEN s.last_release ELSE t.last_release END,
       last_release_at = greatest(t.last_release_at, s.last_release_at),
       first_sdk_version = CASE WHEN s.first_sdk_at < coalesce(t.first_sdk_at, 'infinity'::TIMESTAMPTZ) THEN s.first_sdk_version ELSE t.first_sdk_version END,
       first_sdk_at = least(t.first_sdk_at, s.first_sdk_at),
       last_sdk_version = CASE WHEN s.last_sdk_at > coalesce(t.last_sdk_at, '-infinity'::TIMESTAMPTZ) THEN s.last_sdk_version ELSE t.last_sdk_version END,
       last_sdk_at = greatest(t.last_sdk_at, s.last_sdk_at),
       updated_at = $1
     FROM issues AS s WHERE t.id = $2::UUID AND s.id = $3::UUID`,
    [now, targetId, sourceId],
  );
  await tx.run("UPDATE issue_merges SET target_id = ?::UUID WHERE target_id = ?::UUID", [targetId, sourceId]);
  await tx.run("INSERT INTO issue_merges VALUES (?::UUID, ?::UUID, ?)", [sourceId, targetId, now]);
  await tx.run("DELETE FROM issues WHERE id = ?::UUID", [sourceId]);
}

// ---- Rebuild ----------------------------------------------------------------------------------

/** What people set on issues, which a rebuild keeps for every issue that comes back. */
export interface KeptState {
  id: string;
  seq: number;
  /** A merged issue keeps the title it had, whichever of its errors comes first in a rebuild. */
  title: string;
  status: string;
  resolved_at_version: string | null;
  snoozed_at: Date | null;
  snooze_until: Date | null;
  snooze_count: number | null;
  snooze_events: number | null;
  regressed_at: Date | null;
  last_notified_at: Date | null;
  created_at: Date;
}

export async function keptStates(tx: Tx): Promise<KeptState[]> {
  return tx.all<KeptState>(
    `SELECT id::VARCHAR AS id, seq::DOUBLE AS seq, title, status, resolved_at_version, snoozed_at, snooze_until,
       snooze_count::DOUBLE AS snooze_count, snooze_events::DOUBLE AS snooze_events, regressed_at, last_notified_at,
       created_at
     FROM issues`,
  );
}

const EXPIRED = `SELECT i.id FROM issues AS i JOIN projects AS p ON p.id = i.project_id
  WHERE i.last_seen < now() - to_days(p.retention_days)`;

/**
 * Empties what a rebuild recomputes: every issue but those whose errors have all expired (they
 * keep their counts, and their fingerprints keep routing).
 */
export async function clearForRebuild(tx: WriteTx): Promise<void> {
  for (const table of [
    "issue_fingerprints",
    "issue_events",
    "issue_occurrences",
    "issue_users",
    "issue_days",
  ]) {
    await tx.run(`DELETE FROM ${table} WHERE issue_id NOT IN (${EXPIRED})`);
  }
  await tx.run(`DELETE FROM issues WHERE id NOT IN (${EXPIRED})`);
}

export async function restoreStates(tx: WriteTx, states: readonly KeptState[]): Promise<void> {
  if (states.length === 0) return;
  const rows = unnestRows([
    ["id", "UUID", states.map((s) => s.id)],
    ["seq", "BIGINT", states.map((s) => s.seq)],
    ["title", "VARCHAR", states.map((s) => s.title)],
    ["status", "VARCHAR", states.map((s) => s.status)],
    ["resolved_at_version", "VARCHAR", states.map((s) => s.resolved_at_version)],
    ["snoozed_at", "TIMESTAMPTZ", states.map((s) => s.snoozed_at)],
    ["snooze_until", "TIMESTAMPTZ", states.map((s) => s.snooze_until)],
    ["snooze_count", "BIGINT", states.map((s) => s.snooze_count)],
    ["snooze_events", "BIGINT", states.map((s) => s.snooze_events)],
    ["regressed_at", "TIMESTAMPTZ", states.map((s) => s.regressed_at)],
    ["last_notified_at", "TIMESTAMPTZ", states.map((s) => s.last_notified_at)],
    ["created_at", "TIMESTAMPTZ", states.map((s) => s.created_at)],
  ]);
  await tx.run(
    `UPDATE issues AS i SET seq = v.seq, title = v.title, status = v.status, resolved_at_version = v.resolved_at_version,
       snoozed_at = v.snoozed_at, snooze_until = v.snooze_until, snooze_count = v.snooze_count,
       snooze_events = v.snooze_events, regressed_at = v.regressed_at, last_notified_at = v.last_notified_at,
       created_at = v.created_at
     FROM (${rows.sql}) AS v WHERE i.id = v.id`,
    rows.params,
  );
}

export async function countIssues(tx: Tx): Promise<number> {
  const [row] = await tx.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM issues");
  return row?.n ?? 0;
}

export async function liveProjects(tx: Tx): Promise<string[]> {
  return (
    await tx.all<{ id: string }>(
      "SELECT id::VARCHAR AS id FROM projects WHERE deleted_at IS NULL ORDER BY id",
    )
  ).map((r) => r.id);
}

/** A stored error as grouping reads it (the fields of a StoredEvent it needs). */
export interface StoredError {
  id: string;
  projectId: string;
  appId: string;
  isDev: boolean;
  sessionId: string;
  userId: string | null;
  level: string;
  message: string;
  sourceModule: string | null;
  customAttributes: string | null;
  kind: string | null;
  payload: string | null;
  appVersion: string | null;
  sdkName: string | null;
  sdkVersion: string | null;
  environment: string | null;
  countryCode: string | null;
  timestamp: number;
  receivedAt: number;
}

/**
 * Every stored error of a project, hot and in the lake, in grouping's order, each under the user
 * who claimed its anonymous id (as the live rounds counted it).
 */
export async function storedErrors(tx: Tx, dataDir: string, projectId: string): Promise<StoredError[]> {
  const source = await eventsSource(tx, dataDir, { projectIds: [projectId] });
  return errorsOf(tx, source.sql, source.params, "TRUE");
}

/**
 * At start: the errors a stop or a crash left ungrouped. A round indexes every error it groups in
 * issue_events, in the transaction that groups it, and errors are still hot seconds after their
 * commit; so the hot errors missing from the index are exactly those.
 */
export async function ungroupedErrors(tx: Tx): Promise<StoredError[]> {
  return errorsOf(tx, "SELECT * FROM events", [], "e.id NOT IN (SELECT event_id FROM issue_events)");
}

async function errorsOf(
  tx: Tx,
  sql: string,
  params: readonly Param[],
  where: string,
): Promise<StoredError[]> {
  return tx.all<StoredError>(
    `SELECT e.id::VARCHAR AS id, e.project_id::VARCHAR AS "projectId", e.app_id::VARCHAR AS "appId", e.is_dev AS "isDev",
       e.session_id AS "sessionId", coalesce(c.user_id, e.user_id) AS "userId", e.level, e.message,
       e.source_module AS "sourceModule", e.custom_attributes::JSON::VARCHAR AS "customAttributes", e.kind,
       CASE WHEN e.kind = 'event' THEN e.payload END AS payload, e.app_version AS "appVersion", e.sdk_name AS "sdkName",
       e.sdk_version AS "sdkVersion", e.environment, e.country_code AS "countryCode", epoch_ms(e.timestamp) AS timestamp,
       epoch_ms(e.received_at) AS "receivedAt"
     FROM (${sql}) AS e
     LEFT JOIN identity_claims AS c ON c.project_id = e.project_id AND c.anonymous_id = e.user_id
     WHERE ((e.kind IS NULL AND e.level = 'error') OR e.kind = 'event') AND ${where}
     ORDER BY ${GROUPING_ORDER}`,
    params,
  );
}
