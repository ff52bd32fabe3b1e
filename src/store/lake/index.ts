import { join } from "node:path";
import type { Config } from "../../config";
import type { Logger } from "../../lib/log";
import type { Store } from "../db";
import { LakeCache, registerCache } from "./cache";
import type { LakeContext } from "./files";
import { ObjectStore } from "./object-store";
import { compact, SMALL_PARTITION_ROWS, seal } from "./partitions";
import { purgeRetired, recover, retain } from "./retention";
import { rollupOutcomes } from "./rollup";
import { countUncountedUsers } from "./users";

export { ensureLocal, LakeUnavailableError } from "./cache";
export type { Partition } from "./files";
export { summarise } from "./files";
export { ObjectStore } from "./object-store";
export { LakeCorruptError } from "./retention";

/**
 * The Parquet side of the store: `lake/events/project_id=<uuid>/date=YYYY-MM-DD/hour=HH/*.parquet`,
 * with the manifest in `roost.duckdb`. Files are written under a temporary name, fsynced, renamed,
 * and only then added to the manifest in the same transaction that removes what they replace, so
 * every event is visible exactly once however a process dies.
 *
 * Each job has its own file: seal and compact (partitions.ts), the outcome rollup (rollup.ts),
 * retention and recovery (retention.ts), and what they share (files.ts).
 */
export class Lake {
  readonly root: string;
  private readonly context: LakeContext;

  private readonly smallPartitionRows: number;

  constructor(
    store: Store,
    dataDir: string,
    log: Logger,
    options: {
      smallPartitionRows?: number;
      /** The lake in object storage (decision 016), with a local cache of at most `cacheBytes`. */
      objectStore?: ObjectStore | null;
      cacheBytes?: number;
    } = {},
  ) {
    this.root = join(dataDir, "lake", "events");
    this.smallPartitionRows = options.smallPartitionRows ?? SMALL_PARTITION_ROWS;
    const cache = options.objectStore
      ? new LakeCache(options.objectStore, dataDir, log, options.cacheBytes ?? 0)
      : null;
    // Reads find the cache by data directory (ensureLocal): every reader of lake files is covered.
    registerCache(dataDir, cache);
    this.context = { store, dataDir, log, cache };
  }

  recover(): Promise<{ orphans: number; retired: number }> {
    return recover(this.context);
  }

  seal(cutoff: Date): Promise<{ rows: number; files: number; ms: number }> {
    return seal(this.context, cutoff);
  }

  compact(now = new Date()): Promise<{ partitions: number; filesIn: number; rows: number; ms: number }> {
    return compact(this.context, now, this.smallPartitionRows);
  }

  countUncountedUsers(maxRows?: number): Promise<{ files: number; rows: number; left: number; ms: number }> {
    return countUncountedUsers(this.context, maxRows);
  }

  rollupOutcomes(now: Date): Promise<{ rows: number; files: number; ms: number }> {
    return rollupOutcomes(this.context, now);
  }

  /** Uploads the files not in object storage yet (none without it). */
  upload(): Promise<{ files: number; bytes: number; failed: number; ms: number }> {
    const { cache, store } = this.context;
    return cache ? cache.upload(store) : Promise.resolve({ files: 0, bytes: 0, failed: 0, ms: 0 });
  }

  /** Trims the local cache of uploaded files to its budget (nothing without object storage). */
  evict(graceMs: number): Promise<{ files: number; bytes: number; cachedBytes: number }> {
    const { cache, store } = this.context;
    return cache ? cache.evict(store, graceMs) : Promise.resolve({ files: 0, bytes: 0, cachedBytes: 0 });
  }

  retain(now: Date): Promise<{ files: number; hotRows: number }> {
    return retain(this.context, now);
  }

  purgeRetired(graceMs: number): Promise<number> {
    return purgeRetired(this.context, graceMs);
  }
}

/** The lake as configured: local only, or in object storage with a local cache (ROOST_LAKE_URL). */
export function openLake(store: Store, config: Pick<Config, "dataDir" | "lake">, log: Logger): Lake {
  const { remote, cacheBytes } = config.lake;
  return new Lake(store, config.dataDir, log, {
    objectStore: remote ? new ObjectStore(remote) : null,
    cacheBytes,
  });
}
