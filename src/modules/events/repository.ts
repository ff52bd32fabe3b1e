import type { Database, Param, Store, Tx } from "../../store/db";
import { type PageWindow, planLookup, planPage } from "../../store/event-pages";
import { type EventScope, eventsSource, type IdKey, lakeSource, sourceOver } from "../../store/events-source";
import { ensureLocal } from "../../store/lake";
import type { RecentTimes } from "../pipeline/recent-times";
import type { Event } from "./model";
import type { EventFilters, ListParams } from "./params";

/**
 * An event as the queries return it: the API's event (model.ts), plus its project and the cursor's
 * time in epoch microseconds, with the two maps still JSON text (parsed once, by presentEvent).
 */
export type EventRow = Omit<typeof Event.static, "custom_attributes" | "experiments"> & {
  project_id: string;
  custom_attributes: string | null;
  experiments: string | null;
  ts_us: string;
  /** Only in a lookup by id (a page leaves them out: a Sentry payload can be large). */
  kind?: string | null;
  payload?: string | null;
};

const FIELDS = `id::VARCHAR AS id, app_id::VARCHAR AS app_id, project_id::VARCHAR AS project_id, client_event_id,
  session_id, user_id, api_key_id::VARCHAR AS api_key_id, level, source_module, message, screen_name,
  custom_attributes::JSON::VARCHAR AS custom_attributes, experiments::JSON::VARCHAR AS experiments, environment,
  os_version, app_version, sdk_name, sdk_version, build_number, device_model, locale, country_code, is_dev,
  strftime(timestamp, '%Y-%m-%dT%H:%M:%S.%gZ') AS timestamp, strftime(received_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS received_at,
  epoch_us(timestamp)::VARCHAR AS ts_us`;

/**
 * Rows of events as one JSON text each, built by DuckDB: reading 27 columns value by value out of
 * DuckDB's vectors was most of a page's JavaScript time (see docs/performance.md).
 */
async function eventRows(tx: Tx, sql: string, params: Param[]): Promise<EventRow[]> {
  const rows = await tx.all<{ j: string }>(`SELECT to_json(r)::VARCHAR AS j FROM (${sql}) AS r`, params);
  return rows.map((r) => JSON.parse(r.j) as EventRow);
}

/**
 * The events API's reads, on the embedded store (`duckdbEvents`, below) or on ClickHouse
 * (repository.clickhouse.ts): the service speaks to either.
 */
export interface EventsStore {
  list(visible: Visible, p: ListParams, options?: { recent?: RecentTimes }): Promise<EventRow[]>;
  count(
    visible: Visible,
    f: EventFilters,
    claimed: boolean,
  ): Promise<{ count: number; unique_users: number; unique_sessions: number }>;
  find(visible: Visible, id: string, at: Date | null): Promise<EventRow | null>;
  issueScope(issueId: string): Promise<{ app_id: string; first: Date; last: Date } | null>;
  issuePageSpan(
    issueId: string,
    order: "desc" | "asc",
    cursorUs: string | undefined,
    limit: number,
  ): Promise<{ from: Date; to: Date; ids?: string[] } | null>;
}

export const duckdbEvents = (store: Store): EventsStore => ({
  list: (visible, p, options) => listEvents(store, visible, p, options),
  count: (visible, f, claimed) => countEvents(store, visible, f, claimed),
  find: (visible, id, at) => findEvent(store, visible, id, at),
  issueScope: (issueId) => issueScope(store, issueId),
  issuePageSpan: (issueId, order, cursorUs, limit) => issuePageSpan(store, issueId, order, cursorUs, limit),
});

/** Which events a caller may see: these apps, which live in these projects. */
export interface Visible {
  appIds: string[];
  projectIds: string[];
}

