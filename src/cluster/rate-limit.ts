import type { Limiter, Taken } from "../lib/rate-limit";
import { takeToken } from "../modules/access/repository.cluster";
import type { PgStore } from "../store/postgres/db";

/**
 * A read API's token buckets on a cluster (decision 017): the same bucket as `RateLimiter`, kept
 * in PostgreSQL, so a caller gets `burst` and `perSecond` across all nodes, not per node.
 */
export class SharedRateLimiter implements Limiter {
  constructor(
    private readonly pg: PgStore,
    private readonly name: string,
    readonly burst: number,
    private readonly perSecond: number,
  ) {}

  async take(caller: string): Promise<Taken> {
    const { tokens, ok } = await this.pg.atomic((tx) =>
      takeToken(tx, this.name, caller, this.burst, this.perSecond),
    );
    if (!ok) return { ok: false, retryAfter: Math.max(1, Math.ceil((1 - tokens) / this.perSecond)) };
    return { ok: true, remaining: Math.floor(tokens) };
  }
}
