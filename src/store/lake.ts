import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { join, relative, sep } from "node:path";
import type { Logger } from "../lib/log";
import type { Param, Store, Tx } from "./db";
import { bumpManifestVersion } from "./manifest";

/** The columns of a Parquet events file, in order (project_id, date and hour are in its path). */
const PARQUET_COLUMNS = `id, app_id, client_event_id, session_id, user_id, api_key_id, level, source_module, message,
  screen_name, custom_attributes::JSON::MAP(VARCHAR, VARCHAR) AS custom_attributes,
  experiments::JSON::MAP(VARCHAR, VARCHAR) AS experiments, environment, os_version, app_version, sdk_name,
  sdk_version, build_number, device_model, locale, country_code, is_dev, timestamp, received_at`;

/** Sorted for pruning: a query for one app and a time range skips most row groups. */
const SORT = "ORDER BY app_id, timestamp, id";
const WRITE_OPTIONS = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880";
const HOUR_MS = 3_600_000;
/**
 * A partition of the running hour is merged on every run while it is small (a rewrite is cheap and
 * every file costs each query that reads the hour), else once it holds OPEN_HOUR_FILES files.
 */
const OPEN_HOUR_FILES = 4;
const SMALL_PARTITION_ROWS = 100_000;

export interface Partition {
  projectId: string;
  /** Start of the hour, epoch milliseconds. */
  hour: number;
}

export interface LakeFile extends Partition {
  path: string;
  rows: number;
}

export class LakeCorruptError extends Error {}

/**
 * The Parquet side of the store: `lake/events/project_id=<uuid>/date=YYYY-MM-DD/hour=HH/*.parquet`,
 * with the manifest in `roost.duckdb`. Files are written under a temporary name, fsynced, renamed,
 * and only then added to the manifest in the same transaction that removes what they replace, so
 * every event is visible exactly once however a process dies.
 */
export class Lake {
  readonly root: string;

  constructor(
    private readonly store: Store,
    private readonly dataDir: string,
    private readonly log: Logger,
    private readonly smallPartitionRows = SMALL_PARTITION_ROWS,
  ) {
    this.root = join(dataDir, "lake", "events");
  }

  /**
   * At start: a manifest row without its file stops the start (data would be missing); a file not
   * in the manifest is the leftover of an interrupted seal or compaction and is deleted, as are
   * retired files (no query runs yet).
   */
  async recover(): Promise<{ orphans: number; retired: number }> {
    const live = new Set(
      (
        await this.store.read<{ path: string }>(
          "SELECT path FROM lake_files UNION ALL SELECT path FROM lake_outcome_files",
        )
      ).map((r) => r.path),
    );
    const missing = [...live].filter((path) => !existsSync(join(this.dataDir, path)));
    if (missing.length > 0) {
      throw new LakeCorruptError(
        `${missing.length} file(s) in the lake manifest are missing from ${this.dataDir}, e.g. ${missing[0]}. ` +
          "Restore them from a backup; Roost will not start without them.",
      );
    }
    let orphans = 0;
    for (const file of listFiles(join(this.dataDir, "lake"))) {
      const path = relative(this.dataDir, file).split(sep).join("/");
      if (!live.has(path)) {
        rmSync(file, { force: true });
        orphans++;
      }
    }
    const retired = await this.purgeRetired(0);
    if (orphans > 0) this.log.info("lake recovery removed orphan files", { files: orphans });
    await this.loadOlderOutcomeFiles();
    return { orphans, retired };
  }

  /** Rollup files written before the `outcomes_hourly` table existed: their rows, loaded once. */
  private async loadOlderOutcomeFiles(): Promise<void> {
    const started = performance.now();
    const loaded = await this.store.write(async (tx) => {
      const paths = (
        await tx.all<{ path: string }>(
          "SELECT path FROM lake_outcome_files f WHERE NOT EXISTS (SELECT 1 FROM outcome_files_loaded l WHERE l.path = f.path)",
        )
      ).map((r) => r.path);
      if (paths.length === 0) return 0;
      await loadOutcomeFiles(tx, this.dataDir, paths);
      return paths.length;
    });
    if (loaded > 0) {
      this.log.info("hourly outcomes loaded from rollup files", {
        files: loaded,
        ms: Math.round(performance.now() - started),
      });
    }
  }