/** The WHERE clause for the filters; every value bound. */
function conditions(visible: Visible, f: EventFilters): { sql: string; params: Param[] } {
  const parts = ["list_contains(?::JSON::UUID[], app_id)"];
  const params: Param[] = [visible.appIds];
  const add = (sql: string, value: Param) => {
    parts.push(sql);
    params.push(value);
  };
  if (f.levels) add("list_contains(?::JSON::VARCHAR[], level)", f.levels);
  const users = userIdsOf(f);
  if (users) {
    parts.push(`user_id IN (${users.map(() => "?").join(", ")})`);
    params.push(...users);
  }
  if (f.sessionId !== undefined) add("session_id = ?", f.sessionId);
  if (f.screenName !== undefined) add("screen_name = ?", f.screenName);
  if (f.environment !== undefined) add("environment = ?", f.environment);
  if (f.isDev !== null) add("is_dev = ?", f.isDev);
  if (f.since) add("timestamp >= ?::TIMESTAMPTZ", f.since);
  if (f.until) add("timestamp < ?::TIMESTAMPTZ", f.until);
  if (f.issueEventIds) add("id IN (SELECT unnest(?::JSON::UUID[]))", f.issueEventIds);
  else if (f.issueId) add("id IN (SELECT event_id FROM issue_events WHERE issue_id = ?::UUID)", f.issueId);
  return { sql: parts.join(" AND "), params };
}

/** The user filter's ids: the user and the anonymous ids they claimed (rows sealed before a claim keep those). */
const userIdsOf = (f: EventFilters): readonly string[] | undefined =>
  f.userId === undefined ? undefined : (f.userIds ?? [f.userId]);

/** The most selective id filter, which lets the lake skip files that cannot hold it. */
function keyOf(f: EventFilters): IdKey | undefined {
  if (f.sessionId !== undefined) return { kind: "s", values: [f.sessionId] };
  const users = userIdsOf(f);
  if (users) return { kind: "u", values: users };
  return undefined;
}

function scopeOf(visible: Visible, from?: Date, to?: Date, key?: IdKey): EventScope {
  return { projectIds: visible.projectIds, from, to, key };
}

/** Below this many lake rows in a window, one query is cheaper than two. */
const TWO_STEP_ROWS = 20_000;

/**
 * The first `limit` rows of one window; over many rows in two steps: the top-N over the sort key alone (DuckDB
 * then reads few columns of every row), then every field of just those rows, from just the files
 * that hold them. At 100M events an hour holds ~45,000 rows; decoding all of their columns for a
 * page of 50 was most of a page's time.
 */
async function pageOf(
  tx: Tx,
  dataDir: string,
  scope: EventScope,
  window: PageWindow,
  where: { sql: string; params: Param[] },
  direction: "ASC" | "DESC",
  limit: number,
  twoStepRows: number,
  timeFirst = false,
): Promise<EventRow[]> {
  if (window.paths.length === 0) {
    const bound = timeFirst && direction === "DESC" && window.from ? window : null;
    return hotPageOf(tx, where, direction, limit, bound);
  }
  await ensureLocal(dataDir, window.paths);
  if (window.rows < twoStepRows) {
    const source = sourceOver(dataDir, scope, window.paths);
    return eventRows(
      tx,
      `SELECT ${FIELDS} FROM (${source.sql}) AS e WHERE ${where.sql}
       ORDER BY timestamp ${direction}, id ${direction} LIMIT ${limit}`,
      [...source.params, ...where.params],
    );
  }
  const keys = sourceOver(dataDir, scope, window.paths, { withFile: true });
  const top = await tx.all<{ id: string; us: number; file: string | null }>(
    `SELECT id::VARCHAR AS id, epoch_us(timestamp) AS us, file FROM (${keys.sql}) AS e WHERE ${where.sql}
     ORDER BY timestamp ${direction}, id ${direction} LIMIT ${limit}`,
    [...keys.params, ...where.params],
  );
  if (top.length === 0) return [];
  const files = [...new Set(top.flatMap((r) => (r.file ? [r.file.slice(dataDir.length + 1)] : [])))];
  const rows = sourceOver(dataDir, scope, files);
  const times = top.map((r) => r.us);
  return eventRows(
    tx,
    `SELECT ${FIELDS} FROM (${rows.sql}) AS e
     WHERE timestamp >= make_timestamptz(?::BIGINT) AND timestamp <= make_timestamptz(?::BIGINT)
       AND list_contains(?::JSON::UUID[], id)
     ORDER BY timestamp ${direction}, id ${direction}`,
    [...rows.params, Math.min(...times), Math.max(...times), top.map((r) => r.id)],
  );
}

