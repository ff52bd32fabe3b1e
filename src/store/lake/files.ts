import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
} from "node:fs";
import { join, relative, sep } from "node:path";
import type { Logger } from "../../lib/log";
import type { Param, Store, Tx } from "../db";
import { bumpManifestVersion } from "../manifest";

/** What every lake job works with. */
export interface LakeContext {
  store: Store;
  dataDir: string;
  log: Logger;
}

export interface Partition {
  projectId: string;
  /** Start of the hour, epoch milliseconds. */
  hour: number;
}

export interface LakeFile extends Partition {
  path: string;
  rows: number;
}

const WRITE_OPTIONS = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880";

/** Where a partition's files live: `lake/events/project_id=<uuid>/date=YYYY-MM-DD/hour=HH/`. */
export function partitionDir(dataDir: string, partition: Partition): string {
  const hour = new Date(partition.hour).toISOString();
  return join(
    dataDir,
    "lake",
    "events",
    `project_id=${partition.projectId}`,
    `date=${hour.slice(0, 10)}`,
    `hour=${hour.slice(11, 13)}`,
  );
}

/**
 * Writes `query`'s rows to a new Parquet file in `dir` under a temporary name (which a `*.parquet`
 * glob does not match), fsyncs it and renames it into place; returns its path relative to the
 * data directory.
 */
export async function writeParquet(
  tx: Tx,
  dataDir: string,
  dir: string,
  query: string,
  params: Param[],
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const name = `${Bun.randomUUIDv7()}.parquet`;
  const temp = join(dir, `${name}.tmp`);
  // The path is made here from a UUID, a date and an hour: no request value is in it.
  await tx.run(`COPY (${query}) TO '${temp.replaceAll("'", "''")}' (${WRITE_OPTIONS})`, params);
  fsyncFile(temp);
  renameSync(temp, join(dir, name));
  fsyncFile(dir);
  return relative(dataDir, join(dir, name)).split(sep).join("/");
}

export async function addToManifest(
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

/**
 * Drops files from the manifest with their summaries, and retires them: they are deleted once no
 * query that started before can be reading them.
 */
export async function retireFiles(tx: Tx, paths: readonly string[]): Promise<void> {
  for (const table of ["lake_files", "lake_file_counts", "lake_file_keys"]) {
    await tx.run(`DELETE FROM ${table} WHERE list_contains(?::JSON::VARCHAR[], path)`, [paths]);
  }
  for (const path of paths) await tx.run("INSERT INTO lake_retired (path) VALUES (?)", [path]);
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

/** Every file below `dir`, at any depth. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else out.push(path);
  }
  return out;
}
