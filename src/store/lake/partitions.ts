import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { rollUpUsers } from "../app-users";
import type { Tx } from "../db";
import { ensureLocal } from "./cache";
import {
  addToManifest,
  type LakeContext,
  lakePath,
  type NewFile,
  type Partition,
  partitionDir,
  publish,
  retireFiles,
  TEMP_SUFFIX,
  WRITE_OPTIONS,
  writeParquet,
} from "./files";
import { EVENT_FILE_COLUMNS, FORMAT_TAG, HOT_AS_FILE_COLUMNS, readEventFiles } from "./format";

/** Sorted for pruning: a query for one app and a time range skips most row groups. */
export const SORT = "ORDER BY app_id, timestamp, id";
const HOUR_MS = 3_600_000;
const COPY_PARTITIONS = 256;
const COPY_ROWS = 1_000_000;
/**
 * A partition of the running hour is merged on every run while it is small (a rewrite is cheap and
 * every file costs each query that reads the hour), else once it holds OPEN_HOUR_FILES files.
 */
const OPEN_HOUR_FILES = 4;
export const SMALL_PARTITION_ROWS = 100_000;

/**
 * Moves hot events received before `cutoff` into Parquet, in one transaction with the manifest rows
 * and the deletion of the hot rows. One partitioned COPY writes every touched (project, hour of
 * timestamp) partition in a single pass over the hot table: a COPY per partition scanned the whole
 * table once per partition, and a backfill spread over 90 days touches thousands (8,640 for 1M
 * events in 4 projects: minutes, then out of memory). DuckDB's partitioned writer keeps no order
 * within a file and may split a partition into several files (each file's rows and time range are
 * read back from it for the manifest); compaction sorts and merges them.
 * Ingest waits for a seal (one writer), so seals run often and stay small. The same transaction
 * counts the sealed rows' users (app-users.ts).
 */
export async function seal(
  { store, dataDir, log }: LakeContext,
  cutoff: Date,
): Promise<{ rows: number; files: number; ms: number }> {
  const started = performance.now();
  const result = await store.write(async (tx) => {
    const partitions = await tx.all<{ project_id: string; hour: Date; n: number }>(
      `SELECT project_id::VARCHAR AS project_id, date_trunc('hour', timestamp) AS hour, count(*) AS n
       FROM events WHERE received_at < ? GROUP BY ALL ORDER BY ALL`,
      [cutoff],
    );
    if (partitions.length === 0) return { rows: 0, files: 0 };
    await rollUpUsers(tx, cutoff);
    const batch = Bun.randomUUIDv7();
    const root = join(dataDir, "lake", "events");
    mkdirSync(root, { recursive: true });
    for (const [from, to] of copyRanges(partitions)) {
      // The path is made here from the data directory and a UUID: no request value is in it.
      await tx.run(
        `COPY (
           SELECT ${HOT_AS_FILE_COLUMNS}, project_id, strftime(timestamp, '%Y-%m-%d') AS date, strftime(timestamp, '%H') AS hour
           FROM events WHERE received_at < ? AND timestamp >= ? AND timestamp < ?
         ) TO '${root.replaceAll("'", "''")}' (${WRITE_OPTIONS}, PARTITION_BY (project_id, date, hour),
           FILENAME_PATTERN '${batch}_{uuid}${FORMAT_TAG}', FILE_EXTENSION '${TEMP_SUFFIX.slice(1)}', OVERWRITE_OR_IGNORE)`,
        [cutoff, from, to],
      );
    }
    const partitionOf = new Map<string, Partition>();
    for (const p of partitions) {
      const partition = { projectId: p.project_id, hour: p.hour.getTime() };
      const dir = partitionDir(dataDir, partition);
      for (const name of readdirSync(dir)) {
        if (name.startsWith(batch) && name.endsWith(TEMP_SUFFIX))
          partitionOf.set(publish(dataDir, join(dir, name)), partition);
      }
    }
    const files: NewFile[] = (await statsOf(tx, dataDir, [...partitionOf.keys()])).map((f) => ({
      ...(partitionOf.get(f.path) as Partition),
      ...f,
    }));
    const rows = partitions.reduce((n, p) => n + p.n, 0);
    const held = files.reduce((n, f) => n + f.rows, 0);
    if (held !== rows) throw new Error(`seal wrote ${held} rows in ${files.length} files, expected ${rows}`);
    await addToManifest(tx, dataDir, files);
    await tx.run("DELETE FROM events WHERE received_at < ?", [cutoff]);
    return { rows, files: files.length };
  });
  const ms = Math.round(performance.now() - started);
  if (result.files > 0) log.info("seal", { ...result, ms });
  return { ...result, ms };
}

/**
 * The hour ranges a seal copies, each in one partitioned COPY: a COPY holds every partition it
 * writes open in memory (8,640 at once ran out of 4 GB), so at most COPY_PARTITIONS partitions and
 * COPY_ROWS rows go into one; a partition is never split between two.
 */