/** How many of the newest hot rows within a guessed bound are read before the page's filters. */
const TIME_FIRST_ROWS = 10_000;

/**
 * The first `limit` rows of the hot table alone, as stored, in two steps like a big window: the
 * top-N over the sort key, then every field of just those rows. Through the lake-typed relation
 * (JSON text cast to maps for every row) and in one step, a page over 300k hot rows took ~260 ms.
 * Within a bound guessed from the newest times (`bound`), the newest rows are found by time
 * alone first and the page's filters run on those only: DuckDB tests a page's list of apps on
 * every hot row, even beside a bound on the time (docs/performance.md, session 5). When that
 * finds too few rows, the page's own top-N runs as without a bound.
 */
async function hotPageOf(
  tx: Tx,
  where: { sql: string; params: Param[] },
  direction: "ASC" | "DESC",
  limit: number,
  bound: { from?: Date; to?: Date } | null = null,
): Promise<EventRow[]> {
  const topN = (source: string, params: Param[]) =>
    tx.all<{ id: string; us: number }>(
      `SELECT id::VARCHAR AS id, epoch_us(timestamp) AS us FROM ${source} WHERE ${where.sql}
       ORDER BY timestamp ${direction}, id ${direction} LIMIT ${limit}`,
      [...params, ...where.params],
    );
  let top: Array<{ id: string; us: number }> = [];
  if (bound?.from) {
    const until = bound.to ? " AND timestamp < ?::TIMESTAMPTZ" : "";
    top = await topN(
      `(SELECT id, timestamp, app_id, is_dev FROM events WHERE timestamp >= ?::TIMESTAMPTZ${until}
        ORDER BY timestamp DESC, id DESC LIMIT ${TIME_FIRST_ROWS}) AS recent`,
      bound.to ? [bound.from, bound.to] : [bound.from],
    );
  }
  if (top.length < limit) top = await topN("events", []);
  if (top.length === 0) return [];
  const times = top.map((r) => r.us);
  return eventRows(
    tx,
    // The page's own conditions again: with a selective one (a user) DuckDB filters by it before
    // the join, instead of probing every row of the time range (460 ms at 10M hot rows).
    `SELECT ${FIELDS} FROM events
     WHERE ${where.sql} AND timestamp >= make_timestamptz(?::BIGINT) AND timestamp <= make_timestamptz(?::BIGINT)
       AND id IN (SELECT unnest(?::JSON::UUID[]))
     ORDER BY timestamp ${direction}, id ${direction}`,
    [...where.params, Math.min(...times), Math.max(...times), top.map((r) => r.id)],
  );
}

/**
 * One page, plus one row more when there is a next page: the windows are read in page order until
 * the page is full, so the newest page reads the newest partitions and the hot table only. A
 * newest-first page filtered by apps alone is read first within the bound the newest known times
 * of its apps give (`recent`), and again without it when that bound held too few rows; the rows
 * read teach `recent` in turn.
 */
export async function listEvents(
  store: Store,
  visible: Visible,
  p: ListParams,
  options: { twoStepRows?: number; recent?: RecentTimes } = {},
): Promise<EventRow[]> {
  const twoStepRows = options.twoStepRows ?? TWO_STEP_ROWS;
  const { recent } = options;
  const guess =
    recent && guessable(p) ? recent.edge(visible.appIds, p.isDev, p.limit + 1, newestAllowed(p)) : null;
  if (guess !== null && guess > (p.since?.getTime() ?? Number.NEGATIVE_INFINITY)) {
    const page = await readPage(store, visible, p, twoStepRows, new Date(guess));
    if (page.length > p.limit) return page;
  }
  const page = await readPage(store, visible, p, twoStepRows, null);
  for (const row of page) recent?.add(row.app_id, row.is_dev, Math.floor(Number(row.ts_us) / 1000));
  return page;
}

