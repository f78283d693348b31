// Per-device token buckets for HTTP ingest: `perMinute` requests a minute on average, bursts of
// up to `burst` (a phone flushing its queue after a dead zone). Pure and clocked; the key set is
// bounded (least recently used keys are forgotten first), so hostile ids cannot grow it.
interface Bucket { tokens: number; at: number }

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()
  private readonly perMs: number

  constructor(
    perMinute: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {
    this.perMs = perMinute / 60_000
  }

  /** Takes one token for `key`: 0 when allowed, else the milliseconds until a token is free. */
  take(key: string): number {
    const t = this.now()
    let b = this.buckets.get(key)
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!)
      b = { tokens: this.burst, at: t }
    } else {
      this.buckets.delete(key)
      b.tokens = Math.min(this.burst, b.tokens + Math.max(0, t - b.at) * this.perMs)
      b.at = t
    }
    // Re-inserted so the Map's order is least recently used first.
    this.buckets.set(key, b)
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.ceil((1 - b.tokens) / this.perMs)
  }

  get size(): number {
    return this.buckets.size
  }
}
