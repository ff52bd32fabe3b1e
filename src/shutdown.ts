import type { Logger } from "./lib/log";

/** What a graceful stop does, each step a promise the next waits for. */
export interface ShutdownSteps {
  /** Stop taking requests and wait for those in flight (their writes are queued by then). */
  stopAccepting(): Promise<unknown>;
  /** Commit everything the write queue holds: every acknowledged event is committed already. */
  drainWrites(): Promise<unknown>;
  /** Stop the storage job's schedule and let a seal or compaction in progress finish. */
  stopJobs(): Promise<unknown>;
  /** Write the keys' last_used_at gathered since the last flush. */
  flushLastUsed(): Promise<unknown>;
  /** Wait for queued writes, checkpoint, close DuckDB. */
  closeStore(): Promise<unknown>;
}

/** The order matters: nothing may write after the store closes, nor arrive after the queue drains. */
export const SHUTDOWN_ORDER = [
  "stopAccepting",
  "drainWrites",
  "stopJobs",
  "flushLastUsed",
  "closeStore",
] as const satisfies ReadonlyArray<keyof ShutdownSteps>;

/**
 * Runs the steps one after another. A step that fails is logged and the next still runs, so the
 * store is closed (and checkpointed) whatever failed before it. Resolves true when every step
 * succeeded.
 */
export async function shutDown(steps: ShutdownSteps, log: Logger): Promise<boolean> {
  let clean = true;
  for (const name of SHUTDOWN_ORDER) {
    const started = performance.now();
    try {
      await steps[name]();
      log.debug("shutdown step", { step: name, ms: Math.round(performance.now() - started) });
    } catch (error) {
      clean = false;
      log.error("shutdown step failed", { step: name, error: String(error) });
    }
  }
  return clean;
}