/** Pages whose only filters are apps and data mode, newest first: what the newest times can bound. */
const guessable = (p: ListParams) =>
  p.order === "desc" &&
  !p.levels &&
  p.userId === undefined &&
  p.sessionId === undefined &&
  p.screenName === undefined &&
  p.environment === undefined;

/** The newest time a page's rows may have (ms, exclusive): its cursor's, else its until. */
function newestAllowed(p: ListParams): number {
  if (p.cursor) return Number(BigInt(p.cursor.ts) / 1000n) + 1;
  return p.until?.getTime() ?? Number.POSITIVE_INFINITY;
}

/** The page, read from `bound` on when one is given (the hot rows by time first). */
async function readPage(
  store: Store,
  visible: Visible,
  p: ListParams,
  twoStepRows: number,
  bound: Date | null,
): Promise<EventRow[]> {
  const where = conditions(visible, p);
  const direction = p.order === "desc" ? "DESC" : "ASC";
  const beyond = p.order === "desc" ? "<" : ">";
  // listEvents gives a bound only when it is later than the page's since.
  let from = bound ?? p.since;
  let to = p.until;
  if (p.cursor) {
    const ms = Number(BigInt(p.cursor.ts) / 1000n);
    where.sql += ` AND (timestamp ${beyond} make_timestamptz(?::BIGINT) OR (timestamp = make_timestamptz(?::BIGINT) AND id ${beyond} ?::UUID))`;
    where.params.push(p.cursor.ts, p.cursor.ts, p.cursor.id);
    if (p.order === "desc") to = new Date(Math.min(to?.getTime() ?? Number.POSITIVE_INFINITY, ms + 1));
    else from = new Date(Math.max(from?.getTime() ?? Number.NEGATIVE_INFINITY, ms));
  }
  const key = keyOf(p);
  return store.snapshot(async (tx) => {
    const page: EventRow[] = [];
    const windows = await planPage(tx, store.dataDir, {
      projectIds: visible.projectIds,
      order: p.order,
      rowsWanted: p.limit + 1,
      from,
      to,
      key,
    });
    for (const window of windows) {
      const bounds: string[] = [];
      const boundParams: Param[] = [];
      if (window.from) {
        bounds.push("timestamp >= ?::TIMESTAMPTZ");
        boundParams.push(window.from);
      }
      if (window.to) {
        bounds.push("timestamp < ?::TIMESTAMPTZ");
        boundParams.push(window.to);
      }
      const rows = await pageOf(
        tx,
        store.dataDir,
        scopeOf(visible, window.from, window.to, key),
        window,
        { sql: [where.sql, ...bounds].join(" AND "), params: [...where.params, ...boundParams] },
        direction,
        p.limit + 1 - page.length,
        twoStepRows,
        bound !== null,
      );
      page.push(...rows);
      if (page.length > p.limit) break;
    }
    return page;
  });
}

/** Filters a count can answer from the per-file summaries: scope and data_mode only. */
const summarisable = (f: EventFilters) =>
  !f.levels &&
  f.userId === undefined &&
  f.sessionId === undefined &&
  f.screenName === undefined &&
  f.environment === undefined &&
  f.issueId === undefined &&
  !f.since &&
  !f.until;

/**
 * Count and exact uniques from the lake's per-file summaries plus the hot table: no Parquet file is
 * opened. Uniques are distinct 64-bit hashes of the ids (a collision among ~10^5 ids has odds near
 * 10^-9). Null when a live file in scope has no summary yet; the caller then reads the files.
 */
