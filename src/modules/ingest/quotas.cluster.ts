import type { PgStore } from "../../store/postgres/db";
import type { KeyCaller } from "../access/caller";
import type { ProjectView } from "../projects/service";
import { limitsFor, type QuotaGate, type QuotaRefusal, refusalOf } from "./quotas";
import { countUsage } from "./repository.cluster";

/** Thrown inside the transaction to undo the limits it had already counted. */
class OverLimit extends Error {
  constructor(readonly refusal: QuotaRefusal) {
    super(refusal.message);
  }
}

/**
 * The event limits on a cluster (decision 017): the same limits as `Quotas`, counted in
 * PostgreSQL so that they hold whichever node a batch reaches. A batch is counted against every
 * limit in one transaction, each by an upsert that refuses to pass its limit, so two nodes can
 * never both fit the last room of a window.
 */
export class SharedQuotas implements QuotaGate {
  constructor(private readonly control: PgStore) {}

  async admit(
    caller: KeyCaller,
    project: ProjectView,
    n: number,
    mode: "ingest" | "import",
    now: number,
  ): Promise<QuotaRefusal | null> {
    const limits = limitsFor(caller, project, mode).filter((l) => l.max !== null);
    if (limits.length === 0 || n === 0) return null;
    try {
      await this.control.atomic(async (tx) => {
        for (const limit of limits) {
          const start = now - (now % limit.windowMs);
          if (
            !(await countUsage(tx, `${limit.reason}:${limit.key}`, new Date(start), n, limit.max as number))
          ) {
            throw new OverLimit(
              refusalOf(limit, Math.max(1, Math.ceil((start + limit.windowMs - now) / 1000))),
            );
          }
        }
      });
      return null;
    } catch (error) {
      if (error instanceof OverLimit) return error.refusal;
      throw error;
    }
  }
}
