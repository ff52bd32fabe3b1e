import type { ClickHouse } from "../../store/clickhouse/client";
import { literal } from "../../store/clickhouse/literal";
import type { ClaimEvents } from "./claim-events";
import { claimFeedbackAndResponses, foldAppUser, insertClaim } from "./repository";

/**
 * A cluster's side of a claim (decision 017): the claim, feedback, responses and the user's
 * properties in PostgreSQL as on one Roost. Events in ClickHouse keep the anonymous id, as the
 * embedded store's sealed rows do until compaction: every node resolves them through the claims
 * when it reads (the events API's user filter and rows), so nothing is rewritten on the shards.
 * app_users holds properties only on a cluster: there are no counts to fold.
 */
export const clusterClaimEvents = (ch: ClickHouse): ClaimEvents => ({
  async count(_tx, projectId, userId) {
    const [row] = await ch.rows<{ n: string }>(
      `SELECT count() AS n FROM events
       WHERE project_id = toUUID(${literal(projectId)}) AND user_id = ${literal(userId)}`,
    );
    return Number(row?.n ?? 0);
  },
  async record(tx, claim, appId, at) {
    await insertClaim(tx, claim, appId, at);
    await claimFeedbackAndResponses(tx, claim, at);
    await foldAppUser(
      tx,
      claim,
      at,
      `properties = CASE WHEN n.properties IS NULL THEN o.properties
         ELSE (n.properties::jsonb || coalesce(o.properties, '{}')::jsonb)::text END`,
    );
  },
});