function copyRanges(partitions: ReadonlyArray<{ hour: Date; n: number }>): Array<[Date, Date]> {
  const byHour = new Map<number, { partitions: number; rows: number }>();
  for (const p of partitions) {
    const hour = byHour.get(p.hour.getTime()) ?? { partitions: 0, rows: 0 };
    hour.partitions++;
    hour.rows += p.n;
    byHour.set(p.hour.getTime(), hour);
  }
  const ranges: Array<[Date, Date]> = [];
  let start: number | null = null;
  let last = 0;
  let held = { partitions: 0, rows: 0 };
  for (const [hour, size] of [...byHour].sort(([a], [b]) => a - b)) {
    if (
      start !== null &&
      (held.partitions + size.partitions > COPY_PARTITIONS || held.rows + size.rows > COPY_ROWS)
    ) {
      ranges.push([new Date(start), new Date(hour)]);
      start = null;
      held = { partitions: 0, rows: 0 };
    }
    start ??= hour;
    last = hour;
    held = { partitions: held.partitions + size.partitions, rows: held.rows + size.rows };
  }
  if (start !== null) ranges.push([new Date(start), new Date(last + HOUR_MS)]);
  return ranges;
}

/** Rows and time range of each new file, read from the files (all of them in one query). */
export async function statsOf(tx: Tx, dataDir: string, paths: readonly string[]) {
  const rows = await tx.all<{ file: string; n: number; min_ts: Date; max_ts: Date }>(
    `SELECT filename AS file, count(*) AS n, min(timestamp) AS min_ts, max(timestamp) AS max_ts
     FROM read_parquet(?::VARCHAR[], filename = true) GROUP BY filename`,
    [paths.map((p) => join(dataDir, p))],
  );
  return rows.map((r) => ({
    path: lakePath(dataDir, r.file),
    rows: r.n,
    minTs: r.min_ts,
    maxTs: r.max_ts,
  }));
}

/**
 * Merges each partition that has several files into one, sorted by (app_id, timestamp, id); the
 * old files leave the manifest in the same transaction and are deleted later, once no query that
 * started before can be reading them. A partition whose hour is still running gets a new file
 * from every seal; once it is big it is merged only when it holds OPEN_HOUR_FILES: merging it on
 * every run rewrote the whole hour so far each time (quadratic in the runs per hour;
 * bench/storage.ts).
 */
export async function compact(
  { store, dataDir, log }: LakeContext,
  now: Date,
  smallPartitionRows = SMALL_PARTITION_ROWS,
): Promise<{ partitions: number; filesIn: number; rows: number; ms: number }> {
  const started = performance.now();
  const candidates = await store.read<{ project_id: string; hour: Date; paths: string[] }>(
    // A partition with files whose users are not counted yet waits (lake/users.ts).
    `SELECT project_id::VARCHAR AS project_id, hour, list(path ORDER BY path) AS paths
     FROM lake_files l LEFT JOIN users_uncounted_files u USING (path) GROUP BY project_id, hour
     HAVING count(*) >= 2 AND count(u.path) = 0
       AND (hour + INTERVAL 1 HOUR <= ?::TIMESTAMPTZ OR count(*) >= ?::INTEGER OR sum(row_count) <= ?::BIGINT)
     ORDER BY hour`,
    [now, OPEN_HOUR_FILES, smallPartitionRows],
  );
  let filesIn = 0;
  let rows = 0;
  for (const c of candidates) {
    const partition: Partition = { projectId: c.project_id, hour: c.hour.getTime() };
    const done = await store.write(async (tx) => {
      // Re-read inside the transaction: the set may have changed since the candidates were listed.
      const current = await tx.all<{ path: string; row_count: number }>(
        "SELECT path, row_count FROM lake_files WHERE project_id = ?::UUID AND hour = ? ORDER BY path",
        [c.project_id, c.hour],
      );
      if (current.length < 2) return null;
      await ensureLocal(
        dataDir,
        current.map((f) => f.path),
      );
      const source = readEventFiles(current.map((f) => join(dataDir, f.path)));
      const path = await writeParquet(
        tx,
        dataDir,
        partitionDir(dataDir, partition),
        // Rows sealed before their anonymous id was claimed take the claiming user's id here.
        `SELECT ${EVENT_FILE_COLUMNS} FROM (
           SELECT f.* REPLACE (coalesce((SELECT c.user_id FROM identity_claims c
             WHERE c.project_id = ?::UUID AND c.anonymous_id = f.user_id), f.user_id) AS user_id)
           FROM (${source.sql}) AS f) ${SORT}`,
        [c.project_id, ...source.params],
        FORMAT_TAG,
      );
      const [stats] = await statsOf(tx, dataDir, [path]);
      const expected = current.reduce((n, f) => n + f.row_count, 0);
      if (!stats || stats.rows !== expected) {
        throw new Error(
          `compaction of ${c.project_id} ${c.hour.toISOString()} wrote ${stats?.rows} rows, expected ${expected}`,
        );
      }
      await retireFiles(
        tx,
        current.map((f) => f.path),
      );
      await addToManifest(tx, dataDir, [{ ...partition, ...stats }]);
      return { files: current.length, rows: stats.rows };
    });
    if (done) {
      filesIn += done.files;
      rows += done.rows;
    }
  }
  const ms = Math.round(performance.now() - started);
  if (filesIn > 0) log.info("compact", { partitions: candidates.length, files_in: filesIn, rows, ms });
  return { partitions: candidates.length, filesIn, rows, ms };
}
