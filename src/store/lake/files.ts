import { mkdirSync, renameSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fsyncFile } from "../../lib/files";
import type { Logger } from "../../lib/log";
import type { Param, Store, Tx } from "../db";
import { bumpManifestVersion } from "../manifest";
import type { LakeCache } from "./cache";

/** What every lake job works with. */
export interface LakeContext {
  store: Store;
  dataDir: string;
  log: Logger;
  /** The local cache of a lake kept in object storage; null when the lake is only local. */
  cache: LakeCache | null;
}

export interface Partition {
  projectId: string;
  /** Start of the hour, epoch milliseconds. */
  hour: number;
}

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
 * data directory. `tag` ends the file's name (an events file's format, lake/format.ts).
 */
export async function writeParquet(
  tx: Tx,
  dataDir: string,
  dir: string,
  query: string,
  params: Param[],
  tag = "",
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const temp = join(dir, `${Bun.randomUUIDv7()}${tag}${TEMP_SUFFIX}`);
  // The path is made here from a UUID, a date and an hour: no request value is in it.
  await tx.run(`COPY (${query}) TO '${temp.replaceAll("'", "''")}' (${WRITE_OPTIONS})`, params);
  return publish(dataDir, temp);
}

/** What a file is called while it is written: a `*.parquet` glob does not match it. */
export const TEMP_SUFFIX = ".parquet.tmp";
export const WRITE_OPTIONS = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880";

/**
 * Makes a written temporary file durable and visible under its final name (fsync, rename, fsync
 * the directory); returns its path relative to the data directory. It is live only once the
 * manifest lists it: until then recovery deletes it as an orphan.
 */
export function publish(dataDir: string, temp: string): string {
  fsyncFile(temp);
  const path = temp.slice(0, -".tmp".length);
  renameSync(temp, path);
  fsyncFile(dirname(path));
  return lakePath(dataDir, path);
}

/** A file's path as the manifest keeps it: relative to the data directory, with forward slashes. */
export const lakePath = (dataDir: string, file: string): string =>
  relative(dataDir, file).split(sep).join("/");

/** A written file as the manifest records it. */
export interface NewFile extends Partition {
  /** Relative to the data directory. */
  path: string;
  rows: number;
  minTs: Date;
  maxTs: Date;
}

/** Lists files in the manifest, with their summaries, in the caller's transaction. */
export async function addToManifest(tx: Tx, dataDir: string, files: readonly NewFile[]): Promise<void> {
  if (files.length === 0) return;
  const column = (get: (f: NewFile) => string | number) => files.map(get);
  await tx.run(
    `INSERT INTO lake_files (path, project_id, hour, row_count, min_ts, max_ts, bytes)
     SELECT unnest(?::JSON::VARCHAR[]), unnest(?::JSON::UUID[]), unnest(?::JSON::TIMESTAMPTZ[]),
       unnest(?::JSON::BIGINT[]), unnest(?::JSON::TIMESTAMPTZ[]), unnest(?::JSON::TIMESTAMPTZ[]), unnest(?::JSON::BIGINT[])`,
    [
      column((f) => f.path),
      column((f) => f.projectId),
      column((f) => new Date(f.hour).toISOString()),
      column((f) => f.rows),
      column((f) => f.minTs.toISOString()),
      column((f) => f.maxTs.toISOString()),
      column((f) => statSync(join(dataDir, f.path)).size),
    ],
  );
  await summarise(
    tx,
    dataDir,
    files.map((f) => f.path),
  );
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
  await tx.run("INSERT INTO lake_retired (path) SELECT unnest(?::JSON::VARCHAR[])", [paths]);
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