  /**
   * Moves hot events received before `cutoff` into Parquet: one new file per touched
   * (project, hour of timestamp) partition, in one transaction with the manifest rows and the
   * deletion of the hot rows. Ingest waits for it (one writer), so seals run often and stay small.
   */
  async seal(cutoff: Date): Promise<{ rows: number; files: number; ms: number }> {
    const started = performance.now();
    const result = await this.store.write(async (tx) => {
      const partitions = await tx.all<{
        project_id: string;
        hour: Date;
        n: number;
        min_ts: Date;
        max_ts: Date;
      }>(
        `SELECT project_id::VARCHAR AS project_id, date_trunc('hour', timestamp) AS hour, count(*) AS n,
           min(timestamp) AS min_ts, max(timestamp) AS max_ts
         FROM events WHERE received_at < ? GROUP BY ALL ORDER BY ALL`,
        [cutoff],
      );
      let rows = 0;
      for (const p of partitions) {
        const partition = { projectId: p.project_id, hour: p.hour.getTime() };
        const path = await this.writeFile(
          tx,
          partition,
          `SELECT ${PARQUET_COLUMNS} FROM events
           WHERE received_at < ? AND project_id = ?::UUID AND timestamp >= ? AND timestamp < ? ${SORT}`,
          [cutoff, p.project_id, p.hour, new Date(partition.hour + HOUR_MS)],
        );
        await addToManifest(tx, this.dataDir, path, partition, p.n, p.min_ts, p.max_ts);
        rows += p.n;
      }
      await tx.run("DELETE FROM events WHERE received_at < ?", [cutoff]);
      return { rows, files: partitions.length };
    });
    const ms = Math.round(performance.now() - started);
    if (result.files > 0) this.log.info("seal", { ...result, ms });
    return { ...result, ms };
  }

  /**
   * Merges each partition that has several files into one, sorted by (app_id, timestamp, id); the
   * old files leave the manifest in the same transaction and are deleted later, once no query that
   * started before can be reading them. A partition whose hour is still running gets a new file
   * from every seal; once it is big it is merged only when it holds OPEN_HOUR_FILES: merging it on
   * every run rewrote the whole hour so far each time (quadratic in the runs per hour;
   * bench/storage.ts).
   */
  async compact(
    now = new Date(),
  ): Promise<{ partitions: number; filesIn: number; rows: number; ms: number }> {
    const started = performance.now();
    const candidates = await this.store.read<{ project_id: string; hour: Date; paths: string[] }>(
      `SELECT project_id::VARCHAR AS project_id, hour, list(path ORDER BY path) AS paths
       FROM lake_files GROUP BY ALL
       HAVING count(*) >= 2
         AND (hour + INTERVAL 1 HOUR <= ?::TIMESTAMPTZ OR count(*) >= ?::INTEGER OR sum(row_count) <= ?::BIGINT)
       ORDER BY hour`,
      [now, OPEN_HOUR_FILES, this.smallPartitionRows],
    );
    let filesIn = 0;
    let rows = 0;
    for (const c of candidates) {
      const partition = { projectId: c.project_id, hour: c.hour.getTime() };
      const done = await this.store.write(async (tx) => {
        // Re-read inside the transaction: the set may have changed since the candidates were listed.
        const current = await tx.all<{ path: string; row_count: number }>(
          "SELECT path, row_count FROM lake_files WHERE project_id = ?::UUID AND hour = ? ORDER BY path",
          [c.project_id, c.hour],
        );
        if (current.length < 2) return null;
        const paths = current.map((f) => join(this.dataDir, f.path));
        const path = await this.writeFile(tx, partition, `SELECT * FROM read_parquet(?::VARCHAR[]) ${SORT}`, [
          paths,
        ]);
        const [stats] = await tx.all<{ n: number; min_ts: Date; max_ts: Date }>(
          "SELECT count(*) AS n, min(timestamp) AS min_ts, max(timestamp) AS max_ts FROM read_parquet(?::VARCHAR[])",
          [[join(this.dataDir, path)]],
        );
        const expected = current.reduce((n, f) => n + f.row_count, 0);
        if (!stats || stats.n !== expected) {
          throw new Error(
            `compaction of ${c.project_id} ${c.hour.toISOString()} wrote ${stats?.n} rows, expected ${expected}`,
          );
        }
        await removeFromManifest(
          tx,
          current.map((f) => f.path),
        );
        for (const f of current) await tx.run("INSERT INTO lake_retired (path) VALUES (?)", [f.path]);
        await addToManifest(tx, this.dataDir, path, partition, stats.n, stats.min_ts, stats.max_ts);
        return { files: current.length, rows: stats.n };
      });
      if (done) {
        filesIn += done.files;
        rows += done.rows;
      }
    }
    const ms = Math.round(performance.now() - started);
    if (filesIn > 0) this.log.info("compact", { partitions: candidates.length, files_in: filesIn, rows, ms });
    return { partitions: candidates.length, filesIn, rows, ms };
  }

