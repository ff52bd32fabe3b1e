import { join } from "node:path";
import type { Logger } from "../../lib/log";
import type { Store } from "../db";
import type { LakeContext } from "./files";
import { compact, SMALL_PARTITION_ROWS, seal } from "./partitions";
import { purgeRetired, recover, retain } from "./retention";
import { rollupOutcomes } from "./rollup";
import { countUncountedUsers } from "./users";

export type { Partition } from "./files";
export { summarise } from "./files";
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

  constructor(
    store: Store,
    dataDir: string,
    log: Logger,
    private readonly smallPartitionRows = SMALL_PARTITION_ROWS,
  ) {
    this.root = join(dataDir, "lake", "events");
    this.context = { store, dataDir, log };
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

  retain(now: Date): Promise<{ files: number; hotRows: number }> {
    return retain(this.context, now);
  }

  purgeRetired(graceMs: number): Promise<number> {
    return purgeRetired(this.context, graceMs);
  }
}
