export type Taken = { ok: true; remaining: number } | { ok: false; retryAfter: number };

/** What a route's rate limit asks of its buckets: this process's (below) or a cluster's shared ones. */
export interface Limiter {
  readonly burst: number;
  take(caller: string): Taken | Promise<Taken>;
}

/** A token bucket per caller: `burst` requests at once, refilled at `perSecond`. */
export class RateLimiter implements Limiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly burst: number,
    private readonly perSecond: number,
  ) {}

  /** Takes one token; returns what is left, or the seconds to wait when there is none. */
  take(caller: string, now = Date.now()): Taken {
    const bucket = this.buckets.get(caller) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.buckets.set(caller, bucket);
    if (bucket.tokens < 1)
      return { ok: false, retryAfter: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond)) };
    bucket.tokens -= 1;
    return { ok: true, remaining: Math.floor(bucket.tokens) };
  }
}
