import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { ApiError } from "../../lib/errors";
import type { Logger } from "../../lib/log";
import type { Store } from "../db";
import { describeS3Error, type ObjectStore } from "./object-store";

/** Files moved to or from the bucket at once. */
const TRANSFERS = 8;
/** Rows of `lake_uploaded` written a commit while uploading. */
const UPLOAD_BATCH = 64;

/** What a read answers when a file it needs is neither on disk nor fetchable. */
export class LakeUnavailableError extends ApiError {
  constructor(url: string, cause: unknown) {
    super(
      503,
      `Stored events are in object storage (${url}) and could not be fetched (${describeS3Error(cause)}). Try again once the bucket answers.`,
    );
  }
}

/**
 * The local side of a lake kept in object storage (decision 016): every sealed, compacted or
 * rolled-up file is uploaded by the storage job, and the uploaded ones beyond a byte budget are
 * evicted, least recently used first (being written counts as a use). Queries go on reading local
 * files with DuckDB; a read first fetches those of its files that were evicted (`ensureLocal`).
 * An evicted file is one that has gone unused for the retired files' grace, the time a query is
 * given to finish with files it listed.
 */
export class LakeCache {
  /** Uploaded files not on disk: a read fetches them first. */
  private readonly absent = new Set<string>();
  private readonly lastUsed = new Map<string, number>();
  private readonly fetching = new Map<string, Promise<void>>();

  constructor(
    readonly remote: ObjectStore,
    private readonly dataDir: string,
    private readonly log: Logger,
    private readonly cacheBytes: number,
  ) {}

  /** Files the manifest lists that are not on disk at start, and were uploaded: fetched when read. */
  async adoptMissing(store: Store, missing: readonly string[]): Promise<string[]> {
    if (missing.length === 0) return [];
    const uploaded = new Set(
      (
        await store.read<{ path: string }>(
          "SELECT path FROM lake_uploaded WHERE list_contains(?::JSON::VARCHAR[], path)",
          [missing],
        )
      ).map((r) => r.path),
    );
    for (const path of missing) if (uploaded.has(path)) this.absent.add(path);
    return missing.filter((path) => !uploaded.has(path));
  }

  /** Marks the files used now, and fetches those not on disk. */
  async ensure(paths: readonly string[]): Promise<void> {
    this.touch(paths);
    const wanted = paths.filter((path) => this.absent.has(path));
    if (wanted.length === 0) return;
    const started = performance.now();
    await inParallel(wanted, (path) => this.fetch(path));
    this.log.info("lake files fetched", {
      files: wanted.length,
      ms: Math.round(performance.now() - started),
    });
  }

  /** Marks the files used now: not evicted within the grace (a backup copying them). */
  touch(paths: readonly string[]): void {
    const now = Date.now();
    for (const path of paths) this.lastUsed.set(path, now);
  }

  isAbsent(path: string): boolean {
    return this.absent.has(path);
  }

  /** Downloads one file to `target` (a backup's copy), leaving the cache as it is. */
  copyTo(path: string, target: string): Promise<number> {
    mkdirSync(dirname(target), { recursive: true });
    return this.remote.get(path, target);
  }

  private fetch(path: string): Promise<void> {
    let pending = this.fetching.get(path);
    if (!pending) {
      const local = join(this.dataDir, path);
      mkdirSync(dirname(local), { recursive: true });
      pending = this.remote
        .get(path, local)
        .then(
          () => {
            this.absent.delete(path);
          },
          (error) => {
            throw new LakeUnavailableError(this.remote.url, error);
          },
        )
        .finally(() => this.fetching.delete(path));
      this.fetching.set(path, pending);
    }
    return pending;
  }

