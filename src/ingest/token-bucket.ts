// The one token bucket: `perSecond` tokens added, at most `burst` held (what may be spent at once
// after a quiet spell). Used for HTTP ingest per device, per refused address and overall, for the
// API per token, and (two per connection) for the embedded broker's client budgets. Keyed buckets
// are bounded: least recently used keys are forgotten first, so hostile ids cannot grow the set.
// Pure and clocked; a clock going back refills nothing.

export interface BucketRate {
  /** Tokens added per second (0 = unlimited). */
  perSecond: number
  /** Tokens the bucket holds at most. */
  burst: number
}

export class TokenBucket {
  private tokens: number
  private last: number

  constructor(private readonly rate: BucketRate, private readonly now: () => number) {
    this.tokens = rate.burst
    this.last = now()
  }

  /** Takes one token if there is one: 0 when taken, else the milliseconds until one is free (nothing taken). */
  take(): number {
    if (this.rate.perSecond <= 0) return 0
    this.refill()
    if (this.tokens >= 1) {
      this.tokens -= 1
      return 0
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.rate.perSecond)
  }

  /** Spends n tokens (possibly overdrawing); returns ms until the balance is back to zero. */
  spend(n: number): number {
    if (this.rate.perSecond <= 0) return 0
    this.refill()
    this.tokens -= n
    return this.wait()
  }

  /** Ms until the balance is back to zero (0 when not overdrawn). */
  wait(): number {
    if (this.rate.perSecond <= 0) return 0
    this.refill()
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rate.perSecond)
  }

  private refill(): void {
    const t = this.now()
    this.tokens = Math.min(this.rate.burst, this.tokens + (Math.max(0, t - this.last) * this.rate.perSecond) / 1000)
    this.last = t
  }
}

/** One bucket per key (a device, an address, a token name), at most `maxKeys` of them. */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>()

  constructor(
    private readonly rate: BucketRate,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes one token for `key`: 0 when allowed, else the milliseconds until a token is free. */
  take(key: string): number {
    let b = this.buckets.get(key)
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!)
      b = new TokenBucket(this.rate, this.now)
    } else {
      this.buckets.delete(key)
    }
    // Re-inserted so the Map's order is least recently used first.
    this.buckets.set(key, b)
    return b.take()
  }

  get size(): number {
    return this.buckets.size
  }
}
