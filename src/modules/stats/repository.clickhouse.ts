import type { ClickHouse } from "../../store/clickhouse/client";
import { literal } from "../../store/clickhouse/literal";
import type { GroupBy, StatsParams } from "./params";
import type { StatsRow } from "./repository";

/** Each group-by dimension on ClickHouse, from a fixed list (repository.ts has DuckDB's). */
const DIMENSIONS: Record<GroupBy, string> = {
  outcome: "outcome",
  category: "if(category IN ('default', 'security'), 'error', category)",
  reason: "multiIf(reason = 'smart_rate_limit', 'spike_protection', reason = '', 'none', reason)",
  project: "toString(project_id)",
};

/**
 * Sums of outcome rows per (group-by values, bucket) from the minute rows of the Distributed
 * `outcomes` table (a SummingMergeTree: rows of one key are summed as parts merge, and the query
 * sums whatever is not merged yet).
 */
export async function sumOutcomesClickHouse(
  ch: ClickHouse,
  projectIds: readonly string[],
  p: StatsParams,
): Promise<StatsRow[]> {
  if (projectIds.length === 0) return [];
  const where = [
    `project_id IN (${projectIds.map((id) => `toUUID(${literal(id)})`).join(", ")})`,
    `minute >= toDateTime(${literal(p.start)})`,
    `minute < toDateTime(${literal(p.end)})`,
  ];
  if (p.outcomes) where.push(`outcome IN (${p.outcomes.map((o) => literal(o)).join(", ")})`);
  if (p.categories) where.push(`category IN (${p.categories.map((c) => literal(c)).join(", ")})`);
  if (p.reason !== null) where.push(`if(reason = '', 'none', reason) = ${literal(p.reason)}`);
  const dims = p.groupBy.map((g) => DIMENSIONS[g]);
  const bucket = p.groupBy.includes("project")
    ? "NULL"
    : `intDiv(toUInt32(minute), ${literal(p.intervalS)}) * ${literal(p.intervalS)}`;
  const rows = await ch.rows<{ dims: string[]; bucket: number | null; quantity: number; times_seen: number }>(
    `SELECT ${dims.length ? `[${dims.join(", ")}]` : "emptyArrayString()"} AS dims, ${bucket} AS bucket,
       sum(quantity) AS quantity, sum(times_seen) AS times_seen
     FROM outcomes WHERE ${where.join(" AND ")} GROUP BY dims, bucket`,
  );
  return rows.map((r) => ({
    dims: r.dims,
    bucket: r.bucket === null ? null : Number(r.bucket),
    quantity: Number(r.quantity),
    times_seen: Number(r.times_seen),
  }));
}
