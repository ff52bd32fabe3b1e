import type { Param, Tx } from "../../store/db";
import { type AnalyticsFilters, analyticsWhere, experimentPath, usersOf } from "../analytics/repository";

export interface StepFilter {
  step_name?: string;
  screen_name?: string;
  attributes?: Record<string, string>;
}

/** What a funnel may be grouped by (a fixed list: nothing else reaches SQL). */
export const FUNNEL_GROUPS = { environment: "e.environment", app_version: "e.app_version" } as const;
export type FunnelGroup = keyof typeof FUNNEL_GROUPS | `experiment:${string}`;

/** Whether an event (aliased `e`) satisfies a step: every field the filter names matches exactly. */
function stepCondition(filter: StepFilter): { sql: string; params: Param[] } {
  const parts: string[] = [];
  const params: Param[] = [];
  if (filter.step_name !== undefined) {
    parts.push("e.step_name = ?");
    params.push(filter.step_name);
  }
  if (filter.screen_name !== undefined) {
    parts.push("e.screen_name = ?");
    params.push(filter.screen_name);
  }
  for (const [key, value] of Object.entries(filter.attributes ?? {})) {
    parts.push("json_extract_string(e.attributes, ?) = ?");
    params.push(experimentPath(key), value);
  }
  return { sql: `(${parts.join(" AND ") || "FALSE"})`, params };
}

/** Per funnel step: users in closed mode, in open mode, and the median time from the step before. */
export interface StepCounts {
  value: string | null;
  closed: number[];
  open: number[];
  medianMs: Array<number | null>;
}

/**
 * The users of each step, for every group value (or once, ungrouped). Per user (claims resolved):
 * each step's times in order; closed mode takes the first time of step 0, then of each step the
 * first time after the step before; open mode counts a user at a step when they did it or any
 * later step (Owlmetry's backfill, so the funnel never widens).
 */
export async function funnelCounts(
  tx: Tx,
  f: AnalyticsFilters,
  steps: readonly StepFilter[],
  group: FunnelGroup | null,
): Promise<StepCounts[]> {
  const where = analyticsWhere(f);
  const conditions = steps.map(stepCondition);
  const path = group?.startsWith("experiment:") ? experimentPath(group.slice("experiment:".length)) : null;
  const groupExpr =
    group === null
      ? "NULL"
      : path
        ? "json_extract_string(e.experiments, ?)"
        : FUNNEL_GROUPS[group as keyof typeof FUNNEL_GROUPS];
  const n = steps.length;
  const users = usersOf(f);
  const idx = [...Array(n).keys()];
  // Each step's times per user, then each step's time in a closed funnel from the one before.
  const sequential = idx
    .map((i) =>
      i === 0
        ? "t0 AS (SELECT *, l0[1] AS t0 FROM per_user)"
        : `t${i} AS (SELECT *, list_filter(l${i}, x -> x > t${i - 1})[1] AS t${i} FROM t${i - 1})`,
    )
    .join(",\n");
  const furthest = `greatest(${idx.map((i) => `CASE WHEN len(l${i}) > 0 THEN ${i} END`).join(", ")}, -1)`;
  const rows = await tx.all<Record<string, number | string | null>>(
    `WITH matched AS (
       SELECT ${users.who} AS who, epoch_ms(e.timestamp) AS ms, ${groupExpr} AS g,
         ${conditions.map((c, i) => `${c.sql} AS s${i}`).join(", ")}
       FROM funnel_events e ${users.join}
       WHERE ${where.sql} AND e.user_id IS NOT NULL
     ),
     per_user AS (
       SELECT g, who, ${idx.map((i) => `coalesce(list(ms ORDER BY ms) FILTER (WHERE s${i}), []) AS l${i}`).join(", ")}
       FROM matched WHERE (${idx.map((i) => `s${i}`).join(" OR ")}) ${group === null ? "" : "AND g IS NOT NULL"}
       GROUP BY g, who
     ),
     ${sequential}
     SELECT g AS value,
       ${idx.map((i) => `count(t${i}) AS c${i}`).join(", ")},
       ${idx.map((i) => `count(*) FILTER (WHERE ${furthest} >= ${i}) AS o${i}`).join(", ")},
       ${idx.map((i) => (i === 0 ? "NULL AS m0" : `median(t${i} - t${i - 1}) AS m${i}`)).join(", ")}
     FROM t${n - 1} GROUP BY g ORDER BY c0 DESC, value`,
    [...(path ? [path] : []), ...conditions.flatMap((c) => c.params), ...where.params],
  );
  return rows.map((r) => ({
    value: r.value === null ? null : String(r.value),
    closed: idx.map((i) => Number(r[`c${i}`])),
    open: idx.map((i) => Number(r[`o${i}`])),
    medianMs: idx.map((i) => (r[`m${i}`] === null ? null : Number(r[`m${i}`]))),
  }));
}

/** Events that match a step (a funnel's first or last), over the filters. */
export async function stepEvents(tx: Tx, f: AnalyticsFilters, step: StepFilter): Promise<number> {
  const where = analyticsWhere(f);
  const condition = stepCondition(step);
  const [row] = await tx.all<{ n: number }>(
    `SELECT count(*) AS n FROM funnel_events e WHERE ${where.sql} AND ${condition.sql}`,
    [...where.params, ...condition.params],
  );
  return row?.n ?? 0;
}

/** The experiments seen on metric and step events over the filters, with their variants. */
export function experimentsSeen(tx: Tx, f: AnalyticsFilters) {
  const where = analyticsWhere(f);
  const rows = (table: string) =>
    `SELECT e.experiments FROM ${table} e WHERE ${where.sql} AND e.experiments IS NOT NULL`;
  return tx.all<{ name: string; variants: string[] }>(
    `SELECT x.key AS name, list(DISTINCT x.value ORDER BY x.value) AS variants FROM (
       SELECT unnest(map_entries(experiments::JSON::MAP(VARCHAR, VARCHAR))) AS x FROM (
         ${rows("funnel_events")} UNION ALL ${rows("metric_events")}))
     GROUP BY name ORDER BY name`,
    [...where.params, ...where.params],
  );
}
