import type { Tx } from "./db";

/** A live Parquet file of the lake, as the manifest records it. */
export interface LiveFile {
  /** Relative to the data directory. */
  path: string;
  projectId: string;
  /** The partition's hour, epoch ms. */
  hour: number;
  rows: number;
  minTs: number;
  maxTs: number;
}

/** Every transaction that changes `lake_files` calls this, inside the transaction. */
export async function bumpManifestVersion(tx: Tx): Promise<void> {
  await tx.run("UPDATE lake_manifest_version SET version = version + 1");
}

const cached = new Map<string, { version: number; files: readonly LiveFile[] }>();

/**
 * The live files as the snapshot `tx` sees them, ordered by (hour, path). The manifest changes
 * only when the storage job commits (every few minutes), while every page and lookup needs it: so
 * it is kept in memory per data directory, and one read of the version inside the caller's
 * snapshot tells whether the copy is the one this snapshot sees (else it is read again).
 */
export async function liveFiles(tx: Tx, dataDir: string): Promise<readonly LiveFile[]> {
  const [row] = await tx.all<{ version: number }>("SELECT version FROM lake_manifest_version");
  const version = row?.version ?? -1;
  const hit = cached.get(dataDir);
  if (hit && hit.version === version) return hit.files;
  const files = (
    await tx.all<{
      path: string;
      project_id: string;
      hour: Date;
      row_count: number;
      min_ts: Date;
      max_ts: Date;
    }>(
      `SELECT path, project_id::VARCHAR AS project_id, hour, row_count, min_ts, max_ts FROM lake_files ORDER BY hour, path`,
    )
  ).map((r) => ({
    path: r.path,
    projectId: r.project_id,
    hour: r.hour.getTime(),
    rows: r.row_count,
    minTs: r.min_ts.getTime(),
    maxTs: r.max_ts.getTime(),
  }));
  cached.set(dataDir, { version, files });
  return files;
}
