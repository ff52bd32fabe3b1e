import type { Tx } from "../../store/db";

/**
 * Takes a token from a caller's shared bucket (refilled at `perSecond` up to `burst`) in one
 * upsert, atomic across nodes; returns the tokens left and whether one was taken.
 */
export async function takeToken(
  tx: Tx,
  name: string,
  caller: string,
  burst: number,
  perSecond: number,
): Promise<{ tokens: number; ok: boolean }> {
  const refill = `least(?::DOUBLE PRECISION, rate_buckets.tokens + extract(epoch FROM now() - rate_buckets.at) * ?::DOUBLE PRECISION)`;
  const [row] = await tx.all<{ tokens: number; ok: boolean }>(
    `INSERT INTO rate_buckets (name, caller, tokens, ok, at) VALUES (?, ?, ?::DOUBLE PRECISION - 1, true, now())
     ON CONFLICT (name, caller) DO UPDATE SET
       tokens = CASE WHEN ${refill} >= 1 THEN ${refill} - 1 ELSE ${refill} END,
       ok = ${refill} >= 1,
       at = now()
     RETURNING tokens, ok`,
    [
      name,
      caller,
      burst,
      burst,
      perSecond,
      burst,
      perSecond,
      burst,
      perSecond,
      burst,
      perSecond,
      burst,
      perSecond,
    ],
  );
  return { tokens: Number(row?.tokens ?? 0), ok: row?.ok ?? true };
}

/** Buckets untouched for a day are full again by then: dropping them changes nothing. */
export async function pruneBuckets(tx: Tx): Promise<void> {
  await tx.run("DELETE FROM rate_buckets WHERE at < now() - INTERVAL '1 day'");
}
