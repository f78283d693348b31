// What one logged-in MQTT connection may send the embedded broker per second: a token bucket of
// bytes and one of PUBLISH packets. Spending may overdraw a bucket (a packet is never split or
// refused here); the connection then waits until both are back to zero. The broker applies the
// wait as backpressure (it stops reading from that socket), so only the offender's PUBACKs slow
// down: a 600 kB burst from one device no longer delays every other device's acks. Pure: clocked.

export interface BucketRate {
  /** Tokens added per second (0 = unlimited). */
  perSecond: number
  /** Tokens the bucket holds at most: what may be spent at once after a quiet spell. */
  burst: number
}

export class TokenBucket {
  private tokens: number
  private last: number

  constructor(private readonly rate: BucketRate, private readonly now: () => number) {
    this.tokens = rate.burst
    this.last = now()
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
    this.tokens = Math.min(this.rate.burst, this.tokens + ((t - this.last) * this.rate.perSecond) / 1000)
    this.last = t
  }
}

export interface ClientBudgetLimits {
  bytes: BucketRate
  messages: BucketRate
}

/** A connection's byte and message buckets: wait() is the longer of the two. */
export class ClientBudget {
  private readonly bytes: TokenBucket
  private readonly messages: TokenBucket

  constructor(limits: ClientBudgetLimits, now: () => number = Date.now) {
    this.bytes = new TokenBucket(limits.bytes, now)
    this.messages = new TokenBucket(limits.messages, now)
  }

  /** Bytes read from the socket and PUBLISH packets they start; returns ms to wait before reading more. */
  spend(bytes: number, publishes: number): number {
    return Math.max(this.bytes.spend(bytes), this.messages.spend(publishes))
  }

  wait(): number {
    return Math.max(this.bytes.wait(), this.messages.wait())
  }
}