async function countFromSummaries(tx: Tx, visible: Visible, f: EventFilters, claimed: boolean) {
  const dev = "(?::BOOLEAN IS NULL OR is_dev = ?::BOOLEAN)";
  const scope = [visible.appIds, f.isDev, f.isDev];
  const [missing] = await tx.all<{ n: number }>(
    `SELECT count(*) AS n FROM lake_files l WHERE list_contains(?::JSON::UUID[], project_id)
       AND NOT EXISTS (SELECT 1 FROM lake_file_counts c WHERE c.path = l.path)`,
    [visible.projectIds],
  );
  if ((missing?.n ?? 0) > 0) return null;
  // A user's key counts as the user who claimed it, if any (files sealed before a claim hold it).
  const resolve = `LEFT JOIN (SELECT a.id AS app_id, hash(c.anonymous_id) AS anon, hash(c.user_id) AS real
      FROM identity_claims c JOIN apps a ON a.project_id = c.project_id) AS m ON m.app_id = k.app_id AND m.anon = k.key`;
  const keys = (kind: "u" | "s", column: string) =>
    `SELECT count(DISTINCT ${kind === "u" && claimed ? "coalesce(m.real, k.key)" : "k.key"}) FROM (
       SELECT app_id, key FROM lake_file_keys WHERE kind = '${kind}' AND list_contains(?::JSON::UUID[], app_id) AND ${dev}
       UNION ALL
       SELECT app_id, hash(${column}) FROM events WHERE ${column} IS NOT NULL AND list_contains(?::JSON::UUID[], app_id) AND ${dev}
     ) AS k ${kind === "u" && claimed ? resolve : ""}`;
  const [row] = await tx.all<{ count: number; unique_users: number; unique_sessions: number }>(
    `SELECT
       (SELECT coalesce(sum(row_count), 0) FROM lake_file_counts WHERE list_contains(?::JSON::UUID[], app_id) AND ${dev})
         + (SELECT count(*) FROM events WHERE list_contains(?::JSON::UUID[], app_id) AND ${dev}) AS count,
       (${keys("u", "user_id")}) AS unique_users,
       (${keys("s", "session_id")}) AS unique_sessions`,
    [...scope, ...scope, ...scope, ...scope, ...scope, ...scope],
  );
  return row ?? null;
}

/**
 * `claimed`: whether the visible projects hold any identity claim. Only then are users resolved
 * through the claims (a join that cost 6–8 ms at 1M events even with no claim to find).
 */
export async function countEvents(store: Store, visible: Visible, f: EventFilters, claimed: boolean) {
  const where = conditions(visible, f);
  return store.snapshot(async (tx) => {
    if (summarisable(f)) {
      const fast = await countFromSummaries(tx, visible, f, claimed);
      if (fast) return fast;
    }
    const source = await eventsSource(tx, store.dataDir, scopeOf(visible, f.since, f.until, keyOf(f)));
    const users = claimed ? "coalesce(c.user_id, e.user_id)" : "user_id";
    const resolve = claimed
      ? "LEFT JOIN identity_claims c ON c.project_id = e.project_id AND c.anonymous_id = e.user_id"
      : "";
    const [row] = await tx.all<{ count: number; unique_users: number; unique_sessions: number }>(
      `SELECT count(*) AS count, count(DISTINCT ${users}) AS unique_users, count(DISTINCT session_id) AS unique_sessions
       FROM (SELECT * FROM (${source.sql}) WHERE ${where.sql}) AS e ${resolve}`,
      [...source.params, ...where.params],
    );
    return row ?? { count: 0, unique_users: 0, unique_sessions: 0 };
  });
}

/** An issue's app and the span of its errors: an issue_id filter reads only that app and time. */
export async function issueScope(store: Pick<Database, "read">, issueId: string) {
  const [row] = await store.read<{ app_id: string; first: Date; last: Date }>(
    "SELECT app_id::VARCHAR AS app_id, first_seen AS first, last_seen AS last FROM issues WHERE id = ?::UUID",
    [issueId],
  );
  return row ?? null;
}

/**
 * The span of the page an issue_id filter asks for: its issue's `limit` errors next after the
 * cursor (newest first, or oldest first), from the issue's index of its errors. The page's scan
 * then reads only the files of that span instead of the issue's whole life.
 */
