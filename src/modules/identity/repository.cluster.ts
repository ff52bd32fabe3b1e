import type { ClickHouse } from "../../store/clickhouse/client";
import { literal } from "../../store/clickhouse/literal";
import type { Tx } from "../../store/db";
import type { ClaimEvents } from "./claim-events";
import type { Claim } from "./claims";
import { claimFeedbackAndResponses, foldUser, insertClaim } from "./repository";

/**
 * The user a ClickHouse event row counts for: its stored user, or whoever claimed that anonymous
 * id since (`pairs`: this node's claims of the projects read). A row keeps the id it was stored
 * under, so a claim is resolved when read.
 */
export function claimedUser(pairs: readonly Claim[]): string {
  if (pairs.length === 0) return "user_id";
  const from = pairs.map((c) => literal(`${c.projectId}|${c.anonymousId}`)).join(", ");
  const to = pairs.map((c) => literal(c.userId)).join(", ");
  return `if(isNull(user_id), NULL, transform(concat(toString(project_id), '|', assumeNotNull(user_id)), [${from}], [${to}], assumeNotNull(user_id)))`;
}

/**
 * A cluster's side of a claim (decision 017): the claim, feedback, responses and the user's
 * properties in PostgreSQL as on one Roost. Events in ClickHouse keep the anonymous id, as the
 * embedded store's sealed rows do until compaction: every node resolves them through the claims
 * when it reads (the events API's user filter and rows), so nothing is rewritten on the shards.
 * The anonymous user's counts (app-users/repository.cluster.ts) and properties fold
 * into the user's, as on one Roost.
 */
export const clusterClaimEvents = (
  ch: ClickHouse,
  /** In the claim's transaction, first: the pending user counts folded (app-users). */
  beforeClaim: (tx: Tx) => Promise<unknown> = async () => {},
): ClaimEvents => ({
  async count(_tx, projectId, userId) {
    const [row] = await ch.rows<{ n: string }>(
      `SELECT count() AS n FROM events
       WHERE project_id = toUUID(${literal(projectId)}) AND user_id = ${literal(userId)}`,
    );
    return Number(row?.n ?? 0);
  },
  async record(tx, claim, appId, at) {
    // The id's counts so far are in its row before the row folds into the user's.
    await beforeClaim(tx);
    await insertClaim(tx, claim, appId, at);
    await claimFeedbackAndResponses(tx, claim, at);
    await foldUser(
      tx,
      claim,
      at,
      "CASE WHEN n.properties IS NULL THEN o.properties ELSE (n.properties::jsonb || coalesce(o.properties, '{}')::jsonb)::text END",
    );
  },
});
