import type { Param, Store } from "../../store/db";
import type { GroupBy, StatsParams } from "./params";

/** The SQL of each group-by dimension, from a fixed list: no request value becomes SQL text. */
const DIMENSIONS: Record<GroupBy, string> = {
  outcome: "outcome",
  category: "CASE WHEN category IN ('default', 'security') THEN 'error' ELSE category END",
  reason: "CASE WHEN reason = 'smart_rate_limit' THEN 'spike_protection' ELSE coalesce(reason, 'none') END",
  project: "project_id::VARCHAR",
};

export interface StatsRow {
  dims: string[];
  bucket: number | null;
  quantity: number;
  times_seen: number;
}

/**
 * Sums of outcome rows per (group-by values, bucket). Intervals under an hour read minute rows
 * (current ∪ rolled, kept 30 days); an hour or more reads the hourly rollups (`outcomes_hourly`, the
 * rows of the files under lake/outcomes) plus the minute rows not
 * yet rolled, truncated to the hour, so there is no gap and no double count at the boundary.
 */
export async function sumOutcomes(
  store: Store,
  projectIds: readonly string[],
  p: StatsParams,
): Promise<StatsRow[]> {
  return store.snapshot(async (tx) => {
    const params: Param[] = [];
    let source: string;
    if (p.intervalS < 3600) {
      source = `SELECT project_id, minute AS t, outcome, reason, category, quantity, times_seen FROM outcomes_minute
        UNION ALL SELECT project_id, minute AS t, outcome, reason, category, quantity, times_seen FROM outcomes_minute_rolled`;
    } else {
      source = `SELECT project_id, date_trunc('hour', minute) AS t, outcome, reason, category, quantity, times_seen
        FROM outcomes_minute
        UNION ALL SELECT project_id, hour AS t, outcome, reason, category, quantity, times_seen FROM outcomes_hourly`;
    }
    const where = [
      "list_contains(?::JSON::UUID[], project_id)",
      "t >= to_timestamp(?)",
      "t < to_timestamp(?)",
    ];
    params.push(projectIds, p.start, p.end);
    if (p.outcomes) {
      where.push("list_contains(?::JSON::VARCHAR[], outcome)");
      params.push(p.outcomes);
    }
    if (p.categories) {
      where.push("list_contains(?::JSON::VARCHAR[], category)");
      params.push(p.categories);
    }
    if (p.reason !== null) {
      where.push("coalesce(reason, 'none') = ?");
      params.push(p.reason);
    }
    const dims = p.groupBy.map((g) => DIMENSIONS[g]);
    const bucket = p.groupBy.includes("project")
      ? "NULL"
      : `(epoch(t)::BIGINT // ${p.intervalS}) * ${p.intervalS}`;
    const rows = await tx.all<{
      dims: string[];
      bucket: number | null;
      quantity: number;
      times_seen: number;
    }>(
      `SELECT [${dims.length ? dims.join(", ") : ""}]::VARCHAR[] AS dims, ${bucket} AS bucket,
         sum(quantity)::BIGINT AS quantity, sum(times_seen)::BIGINT AS times_seen
       FROM (${source}) WHERE ${where.join(" AND ")} GROUP BY ALL`,
      params,
    );
    return rows;
  });
}
