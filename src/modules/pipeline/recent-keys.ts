const LOW_53_BITS = (1n << 53n) - 1n;

/**
 * A 53-bit hash of a value within an app: what dedup and session counting remember. 53 bits fit a
 * JS number, and a Map keyed by numbers is several times faster than one keyed by bigints.
 */
export function scopedKey(appId: string, value: string): number {
  return Number(Bun.hash.wyhash(`${appId}\u0000${value}`) & LOW_53_BITS);
}

/**
 * The keys seen within a sliding window (7 days for dedup), in memory. The truth is the key table
 * written in the same transaction as the events; this is loaded from it at start, and updated only
 * after a commit, so memory never claims a key the database does not hold.
 *
 * Hashes keep a week of keys small (tens of bytes each). With a million keys in the window, the
 * chance that any two different ids share a hash is about 5 in 100,000; such an event would be
 * counted a duplicate.
 */
export class RecentKeys {
  private readonly seen = new Map<number, number>();

  constructor(readonly windowMs: number) {}

  has(key: number, now: number): boolean {
    const at = this.seen.get(key);
    return at !== undefined && now - at < this.windowMs;
  }

  /** When the key was last seen within the window, or null. */
  receivedAt(key: number, now = Date.now()): number | null {
    const at = this.seen.get(key);
    return at !== undefined && now - at < this.windowMs ? at : null;
  }

  add(key: number, at: number): void {
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
