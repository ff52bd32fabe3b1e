import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fsyncFile, listFiles } from "../lib/files";
import { SECRET_FILE } from "../lib/secret";
import { DATABASE_FILE, type Store } from "./db";
import { cacheOf } from "./lake/cache";

/** Written last into a backup: what it holds. A backup without it was not finished. */
export const BACKUP_MANIFEST = "backup.json";

export interface BackupManifest {
  format: 1;
  created_at: string;
  roost_version: string;
  /** Events in the backup (hot rows and sealed ones), at its snapshot. */
  events: number;
  /** Every file, relative to the backup (and to the data directory it restores into). */
  files: Array<{ path: string; bytes: number }>;
}

export class BackupError extends Error {}

/**
 * A consistent copy of a data directory while it serves (decision 014): in one read snapshot, the
 * database is copied into the backup (DuckDB's COPY FROM DATABASE) and the lake files its manifest
 * lists are named; those files never change once written, so they are hard-linked (or copied
 * across file systems) after, as are the attachments' files and the signing secret; lake files
 * evicted from the cache of a lake in object storage are downloaded into it. The manifest
 * `backup.json` is written and synced last: restore refuses a backup without it.
 */
export async function backup(
  store: Store,
  dataDir: string,
  target: string,
  version: string,
): Promise<BackupManifest> {
  if (existsSync(target) && readdirSync(target).length > 0)
    throw new BackupError(`${target} is not empty: back up into a new directory`);
  mkdirSync(target, { recursive: true });
  const { lake, events } = await store.snapshot(
    async (tx) => {
      const [db] = await tx.all<{ name: string }>("SELECT current_database() AS name");
      const lake = await tx.all<{ path: string }>(
        "SELECT path FROM lake_files UNION ALL SELECT path FROM lake_outcome_files ORDER BY path",
      );
      const [counts] = await tx.all<{ n: number }>(
        "SELECT (SELECT count(*) FROM events) + (SELECT coalesce(sum(row_count), 0) FROM lake_files) AS n",
      );
      // The database name is DuckDB's (the file's stem), an identifier no request can reach.
      await tx.run(`COPY FROM DATABASE "${db?.name}" TO roost_backup`);
      // The backup holds every file itself: a lake restored from it uploads them again (decision 016).
      await tx.run("DELETE FROM roost_backup.lake_uploaded");
      return { lake: lake.map((r) => r.path), events: Number(counts?.n ?? 0) };
    },
    { path: join(target, DATABASE_FILE), alias: "roost_backup" },
  );
  const attachments = listFiles(join(dataDir, "attachments"))
    .map((f) => relative(dataDir, f).split(sep).join("/"))
    .filter((p) => !p.startsWith("attachments/incoming/"));
  const secret = existsSync(join(dataDir, SECRET_FILE)) ? [SECRET_FILE] : [];
  const cache = cacheOf(dataDir);
  cache?.touch(lake);
  for (const path of lake) {
    // With the lake in object storage, a file evicted from the local cache comes from the bucket.
    if (cache && (cache.isAbsent(path) || !existsSync(join(dataDir, path))))
      await cache.copyTo(path, join(target, path));
    else place(join(dataDir, path), join(target, path));
  }
  for (const path of [...attachments, ...secret]) place(join(dataDir, path), join(target, path));
  const files = [DATABASE_FILE, ...lake, ...attachments, ...secret].map((path) => ({
    path,
    bytes: statSync(join(target, path)).size,
  }));
  const manifest: BackupManifest = {
    format: 1,
    created_at: new Date().toISOString(),
    roost_version: version,
    events,
    files,
  };
  writeSynced(join(target, BACKUP_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * Restores a finished backup into a data directory that holds no database yet: every file the
 * manifest lists must be there with its size, or nothing is copied.
 */
export function restore(source: string, dataDir: string): BackupManifest {
  const manifestPath = join(source, BACKUP_MANIFEST);
  if (!existsSync(manifestPath))
    throw new BackupError(
      `${source} has no ${BACKUP_MANIFEST}: the backup did not finish (or this is not one)`,
    );
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as BackupManifest;
  if (manifest.format !== 1 || !Array.isArray(manifest.files))
    throw new BackupError(`${manifestPath} is not a backup manifest Roost reads`);
  const broken = manifest.files.filter(
    (f) => !existsSync(join(source, f.path)) || statSync(join(source, f.path)).size !== f.bytes,
  );
  if (broken.length > 0)
    throw new BackupError(
      `${broken.length} file(s) of the backup are missing or changed, e.g. ${broken[0]?.path}`,
    );
  if (existsSync(join(dataDir, DATABASE_FILE)))
    throw new BackupError(`${dataDir} already holds a database: restore into an empty data directory`);
  for (const f of manifest.files) {
    mkdirSync(dirname(join(dataDir, f.path)), { recursive: true });
    copyFileSync(join(source, f.path), join(dataDir, f.path));
  }
  return manifest;
}

/** A hard link when both are on one file system (instant, no space), else a copy. */
function place(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

function writeSynced(path: string, text: string): void {
  writeFileSync(path, text);
  fsyncFile(path);
}
