// What one logged-in MQTT connection may send the embedded broker per second: a token bucket of
// bytes and one of PUBLISH packets. Spending may overdraw a bucket (a packet is never split or
// refused here); the connection then waits until both are back to zero. The broker applies the
// wait as backpressure (it stops reading from that socket), so only the offender's PUBACKs slow
// down: a 600 kB burst from one device no longer delays every other device's acks. Pure: clocked.
import { TokenBucket, type BucketRate } from './token-bucket.js'

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
