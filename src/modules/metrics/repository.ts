import type { Param, Tx } from "../../store/db";
import { type AnalyticsFilters, analyticsWhere, experimentPath, usersOf } from "../analytics/repository";

/** What a metric query may group by, and the SQL of each (a fixed list: nothing else reaches SQL). */
export const METRIC_GROUPS = {
  // Buckets as epoch milliseconds by arithmetic (UTC): date_trunc on a TIMESTAMPTZ goes through
  // ICU's calendar and cost a daily series over 90 days 13 of its 38 ms. Weeks start on Monday
  // (1970-01-01 was a Thursday).
  "time:hour": "epoch_ms(e.timestamp) // 3600000 * 3600000",
  "time:day": "epoch_ms(e.timestamp) // 86400000 * 86400000",
  "time:week":
    "(epoch_ms(e.timestamp) // 86400000 - ((epoch_ms(e.timestamp) // 86400000 + 3) % 7 + 7) % 7) * 86400000",
  app_id: "e.app_id::VARCHAR",
  app_version: "e.app_version",
  device_model: "e.device_model",
  os_version: "e.os_version",
  environment: "e.environment",
  country_code: "e.country_code",
} as const;
export type MetricGroup = keyof typeof METRIC_GROUPS | `experiment:${string}`;

/** Counts and duration statistics of one set of metric rows (DuckDB's exact quantiles). */
const stats = (who: string) => `count(*) AS total_count,
  count(*) FILTER (WHERE e.phase = 'start') AS start_count,
  count(*) FILTER (WHERE e.phase = 'complete') AS complete_count,
  count(*) FILTER (WHERE e.phase = 'fail') AS fail_count,
  count(*) FILTER (WHERE e.phase = 'cancel') AS cancel_count,
  count(*) FILTER (WHERE e.phase = 'record') AS record_count,
  avg(e.duration_ms) AS duration_avg_ms, min(e.duration_ms) AS duration_min_ms, max(e.duration_ms) AS duration_max_ms,
  quantile_cont(e.duration_ms, [0.5, 0.9, 0.95, 0.99]) AS quantiles,
  count(DISTINCT ${who}) AS unique_users`;

export interface StatsRow {
  total_count: number;
  start_count: number;
  complete_count: number;
  fail_count: number;
  cancel_count: number;
  record_count: number;
  duration_avg_ms: number | null;
  duration_min_ms: number | null;
  duration_max_ms: number | null;
  quantiles: number[] | null;
  unique_users: number;
}

const scopeOf = (f: AnalyticsFilters, slug: string) => {
  const where = analyticsWhere(f);
  return { sql: `${where.sql} AND e.slug = ?`, params: [...where.params, slug] };
};

/** One metric's statistics over the filters. */
export async function metricStats(tx: Tx, f: AnalyticsFilters, slug: string): Promise<StatsRow> {
  const where = scopeOf(f, slug);
  const users = usersOf(f);
  const [row] = await tx.all<StatsRow>(
    `SELECT ${stats(users.who)} FROM metric_events e ${users.join} WHERE ${where.sql}`,
    where.params,
  );
  return row as StatsRow;
}

/**
 * Starts of the filters older than `before` whose operation never ended: no complete, fail or
 * cancel with their tracking id (ends come after their start, so only ends since the range's
 * start are looked at). A start without a tracking id cannot be matched and is not counted.
 */
export async function abandonedStarts(
  tx: Tx,
  f: AnalyticsFilters,
  slug: string,
  before: Date,
): Promise<number> {
  const where = scopeOf(f, slug);
  const ends = scopeOf({ projectIds: f.projectIds, appId: f.appId, since: f.since, isDev: null }, slug);
  const [row] = await tx.all<{ n: number }>(
    `WITH ends AS (
       SELECT DISTINCT e.app_id, e.tracking_id FROM metric_events e
       WHERE ${ends.sql} AND e.phase IN ('complete', 'fail', 'cancel') AND e.tracking_id IS NOT NULL)
     SELECT count(*) AS n FROM metric_events e ANTI JOIN ends USING (app_id, tracking_id)
     WHERE ${where.sql} AND e.phase = 'start' AND e.tracking_id IS NOT NULL AND e.timestamp < ?::TIMESTAMPTZ`,
    [...ends.params, ...where.params, before],
  );
  return row?.n ?? 0;
}

/** The most frequent errors of failed operations. */
export function errorBreakdown(tx: Tx, f: AnalyticsFilters, slug: string, limit: number) {
  const where = scopeOf(f, slug);
  return tx.all<{ error: string; count: number }>(
    `SELECT e.error AS error, count(*) AS count FROM metric_events e
     WHERE ${where.sql} AND e.phase = 'fail' AND e.error IS NOT NULL
     GROUP BY e.error ORDER BY count DESC, error LIMIT ${limit}`,
    where.params,
  );
}

