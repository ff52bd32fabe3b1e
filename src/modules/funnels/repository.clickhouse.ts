import type { ClickHouse } from "../../store/clickhouse/client";
import { literal } from "../../store/clickhouse/literal";
import type { Reads } from "../analytics/reads";
import type { AnalyticsFilters } from "../analytics/repository";
import {
  analyticsWhere,
  anyClaimsIn,
  interpolated,
  jsonField,
  who,
} from "../analytics/repository.clickhouse";
import type { IdentityClaims } from "../identity/claims";
import type { FunnelReads } from "./reads";
import type { FUNNEL_GROUPS, FunnelGroup, StepCounts, StepFilter } from "./repository";

/**
 * The funnels API's queries on a cluster's ClickHouse (decision 017), side by side with the
 * embedded store's in repository.ts: the same answers over the events whose step column is set.
 * Attributes and experiments are read with visitParam* (flat objects of strings; 18.16 has no
 * JSONExtract).
 */
export function clickhouseFunnelReads(ch: ClickHouse, claims: IdentityClaims): Reads<FunnelReads> {
  const reads: FunnelReads = {
    anyClaims: anyClaimsIn(claims),
    funnelCounts: (f, steps, group) => funnelCounts(ch, claims, f, steps, group),

    async stepEvents(f, step) {
      const [row] = await ch.rows<{ n: number }>(
        `SELECT count() AS n FROM events
         WHERE ${analyticsWhere(f, claims)} AND step_name IS NOT NULL AND ${stepCondition(step)}`,
      );
      return Number(row?.n ?? 0);
    },

    async experimentsSeen(f) {
      // Few distinct sets of experiments: their text is read, and the names and variants taken here.
      const rows = await ch.rows<{ experiments: string }>(
        `SELECT DISTINCT assumeNotNull(experiments) AS experiments FROM events
         WHERE ${analyticsWhere(f, claims)} AND experiments IS NOT NULL
           AND (metric_slug IS NOT NULL OR step_name IS NOT NULL)`,
      );
      const variants = new Map<string, Set<string>>();
      for (const r of rows) {
        for (const [name, value] of Object.entries(JSON.parse(r.experiments) as Record<string, unknown>)) {
          if (value === null || value === undefined) continue;
          const seen = variants.get(name) ?? new Set<string>();
          seen.add(typeof value === "string" ? value : JSON.stringify(value));
          variants.set(name, seen);
        }
      }
      return [...variants]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, seen]) => ({ name, variants: [...seen].sort() }));
    },
  };
  return (work) => work(reads);
}

/** FUNNEL_GROUPS of repository.ts in ClickHouse. */
const GROUPS: Record<keyof typeof FUNNEL_GROUPS, string> = {
  environment: "environment",
  app_version: "app_version",
};

/** Whether a step event satisfies a step: every field the filter names matches exactly. */
function stepCondition(filter: StepFilter): string {
  const parts: string[] = [];
  if (filter.step_name !== undefined) parts.push(`step_name = ${literal(filter.step_name)}`);
  if (filter.screen_name !== undefined) parts.push(`screen_name = ${literal(filter.screen_name)}`);
  for (const [key, value] of Object.entries(filter.attributes ?? {}))
    parts.push(`${jsonField("custom_attributes", key)} = ${literal(value)}`);
  // A NULL (a missing field) does not match: -If aggregates take no Nullable condition on 18.16.
  return `ifNull(${parts.join(" AND ") || "0"}, 0)`;
}

/**
 * funnelCounts of funnels/repository.ts in ClickHouse: per (group, user), each step's times sorted;
 * closed mode walks them in order (the first time of each step after the step before, -1 when
 * none), open mode counts a user at every step up to the furthest they reached.
 */
async function funnelCounts(
  ch: ClickHouse,
  claims: IdentityClaims,
  f: AnalyticsFilters,
  steps: readonly StepFilter[],
  group: FunnelGroup | null,
): Promise<StepCounts[]> {
  const idx = [...steps.keys()];
  const groupExpr =
    group === null
      ? "NULL"
      : group.startsWith("experiment:")
        ? jsonField("experiments", group.slice("experiment:".length))
        : GROUPS[group as keyof typeof GROUPS];
  const reached = idx.map((i) =>
    i === 0
      ? "if(length(l0) > 0, l0[1], -1) AS t0"
      : `if(t${i - 1} < 0 OR arrayFirst(x -> x > t${i - 1}, l${i}) = 0, -1, arrayFirst(x -> x > t${i - 1}, l${i})) AS t${i}`,
  );
  const furthest = `multiIf(${idx
    .slice()
    .reverse()
    .map((i) => `length(l${i}) > 0, ${i}`)
    .join(", ")}, -1)`;
  // Each step's times from the step before, sorted, per group; their medians out here, where each
  // array is one column (inside the aggregation each reference would sort it again).
  const gaps = idx.slice(1).map((i) => `arraySort(groupArrayIf(t${i} - t${i - 1}, t${i} >= 0)) AS d${i}`);
  const order = "ORDER BY c0 DESC, value";
  const rows = await ch.rows<Record<string, number | string | null>>(
    `SELECT value, ${idx.map((i) => `c${i}, o${i}`).join(", ")},
       ${idx.map((i) => (i === 0 ? "NULL AS m0" : `${interpolated(`d${i}`, 0.5)} AS m${i}`)).join(", ")}
     FROM (
       SELECT g AS value,
         ${idx.map((i) => `countIf(t${i} >= 0) AS c${i}`).join(", ")},
         ${idx.map((i) => `countIf(furthest >= ${i}) AS o${i}`).join(", ")}${gaps.length > 0 ? `, ${gaps.join(", ")}` : ""}
       FROM (
         SELECT g, ${reached.join(", ")}, ${furthest} AS furthest
         FROM (
           SELECT g, who, ${idx.map((i) => `arraySort(groupArrayIf(ts, s${i})) AS l${i}`).join(", ")}
           FROM (
             SELECT ${who(f, claims)} AS who, ts, ${groupExpr} AS g,
               ${steps.map((s, i) => `${stepCondition(s)} AS s${i}`).join(", ")}
             FROM events
             WHERE ${analyticsWhere(f, claims)} AND step_name IS NOT NULL AND user_id IS NOT NULL
           )
           WHERE (${idx.map((i) => `s${i}`).join(" OR ")}) ${group === null ? "" : "AND g IS NOT NULL"}
           GROUP BY g, who
         )
       )
       GROUP BY g ${order}
     )
     ${order}`,
  );
  return rows.map((r) => ({
    value: r.value === null ? null : String(r.value),
    closed: idx.map((i) => Number(r[`c${i}`])),
    open: idx.map((i) => Number(r[`o${i}`])),
    medianMs: idx.map((i) => (r[`m${i}`] === null || r[`m${i}`] === undefined ? null : Number(r[`m${i}`]))),
  }));
}
