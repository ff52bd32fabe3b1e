/** A 64-bit hash of a value within an app: what dedup and session counting remember. */
export function scopedKey(appId: string, value: string): bigint {
  return Bun.hash.wyhash(`${appId}\u0000${value}`);
}

/**
 * The keys seen within a sliding window (7 days for dedup), in memory. The truth is the key table
 * written in the same transaction as the events; this is loaded from it at start, and updated only
 * after a commit, so memory never claims a key the database does not hold.
 *
 * 64-bit hashes keep a week of keys small (tens of bytes each). Two different ids colliding is
 * about one chance in 10^7 per million keys a week; such an event would be counted a duplicate.
 */
export class RecentKeys {
  private readonly seen = new Map<bigint, number>();

  constructor(readonly windowMs: number) {}

  has(key: bigint, now: number): boolean {
    const at = this.seen.get(key);
    return at !== undefined && now - at < this.windowMs;
  }

  add(key: bigint, at: number): void {
    this.seen.set(key, at);
  }

  /** Forgets keys older than the window; returns how many. */
  prune(now: number): number {
    let removed = 0;
    for (const [key, at] of this.seen) {
      if (now - at >= this.windowMs) {
        this.seen.delete(key);
        removed++;
      }
    }
    return removed;
  }

  get size(): number {
    return this.seen.size;
  }
}
