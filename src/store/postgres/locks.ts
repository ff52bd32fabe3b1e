import type { Tx } from "../db";

/**
 * A lock per (project, anonymous id), held to the end of the transaction (decision 017). A claim
 * takes its id's alone; a round that counts users takes those of its events' anonymous ids
 * shared. So a claim and a round never interleave on one id: the round waits for the claim and
 * then sees it, or the claim waits for the round and then folds what it counted.
 */
export async function lockAnonymousIds(
  tx: Tx,
  ids: ReadonlyArray<{ projectId: string; anonymousId: string }>,
  mode: "alone" | "shared",
): Promise<void> {
  if (ids.length === 0) return;
  const sorted = [...ids].sort((a, b) =>
    `${a.projectId}|${a.anonymousId}` < `${b.projectId}|${b.anonymousId}` ? -1 : 1,
  );
  const lock = mode === "alone" ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared";
  await tx.run(
    `SELECT count(${lock}(hashtext(p::text || '|' || a))) FROM unnest(?::JSON::UUID[], ?::JSON::VARCHAR[]) AS u(p, a)`,
    [sorted.map((i) => i.projectId), sorted.map((i) => i.anonymousId)],
  );
}
