import { join } from "node:path";
import type { Param, Tx } from "./db";
import { ensureLocal } from "./lake/cache";
import { HOT_AS_FILE_COLUMNS, readEventFiles } from "./lake/format";
import { type LiveFile, liveFiles } from "./manifest";

/** What a query over events may touch: these projects, optionally a timestamp range [from, to). */
export interface EventScope {
  projectIds: readonly string[];
  from?: Date;
  to?: Date;
  /** Only rows with one of these user (u) or session (s) ids: files whose summary lacks their hashes are skipped. */
  key?: IdKey;
}

export interface IdKey {
  kind: "u" | "s";
  /** One id, or a user and the anonymous ids they claimed. */
  values: readonly string[];
}

/**
 * The live files of the snapshot, narrowed to those that may hold the id when a key is given: the
 * files whose summary holds its hash, plus files without a summary yet (a missing summary costs
 * time, never rows). Ordered by (hour, path), from the manifest kept in memory.
 */
export async function filesFor(
  tx: Tx,
  dataDir: string,
  key: IdKey | undefined,
): Promise<readonly LiveFile[]> {
  const files = await liveFiles(tx, dataDir);
  if (!key) return files;
  const holding = new Set(
    (
      await tx.all<{ path: string }>(
        `SELECT path FROM lake_file_keys WHERE kind = ? AND key IN (${key.values.map(() => "hash(?::VARCHAR)").join(", ")})
         UNION SELECT path FROM lake_files l WHERE NOT EXISTS (SELECT 1 FROM lake_file_counts c WHERE c.path = l.path)`,
        [key.kind, ...key.values],
      )
    ).map((r) => r.path),
  );
  return files.filter((f) => holding.has(f.path));
}

/**
 * Hot ∪ lake as one relation, for use as `FROM (<sql>) AS e` inside the same snapshot `tx`: the
 * hot table, plus only the live Parquet files whose project and time range can hold matches (the
 * manifest knows both), so a query over one project and one hour reads that partition's files only.
 */
export async function eventsSource(
  tx: Tx,
  dataDir: string,
  scope: EventScope,
): Promise<{ sql: string; params: Param[]; files: string[] }> {
  const paths = pathsIn(await filesFor(tx, dataDir, scope.key), scope);
  await ensureLocal(dataDir, paths);
  return sourceOver(dataDir, scope, paths);
}

/** The files whose project and time range can hold rows of the scope. */
export function filesIn(files: readonly LiveFile[], scope: EventScope): LiveFile[] {
  const projects = new Set(scope.projectIds);
  const since = scope.from?.getTime() ?? Number.NEGATIVE_INFINITY;
  const until = scope.to?.getTime() ?? Number.POSITIVE_INFINITY;
  return files.filter((f) => projects.has(f.projectId) && f.maxTs >= since && f.minTs < until);
}

/** The paths of filesIn, sorted. */
const pathsIn = (files: readonly LiveFile[], scope: EventScope): string[] =>
  filesIn(files, scope)
    .map((f) => f.path)
    .sort();

/**
 * Hot ∪ the given lake files (paths relative to the data directory, from the manifest read in the
 * same snapshot; the caller has made them local: ensureLocal).
 */
export function sourceOver(
  dataDir: string,
  scope: EventScope,
  paths: readonly string[],
  options: { withFile?: boolean } = {},
): { sql: string; params: Param[]; files: string[] } {
  const hot = hotSource(scope, options);
  if (paths.length === 0) return { ...hot, files: [] };
  const lake = lakeSource(dataDir, paths, options);
  return {
    sql: `${hot.sql} UNION ALL BY NAME ${lake.sql}`,
    params: [...hot.params, ...lake.params],
    files: lake.files,
  };
}

/** The hot table's rows of the scope, typed as the lake's. */
function hotSource(
  scope: EventScope,
  options: { withFile?: boolean } = {},
): { sql: string; params: Param[] } {
  const from = scope.from ?? null;
  const to = scope.to ?? null;
  // `file`: which lake file a row came from (null: the hot table), for two-step reads.
  const fileColumn = options.withFile ? ", NULL::VARCHAR AS file" : "";
  return {
    sql: `SELECT project_id, ${HOT_AS_FILE_COLUMNS}${fileColumn} FROM events
    WHERE list_contains(?::JSON::UUID[], project_id)
      AND (?::TIMESTAMPTZ IS NULL OR timestamp >= ?::TIMESTAMPTZ)
      AND (?::TIMESTAMPTZ IS NULL OR timestamp < ?::TIMESTAMPTZ)`,
    params: [[...scope.projectIds], from, from, to, to],
  };
}

/**
 * The rows of the given lake files. Absolute paths go to DuckDB: it would resolve relative ones
 * against the process's working directory.
 */
export function lakeSource(
  dataDir: string,
  paths: readonly string[],
  options: { withFile?: boolean } = {},
): { sql: string; params: Param[]; files: string[] } {
  const files = paths.map((p) => join(dataDir, p));
  // project_id is read from the path as text and cast here: typed UUID in hive_types, its constant
  // statistics made DuckDB 1.5 fail the union ("Unsupported type for NumericValueUnionToValue").
  const hive =
    "hive_partitioning = true, hive_types = {'project_id': VARCHAR, 'date': DATE, 'hour': INTEGER}";
  const read = readEventFiles(files, options.withFile ? `filename = true, ${hive}` : hive);
  const sql = options.withFile
    ? `SELECT * EXCLUDE (date, hour, filename) REPLACE (project_id::UUID AS project_id), filename AS file FROM (${read.sql})`
    : `SELECT * EXCLUDE (date, hour) REPLACE (project_id::UUID AS project_id) FROM (${read.sql})`;
  return { sql, params: read.params, files };
}