/**
 * The statistics per value of a dimension (rows without a value are left out): time buckets oldest
 * first, other dimensions most events first.
 */
export async function groupedStats(
  tx: Tx,
  f: AnalyticsFilters,
  slug: string,
  group: MetricGroup,
  limit: number,
): Promise<Array<StatsRow & { value: string }>> {
  const where = scopeOf(f, slug);
  const path = group.startsWith("experiment:") ? experimentPath(group.slice("experiment:".length)) : null;
  const expr = path
    ? "json_extract_string(e.experiments, ?)"
    : METRIC_GROUPS[group as keyof typeof METRIC_GROUPS];
  const exprParams: Param[] = path ? [path] : [];
  const time = group.startsWith("time:");
  // Time buckets are grouped as numbers (epoch ms) and written as text after: grouping by the text
  // cost twice as much over 90 days.
  const users = usersOf(f);
  const rows = await tx.all<StatsRow & { value: string | number }>(
    `SELECT ${expr} AS value, ${stats(users.who)} FROM metric_events e ${users.join}
     WHERE ${where.sql} AND ${expr} IS NOT NULL
     GROUP BY 1 ORDER BY ${time ? "value" : "total_count DESC, value"} LIMIT ${limit}`,
    [...exprParams, ...where.params, ...exprParams],
  );
  return rows.map((r) => ({
    ...r,
    value: time ? new Date(Number(r.value)).toISOString() : String(r.value),
  }));
}

export interface MetricEventRow {
  id: string;
  app_id: string;
  session_id: string;
  user_id: string | null;
  api_key_id: string | null;
  slug: string;
  phase: string;
  tracking_id: string | null;
  duration_ms: number | null;
  error: string | null;
  attributes: string | null;
  experiments: string | null;
  environment: string | null;
  os_version: string | null;
  app_version: string | null;
  device_model: string | null;
  build_number: string | null;
  country_code: string | null;
  is_dev: boolean;
  client_event_id: string;
  timestamp: Date;
  received_at: Date;
  ts_us: string;
}

/** A page of one metric's rows, newest first, after the cursor's (time, id). */
export function metricEvents(
  tx: Tx,
  f: AnalyticsFilters,
  slug: string,
  more: { phase?: string; trackingId?: string; cursor?: { us: string; id: string } },
  limit: number,
) {
  const where = scopeOf(f, slug);
  const parts = [where.sql];
  const params = [...where.params];
  if (more.phase) {
    parts.push("e.phase = ?");
    params.push(more.phase);
  }
  if (more.trackingId) {
    parts.push("e.tracking_id = ?");
    params.push(more.trackingId.toLowerCase());
  }
  if (more.cursor) {
    parts.push(
      "(epoch_us(e.timestamp) < ?::BIGINT OR (epoch_us(e.timestamp) = ?::BIGINT AND e.id < ?::UUID))",
    );
    params.push(more.cursor.us, more.cursor.us, more.cursor.id);
  }
  return tx.all<MetricEventRow>(
    `SELECT e.id::VARCHAR AS id, e.app_id::VARCHAR AS app_id, e.session_id, e.user_id, e.api_key_id::VARCHAR AS api_key_id,
       e.slug, e.phase, e.tracking_id, e.duration_ms, e.error, e.attributes, e.experiments, e.environment, e.os_version,
       e.app_version, e.device_model, e.build_number, e.country_code, e.is_dev, e.client_event_id, e.timestamp,
       e.received_at, epoch_us(e.timestamp)::VARCHAR AS ts_us
     FROM metric_events e WHERE ${parts.join(" AND ")}
     ORDER BY e.timestamp DESC, e.id DESC LIMIT ${limit}`,
    params,
  );
}

/** Complete and fail counts of every metric seen in the filters' rows, per project. */
export function completionsBySlug(tx: Tx, f: AnalyticsFilters) {
  const where = analyticsWhere(f);
  return tx.all<{ project_id: string; slug: string; complete_count: number; fail_count: number }>(
    `SELECT e.project_id::VARCHAR AS project_id, e.slug,
       count(*) FILTER (WHERE e.phase = 'complete') AS complete_count,
       count(*) FILTER (WHERE e.phase = 'fail') AS fail_count
     FROM metric_events e WHERE ${where.sql} GROUP BY ALL ORDER BY project_id, slug`,
    where.params,
  );
}

/** Complete and start events of every metric in the filters. */
export async function completionTotals(
  tx: Tx,
  f: AnalyticsFilters,
): Promise<{ count: number; started: number }> {
  const where = analyticsWhere(f);
  const [row] = await tx.all<{ count: number; started: number }>(
    `SELECT count(*) FILTER (WHERE e.phase = 'complete') AS count, count(*) FILTER (WHERE e.phase = 'start') AS started
     FROM metric_events e WHERE ${where.sql}`,
    where.params,
  );
  return row ?? { count: 0, started: 0 };
}
