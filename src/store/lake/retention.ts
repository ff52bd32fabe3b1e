import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { listFiles } from "../../lib/files";
import { type LakeContext, lakePath, retireFiles } from "./files";
import { describeS3Error } from "./object-store";
import { loadOlderOutcomeFiles } from "./rollup";

export class LakeCorruptError extends Error {}

/**
 * At start: a manifest row without its file stops the start (data would be missing); a file not
 * in the manifest is the leftover of an interrupted seal or compaction and is deleted, as are
 * retired files (no query runs yet).
 */
export async function recover(lake: LakeContext): Promise<{ orphans: number; retired: number }> {
  const { store, dataDir, log, cache } = lake;
  const live = new Set(
    (
      await store.read<{ path: string }>(
        "SELECT path FROM lake_files UNION ALL SELECT path FROM lake_outcome_files",
      )
    ).map((r) => r.path),
  );
  const notOnDisk = [...live].filter((path) => !existsSync(join(dataDir, path)));
  // With the lake in object storage, an uploaded file evicted from the cache is fetched when read.
  const missing = cache ? await cache.adoptMissing(store, notOnDisk) : notOnDisk;
  if (missing.length > 0) {
    const uploaded = cache
      ? []
      : await store.read("SELECT path FROM lake_uploaded WHERE list_contains(?::JSON::VARCHAR[], path)", [
          missing,
        ]);
    throw new LakeCorruptError(
      `${missing.length} file(s) in the lake manifest are missing from ${dataDir}, e.g. ${missing[0]}. ` +
        (uploaded.length > 0
          ? `${uploaded.length} of them are in object storage: start with the ROOST_LAKE_URL they were uploaded to.`
          : "Restore them from a backup; Roost will not start without them."),
    );
  }
  let orphans = 0;
  for (const file of listFiles(join(dataDir, "lake"))) {
    const path = lakePath(dataDir, file);
    if (!live.has(path)) {
      rmSync(file, { force: true });
      orphans++;
    }
  }
  const retired = await purgeRetired(lake, 0);
  if (orphans > 0) log.info("lake recovery removed orphan files", { files: orphans });
  await loadOlderOutcomeFiles(lake);
  return { orphans, retired };
}

/**
 * Retention: partitions of deleted projects, and partitions whose hour ended more than the
 * project's `retention_days` ago, leave the manifest (their files are retired); hot rows of
 * deleted projects and past retention go too.
 */
export async function retain(
  { store, log }: LakeContext,
  now: Date,
): Promise<{ files: number; hotRows: number }> {
  return store.write(async (tx) => {
    const expired = await tx.all<{ path: string }>(
      `SELECT f.path FROM lake_files f LEFT JOIN projects p ON p.id = f.project_id
       WHERE p.id IS NULL OR p.deleted_at IS NOT NULL
          OR f.hour + INTERVAL 1 HOUR <= ?::TIMESTAMPTZ - to_days(p.retention_days)`,
      [now],
    );
    if (expired.length > 0)
      await retireFiles(
        tx,
        expired.map((r) => r.path),
      );
    const expiredHot = `FROM events WHERE EXISTS (
       SELECT 1 FROM projects p WHERE p.id = events.project_id
         AND (p.deleted_at IS NOT NULL OR events.timestamp < ?::TIMESTAMPTZ - to_days(p.retention_days)))`;
    const [hot] = await tx.all<{ n: number }>(`SELECT count(*) AS n ${expiredHot}`, [now]);
    if (hot && hot.n > 0) await tx.run(`DELETE ${expiredHot}`, [now]);
    // The issues' index of their errors follows the errors; the issues keep their counts.
    await tx.run(
      `DELETE FROM issue_events WHERE EXISTS (
         SELECT 1 FROM issues i JOIN projects p ON p.id = i.project_id WHERE i.id = issue_events.issue_id
           AND (p.deleted_at IS NOT NULL OR issue_events.timestamp < ?::TIMESTAMPTZ - to_days(p.retention_days)))`,
      [now],
    );
    // Metric and funnel rows follow their events.
    for (const table of ["metric_events", "funnel_events"]) {
      await tx.run(
        `DELETE FROM ${table} WHERE EXISTS (
           SELECT 1 FROM projects p WHERE p.id = ${table}.project_id
             AND (p.deleted_at IS NOT NULL OR ${table}.timestamp < ?::TIMESTAMPTZ - to_days(p.retention_days)))`,
        [now],
      );
    }
    if (expired.length > 0) log.info("retention", { files: expired.length });
    return { files: expired.length, hotRows: hot?.n ?? 0 };
  });
}

/** Deletes retired files retired more than `graceMs` ago, and their rows. */
export async function purgeRetired(
  { store, dataDir, log, cache }: LakeContext,
  graceMs: number,
): Promise<number> {
  const before = new Date(Date.now() - graceMs);
  const rows = await store.read<{ path: string }>("SELECT path FROM lake_retired WHERE retired_at <= ?", [
    before,
  ]);
  if (rows.length === 0) return 0;
  const paths = rows.map((r) => r.path);
  try {
    await cache?.deleteRetired(store, paths);
  } catch (error) {
    // Their rows stay, so a later run deletes them; reads never list retired files.
    log.error("deleting retired files from object storage failed", {
      files: paths.length,
      error: describeS3Error(error),
    });
    return 0;
  }
  for (const path of paths) rmSync(join(dataDir, path), { force: true });
  await store.write(async (tx) => {
    await tx.run("DELETE FROM lake_retired WHERE retired_at <= ?", [before]);
    await tx.run("DELETE FROM lake_uploaded WHERE list_contains(?::JSON::VARCHAR[], path)", [paths]);
  });
  return rows.length;
}
