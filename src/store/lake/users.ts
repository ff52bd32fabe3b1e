import { countUsers } from "../app-users";
import { lakeSource } from "../events-source";
import { ensureLocal } from "./cache";
import type { LakeContext } from "./files";

/**
 * Rows of files sealed before users were counted, counted per storage run: the writer (ingest)
 * waits meanwhile. 2M rows of the 10M data set took 1.5–2.8 s, so a run takes half that; 100M
 * events are counted in ~100 runs (about 8 hours on the default schedule).
 */
const USER_COUNT_ROWS = 1_000_000;

/**
 * Counts the users of lake files sealed before the seal counted them (migration 12), up to
 * `maxRows` rows of files a run, in one transaction with their removal from the list. Files that
 * have left the lake since (retention) leave the list uncounted: their events are gone.
 */
export async function countUncountedUsers(
  { store, dataDir, log }: LakeContext,
  maxRows = USER_COUNT_ROWS,
): Promise<{ files: number; rows: number; left: number; ms: number }> {
  const started = performance.now();
  const result = await store.write(async (tx) => {
    await tx.run("DELETE FROM users_uncounted_files WHERE path NOT IN (SELECT path FROM lake_files)");
    const pending = await tx.all<{ path: string; row_count: number }>(
      `SELECT u.path, l.row_count FROM users_uncounted_files u JOIN lake_files l USING (path)
       ORDER BY l.hour, u.path`,
    );
    const batch: string[] = [];
    let rows = 0;
    for (const f of pending) {
      if (batch.length > 0 && rows + f.row_count > maxRows) break;
      batch.push(f.path);
      rows += f.row_count;
    }
    if (batch.length === 0) return { files: 0, rows: 0, left: 0 };
    await ensureLocal(dataDir, batch);
    await countUsers(tx, lakeSource(dataDir, batch));
    await tx.run("DELETE FROM users_uncounted_files WHERE list_contains(?::JSON::VARCHAR[], path)", [batch]);
    return { files: batch.length, rows, left: pending.length - batch.length };
  });
  const ms = Math.round(performance.now() - started);
  if (result.files > 0) log.info("users counted in files sealed before", { ...result, ms });
  return { ...result, ms };
}
