import type { Tx } from "../../store/db";

/**
 * Counts `n` more in a shared window if that stays within `max`, atomically across nodes (one
 * upsert that does nothing past the limit); false when it would pass it.
 */
export async function countUsage(
  tx: Tx,
  scope: string,
  windowStart: Date,
  n: number,
  max: number,
): Promise<boolean> {
  if (n > max) return false;
  const rows = await tx.all(
    `INSERT INTO quota_usage (scope, window_start, used) VALUES (?, ?::TIMESTAMPTZ, ?)
     ON CONFLICT (scope, window_start) DO UPDATE SET used = quota_usage.used + EXCLUDED.used
     WHERE quota_usage.used + EXCLUDED.used <= ?
     RETURNING used`,
    [scope, windowStart, n, max],
  );
  return rows.length > 0;
}

/** Windows long over (the longest is an hour): kept no longer than a day. */
export async function pruneUsage(tx: Tx): Promise<void> {
  await tx.run("DELETE FROM quota_usage WHERE window_start < now() - INTERVAL '1 day'");
}
