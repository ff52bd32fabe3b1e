import type { Tx } from "../../store/db";

export interface OutcomeSum {
  outcome: string;
  reason: string | null;
  category: string;
  quantity: number;
  times_seen: number;
}

/** Outcome totals of one project, for tests and diagnostics; the stats API has its own queries. */
export async function sumOutcomes(db: Tx, projectId: string): Promise<OutcomeSum[]> {
  return db.all<OutcomeSum>(
    `SELECT outcome, reason, category, sum(quantity)::BIGINT AS quantity, sum(times_seen)::BIGINT AS times_seen
     FROM outcomes_minute WHERE project_id = ?::UUID
     GROUP BY ALL ORDER BY outcome, category, reason NULLS FIRST`,
    [projectId],
  );
}

/** Ids of live projects among `ids` that belong to `teamIds`. */
export async function liveProjectsOf(
  db: Tx,
  ids: readonly string[],
  teamIds: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0 || teamIds.length === 0) return new Set();
  const rows = await db.all<{ id: string }>(
    `SELECT id::VARCHAR AS id FROM projects
     WHERE list_contains(?::JSON::UUID[], id) AND list_contains(?::JSON::UUID[], team_id) AND deleted_at IS NULL`,
    [ids, teamIds],
  );
  return new Set(rows.map((r) => r.id));
}
