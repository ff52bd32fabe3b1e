import type { Logger } from "../lib/log";
import { FOLD_BATCH, foldUserCounts } from "../modules/app-users/repository.cluster";
import type { PgStore } from "../store/postgres/db";

/**
 * Every ten seconds: a user seen in many rounds meanwhile is written once. Folding each second
 * upserted every user of every second (2,000–5,000 under bench/ingest.ts: 150–300 ms of work a
 * second on this 2-core machine, which ingest shares).
 */
const EVERY_MS = 10_000;

/**
 * Folds the rounds' pending user counts into app_users (decision 017), on every node: whichever
 * takes the lock folds, the others skip. Reads and claims fold what is left themselves, so this
 * only keeps the pending rows few, and their freshness does not depend on it.
 */
export class UserCountFolder {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly pg: PgStore,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.running ??= this.fold().finally(() => {
        this.running = null;
      });
    }, EVERY_MS);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async fold(): Promise<void> {
    try {
      const started = performance.now();
      let rounds = 0;
      for (;;) {
        const folded = await this.pg.atomic((tx) => foldUserCounts(tx, false));
        rounds += folded;
        if (folded < FOLD_BATCH) break;
      }
      if (rounds > 0)
        this.log.debug("user counts folded", { rounds, ms: Math.round(performance.now() - started) });
    } catch (error) {
      if (this.pg.isOpen) this.log.error("folding user counts failed", { error: String(error) });
    }
  }
}