  /**
   * Uploads every live file not uploaded yet, oldest first, recording each batch as it lands. A
   * failure stops the run (logged); the next run goes on from there.
   */
  async upload(store: Store): Promise<{ files: number; bytes: number; failed: number; ms: number }> {
    const started = performance.now();
    const pending = (await liveFiles(store)).filter((f) => !f.uploaded);
    let files = 0;
    let bytes = 0;
    let failed = 0;
    for (let i = 0; i < pending.length; i += UPLOAD_BATCH) {
      const batch = pending.slice(i, i + UPLOAD_BATCH);
      const done: string[] = [];
      try {
        await inParallel(batch, async (f) => {
          const local = join(this.dataDir, f.path);
          // A file compacted away meanwhile (retired, then purged) has nothing left to upload.
          if (!existsSync(local)) return;
          await this.remote.put(f.path, local);
          done.push(f.path);
          bytes += f.bytes;
        });
      } catch (error) {
        failed = pending.length - i - done.length;
        this.log.error("lake upload failed", {
          url: this.remote.url,
          error: describeS3Error(error),
          left: failed,
        });
      }
      if (done.length > 0) {
        await store.run("INSERT OR IGNORE INTO lake_uploaded SELECT unnest(?::JSON::VARCHAR[]), now()", [
          done,
        ]);
        files += done.length;
      }
      if (failed > 0) break;
    }
    const ms = Math.round(performance.now() - started);
    if (files > 0) this.log.info("lake upload", { url: this.remote.url, files, bytes, ms });
    return { files, bytes, failed, ms };
  }

  /**
   * Deletes local copies of uploaded files until the cache holds at most its budget, least
   * recently used (or written) first, never one used within `graceMs`.
   */
  async evict(store: Store, graceMs: number): Promise<{ files: number; bytes: number; cachedBytes: number }> {
    const live = await liveFiles(store);
    const onDisk = live.filter((f) => !this.absent.has(f.path));
    let cachedBytes = onDisk.reduce((n, f) => n + f.bytes, 0);
    const cached = onDisk.filter((f) => f.uploaded);
    const recency = (f: { path: string; created: number }) =>
      Math.max(this.lastUsed.get(f.path) ?? 0, f.created);
    const protectedSince = Date.now() - graceMs;
    let evicted = 0;
    let freed = 0;
    for (const f of cached.sort((a, b) => recency(a) - recency(b))) {
      if (cachedBytes <= this.cacheBytes) break;
      if (recency(f) > protectedSince) break;
      rmSync(join(this.dataDir, f.path), { force: true });
      this.absent.add(f.path);
      cachedBytes -= f.bytes;
      freed += f.bytes;
      evicted++;
    }
    if (evicted > 0)
      this.log.info("lake cache eviction", { files: evicted, bytes: freed, cached_bytes: cachedBytes });
    return { files: evicted, bytes: freed, cachedBytes };
  }

  /** Removes retired files from the bucket (before their rows go: a crash leaves none behind unlisted). */
  async deleteRetired(store: Store, paths: readonly string[]): Promise<void> {
    const uploaded = (
      await store.read<{ path: string }>(
        "SELECT path FROM lake_uploaded WHERE list_contains(?::JSON::VARCHAR[], path)",
        [paths],
      )
    ).map((r) => r.path);
    await inParallel(uploaded, (path) => this.remote.delete(path));
    for (const path of paths) {
      this.absent.delete(path);
      this.lastUsed.delete(path);
    }
  }
}

/** The live files (events and outcome rollups), oldest first, and whether each is in the bucket. */
async function liveFiles(store: Store) {
  return store.read<{ path: string; bytes: number; created: number; uploaded: boolean }>(
    `SELECT f.path, f.bytes, epoch_ms(f.created_at) AS created, u.path IS NOT NULL AS uploaded FROM (
       SELECT path, bytes, created_at FROM lake_files
       UNION ALL SELECT path, bytes, created_at FROM lake_outcome_files) AS f
     LEFT JOIN lake_uploaded u USING (path) ORDER BY f.created_at, f.path`,
  );
}

/** The caches of the lakes open in this process, by data directory. */
const caches = new Map<string, LakeCache>();

export function registerCache(dataDir: string, cache: LakeCache | null): void {
  if (cache) caches.set(dataDir, cache);
  else caches.delete(dataDir);
}

export const cacheOf = (dataDir: string): LakeCache | undefined => caches.get(dataDir);

/**
 * Every read of lake files calls this with the files (relative to the data directory) before it
 * runs: with the lake in object storage, files evicted from the local cache are fetched back.
 * Without one it does nothing.
 */
export async function ensureLocal(dataDir: string, paths: readonly string[]): Promise<void> {
  const cache = caches.get(dataDir);
  if (cache && paths.length > 0) await cache.ensure(paths);
}

/** Runs `work` over `items`, TRANSFERS at a time; the first failure rejects (after the rest settle). */
async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const lane = async () => {
    while (next < items.length && failure === null) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(TRANSFERS, items.length) }, lane));
  if (failure !== null) throw failure;
}
