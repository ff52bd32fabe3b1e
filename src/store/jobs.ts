import { Cron } from "croner";
import type { Logger } from "../lib/log";
import type { Store } from "./db";
import type { Lake } from "./lake";

export interface StorageJobOptions {
  /** Hot events younger than this (by received_at) stay hot: recent pages read them cheaply. */
  sealGraceMs: number;
  /** Replaced Parquet files are deleted this long after compaction, so running queries finish. */
  retiredGraceMs: number;
  /** Drops expired attachments and deletes bytes nothing references (the attachments module's). */
  purgeAttachments?: (now: Date) => Promise<{ rows: number; files: number }>;
}

export interface StorageReport {
  retained: { files: number; hotRows: number };
  rolledUp: { rows: number; files: number; ms: number };
  sealed: { rows: number; files: number; ms: number };
  /** Users counted in files sealed before users were counted (a batch a run). */
  usersCounted: { files: number; rows: number; left: number; ms: number };
  compacted: { partitions: number; filesIn: number; rows: number; ms: number };
  /** Files copied to object storage, and evicted from the local cache (both 0 without it). */
  uploaded: { files: number; bytes: number; failed: number; ms: number };
  evicted: { files: number; bytes: number; cachedBytes: number };
  purged: number;
  attachments: { rows: number; files: number };
  /** False when the server stayed too busy for a checkpoint: deferred to the next run, not an error. */
  checkpointed: boolean;
  ms: number;
}

/**
 * The scheduled storage work: retention, outcome rollup, seal, users of files sealed before they
 * were counted, compact, upload to object storage and trim the local cache (when the lake is
 * there), delete retired files.
 */
export class StorageJob {
  private cron: Cron | null = null;
  private running: Promise<StorageReport> | null = null;
  private readonly watchers: Array<(report: StorageReport) => void> = [];

  constructor(
    private readonly store: Store,
    private readonly lake: Lake,
    private readonly log: Logger,
    private readonly options: StorageJobOptions,
  ) {}

  /** One run now; a run already in progress is joined rather than started twice. */
  run(sealEverything = false): Promise<StorageReport> {
    this.running ??= this.runOnce(sealEverything).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Tells `listener` of every finished run's report. */
  watch(listener: (report: StorageReport) => void): void {
    this.watchers.push(listener);
  }

  /** Runs on `pattern` (cron syntax, seconds allowed); croner's `protect` prevents overlap. */
  schedule(pattern: string): void {
    this.cron = new Cron(pattern, { protect: true, name: "storage" }, async () => {
      try {
        await this.run();
      } catch (error) {
        this.log.error("storage job failed", { error: String(error) });
      }
    });
  }

  /** Stops the schedule and waits for a run in progress. */
  async stop(): Promise<void> {
    this.cron?.stop();
    this.cron = null;
    await this.running?.catch(() => {});
  }

  private async runOnce(sealEverything: boolean): Promise<StorageReport> {
    const started = performance.now();
    const now = new Date();
    const retained = await this.lake.retain(now);
    const rolledUp = await this.lake.rollupOutcomes(now);
    const cutoff = new Date(now.getTime() - (sealEverything ? -1000 : this.options.sealGraceMs));
    const sealed = await this.lake.seal(cutoff);
    const usersCounted = await this.lake.countUncountedUsers();
    const compacted = await this.lake.compact(now);
    const uploaded = await this.lake.upload();
    const evicted = await this.lake.evict(this.options.retiredGraceMs);
    const purged = await this.lake.purgeRetired(this.options.retiredGraceMs);
    const attachments = (await this.options.purgeAttachments?.(now)) ?? { rows: 0, files: 0 };
    const checkpointStarted = performance.now();
    const checkpointed = await this.store.checkpoint();
    const checkpointMs = Math.round(performance.now() - checkpointStarted);
    const report = {
      retained,
      rolledUp,
      sealed,
      usersCounted,
      compacted,
      uploaded,
      evicted,
      purged,
      attachments,
      checkpointed,
      ms: Math.round(performance.now() - started),
    };
    this.log.info("storage job", {
      retained_files: retained.files,
      rolled_up_rows: rolledUp.rows,
      sealed_rows: sealed.rows,
      sealed_files: sealed.files,
      ...(usersCounted.files > 0
        ? { users_counted_files: usersCounted.files, users_uncounted_left: usersCounted.left }
        : {}),
      compacted_files: compacted.filesIn,
      ...(uploaded.files + uploaded.failed + evicted.files > 0
        ? {
            uploaded_files: uploaded.files,
            upload_failed_files: uploaded.failed,
            evicted_files: evicted.files,
            cached_bytes: evicted.cachedBytes,
          }
        : {}),
      purged_files: purged,
      attachment_rows_dropped: attachments.rows,
      attachment_files_deleted: attachments.files,
      checkpoint: checkpointed
        ? "done"
        : "deferred: DuckDB counted other writers busy; the next run tries again",
      checkpoint_ms: checkpointMs,
      ms: report.ms,
    });
    for (const watcher of this.watchers) watcher(report);
    return report;
  }
}
