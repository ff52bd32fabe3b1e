/**
 * Fixed-window counters (per minute for quotas, per hour for the abuse limit), in memory: a restart
 * starts each window afresh, which errs on the side of accepting.
 */
export class WindowCounters {
  private readonly counts = new Map<string, { window: number; n: number }>();

  constructor(private readonly windowMs: number) {}

  /** Whether `add` more would pass `limit` in the current window (null: no limit). */
  wouldExceed(key: string, add: number, limit: number | null, now: number): boolean {
    if (limit === null) return false;
    return this.current(key, now) + add > limit;
  }

  add(key: string, n: number, now: number): void {
    const window = this.windowOf(now);
    const entry = this.counts.get(key);
    if (entry && entry.window === window) entry.n += n;
    else this.counts.set(key, { window, n });
  }

  /** Whole seconds until the current window ends, at least 1: the `Retry-After` value. */
  retryAfter(now: number): number {
    return Math.max(1, Math.ceil((this.windowOf(now) + this.windowMs - now) / 1000));
  }

  /** Drops counters of past windows. */
  prune(now: number): void {
    const window = this.windowOf(now);
    for (const [key, entry] of this.counts) if (entry.window !== window) this.counts.delete(key);
  }

  private current(key: string, now: number): number {
    const entry = this.counts.get(key);
    return entry && entry.window === this.windowOf(now) ? entry.n : 0;
  }

  private windowOf(now: number): number {
    return now - (now % this.windowMs);
  }
}
