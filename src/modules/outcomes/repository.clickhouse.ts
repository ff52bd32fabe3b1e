import type { ClickHouse } from "../../store/clickhouse/client";
import { literal } from "../../store/clickhouse/literal";
import type { OutcomeSum } from "./repository";

/** Outcome totals of one project on ClickHouse, as repository.ts's sumOutcomes gives them (tests, diagnostics). */
export async function sumOutcomesClickHouse(ch: ClickHouse, projectId: string): Promise<OutcomeSum[]> {
  const rows = await ch.rows<OutcomeSum>(
    `SELECT outcome, reason, category, sum(quantity) AS quantity, sum(times_seen) AS times_seen
     FROM outcomes WHERE project_id = toUUID(${literal(projectId)})
     GROUP BY outcome, reason, category ORDER BY outcome, category, reason`,
  );
  return rows.map((r) => ({
    ...r,
    reason: r.reason === "" ? null : r.reason,
    quantity: Number(r.quantity),
    times_seen: Number(r.times_seen),
  }));
}
