import { statSync } from "node:fs";
import { join } from "node:path";
import type { Tx } from "../db";
import { ensureLocal } from "./cache";
import { type LakeContext, writeParquet } from "./files";

const HOUR_MS = 3_600_000;

/**
 * Rolls the minute outcome rows of complete hours into hourly rows: one new Parquet file per
 * date under `lake/outcomes/`, and the minute rows moved to `outcomes_minute_rolled` in the same
 * transaction, so a rerun finds nothing to count twice.
 */
export async function rollupOutcomes(
  { store, dataDir, log }: LakeContext,
  now: Date,
): Promise<{ rows: number; files: number; ms: number }> {
  const started = performance.now();
  const hourStart = new Date(now.getTime() - (now.getTime() % HOUR_MS));
  const result = await store.write(async (tx) => {
    const dates = await tx.all<{ date: string }>(
      "SELECT DISTINCT strftime(minute, '%Y-%m-%d') AS date FROM outcomes_minute WHERE minute < ? ORDER BY 1",
      [hourStart],
    );
    let rows = 0;
    for (const { date } of dates) {
      const dir = join(dataDir, "lake", "outcomes", `date=${date}`);
      const dayStart = new Date(`${date}T00:00:00Z`);
      const dayEnd = new Date(Math.min(dayStart.getTime() + 24 * HOUR_MS, hourStart.getTime()));
      const path = await writeParquet(
        tx,
        dataDir,
        dir,
        `SELECT project_id, key_id, date_trunc('hour', minute) AS hour, outcome, reason, category,
           sum(quantity)::BIGINT AS quantity, sum(times_seen)::BIGINT AS times_seen
         FROM outcomes_minute WHERE minute >= ? AND minute < ? GROUP BY ALL ORDER BY ALL`,
        [dayStart, dayEnd],
      );
      const [count] = await tx.all<{ n: number }>("SELECT count(*) AS n FROM read_parquet(?)", [
        join(dataDir, path),
      ]);
      await tx.run(
        "INSERT INTO lake_outcome_files (path, date, row_count, bytes) VALUES (?, ?::DATE, ?, ?)",
        [path, date, count?.n ?? 0, statSync(join(dataDir, path)).size],
      );
      await loadOutcomeFiles(tx, dataDir, [path]);
      rows += count?.n ?? 0;
    }
    await tx.run("INSERT INTO outcomes_minute_rolled SELECT * FROM outcomes_minute WHERE minute < ?", [
      hourStart,
    ]);
    await tx.run("DELETE FROM outcomes_minute WHERE minute < ?", [hourStart]);
    await tx.run("DELETE FROM outcomes_minute_rolled WHERE minute < ?", [
      new Date(now.getTime() - 30 * 24 * HOUR_MS),
    ]);
    return { rows, files: dates.length };
  });
  const ms = Math.round(performance.now() - started);
  if (result.files > 0) log.info("outcome rollup", { ...result, ms });
  return { ...result, ms };
}

/** Rollup files written before the `outcomes_hourly` table existed: their rows, loaded once. */
export async function loadOlderOutcomeFiles({ store, dataDir, log }: LakeContext): Promise<void> {
  const started = performance.now();
  const loaded = await store.write(async (tx) => {
    const paths = (
      await tx.all<{ path: string }>(
        "SELECT path FROM lake_outcome_files f WHERE NOT EXISTS (SELECT 1 FROM outcome_files_loaded l WHERE l.path = f.path)",
      )
    ).map((r) => r.path);
    if (paths.length === 0) return 0;
    await ensureLocal(dataDir, paths);
    await loadOutcomeFiles(tx, dataDir, paths);
    return paths.length;
  });
  if (loaded > 0) {
    log.info("hourly outcomes loaded from rollup files", {
      files: loaded,
      ms: Math.round(performance.now() - started),
    });
  }
}

/** The rows of hourly outcome rollup files into `outcomes_hourly`, inside the caller's transaction. */
async function loadOutcomeFiles(tx: Tx, dataDir: string, paths: readonly string[]): Promise<void> {
  await tx.run(
    `INSERT INTO outcomes_hourly
     SELECT project_id, key_id, hour, outcome, reason, category, quantity, times_seen FROM read_parquet(?::VARCHAR[])`,
    [paths.map((p) => join(dataDir, p))],
  );
  await tx.run("INSERT INTO outcome_files_loaded SELECT unnest(?::JSON::VARCHAR[])", [paths]);
}