export async function issuePageSpan(
  store: Pick<Database, "read">,
  issueId: string,
  order: "desc" | "asc",
  cursorUs: string | undefined,
  limit: number,
): Promise<{ from: Date; to: Date; ids?: string[] } | null> {
  const after =
    cursorUs === undefined ? "" : `AND epoch_us(timestamp) ${order === "desc" ? "<" : ">"} ?::BIGINT`;
  const [row] = await store.read<{ lo: string | null; hi: string | null }>(
    `SELECT min(us)::VARCHAR AS lo, max(us)::VARCHAR AS hi FROM (
       SELECT epoch_us(timestamp) AS us FROM issue_events WHERE issue_id = ?::UUID ${after}
       ORDER BY timestamp ${order === "desc" ? "DESC" : "ASC"} LIMIT ?) AS span`,
    cursorUs === undefined ? [issueId, limit] : [issueId, cursorUs, limit],
  );
  if (!row?.lo || !row.hi) return null;
  const ms = (us: string, up: boolean) => Math.floor(Number(BigInt(us) / 1000n)) + (up ? 1 : 0);
  // Inclusive of the cursor's own time (rows there with a later id belong to this page).
  const ends =
    cursorUs === undefined ? [row.lo, row.hi] : order === "desc" ? [row.lo, cursorUs] : [cursorUs, row.hi];
  const from = new Date(ms(ends[0] as string, false));
  const to = new Date(ms(ends[1] as string, true));
  // The span's errors by id: the page then matches a short list instead of the issue's whole index
  // in every window it reads.
  const ids = await store.read<{ id: string }>(
    `SELECT event_id::VARCHAR AS id FROM issue_events
     WHERE issue_id = ?::UUID AND timestamp >= ?::TIMESTAMPTZ AND timestamp < ?::TIMESTAMPTZ LIMIT ?`,
    [issueId, from, to, SPAN_IDS + 1],
  );
  return { from, to, ids: ids.length > SPAN_IDS ? undefined : ids.map((r) => r.id) };
}

/** Every error of an issue, by id (a cluster's issue filter without a page span: counts). */
export async function issueEventIds(store: Pick<Database, "read">, issueId: string): Promise<string[]> {
  const rows = await store.read<{ id: string }>(
    "SELECT event_id::VARCHAR AS id FROM issue_events WHERE issue_id = ?::UUID",
    [issueId],
  );
  return rows.map((r) => r.id);
}

/** More errors than this in one page's span (a burst in one millisecond): the index is read instead. */
const SPAN_IDS = 10_000;

/** One event by id; `at` (from a UUIDv7 id) narrows the search to its partition. */
export async function findEvent(
  store: Store,
  visible: Visible,
  id: string,
  at: Date | null,
): Promise<EventRow | null> {
  const to = at ? new Date(at.getTime() + 1) : undefined;
  const scope = scopeOf(visible, at ?? undefined, to);
  return store.snapshot(async (tx) => {
    const byId = async (source: { sql: string; params: Param[] }) =>
      (
        await eventRows(
          tx,
          `SELECT ${FIELDS}, kind, payload FROM (${source.sql}) AS e
           WHERE id = ?::UUID AND list_contains(?::JSON::UUID[], app_id) LIMIT 1`,
          [...source.params, id, visible.appIds],
        )
      )[0] ?? null;
    // The hot table alone first, as stored (small; the union with the lake, and the hot side's
    // casts to the lake's types, cost more than a query of its own); then the one partition the
    // id's project hint names; then the other projects' files.
    // The id's own millisecond bounds the scan, so DuckDB skips the hot table's row groups by
    // their time range (a backfill holds millions of rows hot until the next seal).
    const hot = await byId(
      at
        ? {
            sql: "SELECT * FROM events WHERE timestamp >= ?::TIMESTAMPTZ AND timestamp < ?::TIMESTAMPTZ",
            params: [at, to as Date],
          }
        : { sql: "SELECT * FROM events", params: [] },
    );
    if (hot) return hot;
    for (const paths of await planLookup(tx, store.dataDir, id, scope)) {
      await ensureLocal(store.dataDir, paths);
      const row = await byId(lakeSource(store.dataDir, paths));
      if (row) return row;
    }
    return null;
  });
}