  /**
   * Rolls the minute outcome rows of complete hours into hourly rows: one new Parquet file per
   * date under `lake/outcomes/`, and the minute rows moved to `outcomes_minute_rolled` in the same
   * transaction, so a rerun finds nothing to count twice.
   */
  async rollupOutcomes(now: Date): Promise<{ rows: number; files: number; ms: number }> {
    const started = performance.now();
    const hourStart = new Date(now.getTime() - (now.getTime() % HOUR_MS));
    const result = await this.store.write(async (tx) => {
      const dates = await tx.all<{ date: string }>(
        "SELECT DISTINCT strftime(minute, '%Y-%m-%d') AS date FROM outcomes_minute WHERE minute < ? ORDER BY 1",
        [hourStart],
      );
      let rows = 0;
      for (const { date } of dates) {
        const dir = join(this.dataDir, "lake", "outcomes", `date=${date}`);
        const dayStart = new Date(`${date}T00:00:00Z`);
        const dayEnd = new Date(Math.min(dayStart.getTime() + 24 * HOUR_MS, hourStart.getTime()));
        const path = await this.writeParquet(
          tx,
          dir,
          `SELECT project_id, key_id, date_trunc('hour', minute) AS hour, outcome, reason, category,
             sum(quantity)::BIGINT AS quantity, sum(times_seen)::BIGINT AS times_seen
           FROM outcomes_minute WHERE minute >= ? AND minute < ? GROUP BY ALL ORDER BY ALL`,
          [dayStart, dayEnd],
        );
        const [count] = await tx.all<{ n: number }>("SELECT count(*) AS n FROM read_parquet(?)", [
          join(this.dataDir, path),
        ]);
        await tx.run(
          "INSERT INTO lake_outcome_files (path, date, row_count, bytes) VALUES (?, ?::DATE, ?, ?)",
          [path, date, count?.n ?? 0, statSync(join(this.dataDir, path)).size],
        );
        await loadOutcomeFiles(tx, this.dataDir, [path]);
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
    if (result.files > 0) this.log.info("outcome rollup", { ...result, ms });
    return { ...result, ms };
  }

  /**
   * Retention: partitions of deleted projects, and partitions whose hour ended more than the
   * project's `retention_days` ago, leave the manifest (their files are retired); hot rows of
   * deleted projects and past retention go too.
   */
  async retain(now: Date): Promise<{ files: number; hotRows: number }> {
    return this.store.write(async (tx) => {
      const expired = await tx.all<{ path: string }>(
        `SELECT f.path FROM lake_files f LEFT JOIN projects p ON p.id = f.project_id
         WHERE p.id IS NULL OR p.deleted_at IS NOT NULL
            OR f.hour + INTERVAL 1 HOUR <= ?::TIMESTAMPTZ - to_days(p.retention_days)`,
        [now],
      );
      if (expired.length > 0) {
        const paths = expired.map((r) => r.path);
        await removeFromManifest(tx, paths);
        for (const path of paths) await tx.run("INSERT INTO lake_retired (path) VALUES (?)", [path]);
      }
      const expiredHot = `FROM events WHERE EXISTS (
         SELECT 1 FROM projects p WHERE p.id = events.project_id
           AND (p.deleted_at IS NOT NULL OR events.timestamp < ?::TIMESTAMPTZ - to_days(p.retention_days)))`;
      const [hot] = await tx.all<{ n: number }>(`SELECT count(*) AS n ${expiredHot}`, [now]);
      if (hot && hot.n > 0) await tx.run(`DELETE ${expiredHot}`, [now]);
      if (expired.length > 0) this.log.info("retention", { files: expired.length });
      return { files: expired.length, hotRows: hot?.n ?? 0 };
    });
  }

  /** Deletes retired files retired more than `graceMs` ago, and their rows. */
  async purgeRetired(graceMs: number): Promise<number> {
    const before = new Date(Date.now() - graceMs);
    const rows = await this.store.read<{ path: string }>(
      "SELECT path FROM lake_retired WHERE retired_at <= ?",
      [before],
    );
    for (const { path } of rows) rmSync(join(this.dataDir, path), { force: true });
    if (rows.length > 0) await this.store.run("DELETE FROM lake_retired WHERE retired_at <= ?", [before]);
    return rows.length;
  }

  /**
   * Writes a partition's file from `query` under a temporary name (which a `*.parquet` glob does
   * not match), fsyncs it and renames it into place; returns its path relative to the data dir.
   */
  private writeFile(tx: Tx, partition: Partition, query: string, params: Param[]): Promise<string> {
    const hour = new Date(partition.hour);
    const dir = join(
      this.root,
      `project_id=${partition.projectId}`,
      `date=${hour.toISOString().slice(0, 10)}`,
      `hour=${hour.toISOString().slice(11, 13)}`,
    );
    return this.writeParquet(tx, dir, query, params);
  }

  private async writeParquet(tx: Tx, dir: string, query: string, params: Param[]): Promise<string> {
    mkdirSync(dir, { recursive: true });
    const name = `${Bun.randomUUIDv7()}.parquet`;
    const temp = join(dir, `${name}.tmp`);
    // The path is made here from a UUID, a date and an hour: no request value is in it.
    await tx.run(`COPY (${query}) TO '${temp.replaceAll("'", "''")}' (${WRITE_OPTIONS})`, params);
    fsyncFile(temp);
    renameSync(temp, join(dir, name));
    fsyncFile(dir);
    return relative(this.dataDir, join(dir, name)).split(sep).join("/");
  }
}

async function addToManifest(
  tx: Tx,
  dataDir: string,
  path: string,
  partition: Partition,
  rows: number,
  minTs: Date,
  maxTs: Date,
): Promise<void> {
  await tx.run(
    "INSERT INTO lake_files (path, project_id, hour, row_count, min_ts, max_ts, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [
      path,
      partition.projectId,
      new Date(partition.hour),
      rows,
      minTs,
      maxTs,
      statSync(join(dataDir, path)).size,
    ],
  );
  await summarise(tx, dataDir, [path]);
  await bumpManifestVersion(tx);
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

/** Drops files from the manifest, with their summaries. */
async function removeFromManifest(tx: Tx, paths: readonly string[]): Promise<void> {
  for (const table of ["lake_files", "lake_file_counts", "lake_file_keys"]) {
    await tx.run(`DELETE FROM ${table} WHERE list_contains(?::JSON::VARCHAR[], path)`, [paths]);
  }
  await bumpManifestVersion(tx);
}

/**
 * Writes the summaries of files already in the manifest (paths relative to the data directory):
 * rows per (app, is_dev) and the hashes of their distinct user and session ids.
 */
export async function summarise(tx: Tx, dataDir: string, paths: readonly string[]): Promise<void> {
  const files = paths.map((p) => join(dataDir, p));
  const from = `(SELECT substr(filename, ${dataDir.length + 2}) AS path, * FROM read_parquet(?::VARCHAR[], filename = true))`;
  await tx.run(
    `INSERT INTO lake_file_counts SELECT path, app_id, is_dev, count(*) FROM ${from} GROUP BY ALL`,
    [files],
  );
  await tx.run(
    `INSERT INTO lake_file_keys
     SELECT DISTINCT path, app_id, is_dev, 'u', hash(user_id) FROM ${from} WHERE user_id IS NOT NULL
     UNION ALL SELECT DISTINCT path, app_id, is_dev, 's', hash(session_id) FROM ${from}`,
    [files, files],
  );
}

function fsyncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else out.push(path);
  }
  return out;
}
