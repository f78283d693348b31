// Partition ownership, as pure decisions over a clock: what one engine should do about one lease
// given what it last read from the KV bucket. The KV I/O is src/cluster/leases.ts.
//
// No wall clocks are compared between engines. A lease is a KV key whose value names the owner;
// the owner proves it is alive by rewriting it (a new revision) every takeover/3, always with a
// compare-and-set on the revision it last wrote. Another engine may take the key only after it
// has seen the same revision for `takeover` by its own clock, again by compare-and-set. The owner
// counts its lease from the moment it *sent* its last successful write: any other engine saw that
// revision no earlier, so it cannot take the key before sentAt + takeover. The owner stops (is
// fenced) a margin before that, even while it cannot reach NATS to learn whether it lost the key.
//
// A write that takes a key (create, claim, or a renewal that did not land while the hold was
// unfenced) is not trusted on its own: nats-server before 2.11 can accept two compare-and-sets
// that name the same revision when they arrive together on a replicated bucket (both answer
// success, the later one stays). Such a write makes us owner only once a read sent at least
// `confirmAfter` after its answer still shows our revision. The other write, if any, was accepted
// before ours was stored, so by then it is stored too (a timing assumption, like the fence's), and
// the read shows which one stayed. A renewal answered before our fence needs no confirmation:
// nobody may claim the key until a margin after that fence, so no compare-and-set on the same
// revision can be in flight beside it.

export interface LeaseSeen {
  /** null: the key is absent (never created, or released). */
  owner: string | null
  revision: number
}

export type LeaseAction =
  | { kind: 'wait' }
  | { kind: 'create' }
  | { kind: 'renew'; revision: number }
  /** `owner`: the holder whose lease lapsed (for the takeover metrics). */
  | { kind: 'claim'; revision: number; owner: string }

export interface LeaseTiming {
  takeoverMs: number
  /** Default takeover / 3. */
  renewEveryMs?: number
  /** Stop this long before the earliest moment another engine may take over (default takeover / 10). */
  fenceMarginMs?: number
  /** How long after a taking write's answer the confirming read may be sent (default takeover / 12, half a lease round). */
  confirmAfterMs?: number
}

export class LeaseDecision {
  readonly renewEveryMs: number
  readonly fenceMarginMs: number
  readonly confirmAfterMs: number
  private seen: LeaseSeen | null = null
  /** When (our clock) the current revision was first seen. */
  private seenSince = 0
  /** Sent-at of our last successful write, while we hold the key. */
  private heldSince: number | null = null
  private revisionHeld = 0
  /** False after a taking write until a late enough read shows our revision. */
  private confirmed = false
  /** The earliest time (our clock) a read may be sent that confirms the write we hold. */
  private confirmableAt = 0

  constructor(readonly nodeId: string, private readonly timing: LeaseTiming) {
    this.renewEveryMs = timing.renewEveryMs ?? Math.floor(timing.takeoverMs / 3)
    this.fenceMarginMs = timing.fenceMarginMs ?? Math.floor(timing.takeoverMs / 10)
    this.confirmAfterMs = timing.confirmAfterMs ?? Math.floor(timing.takeoverMs / 12)
  }

  /** What a read of the key returned at `now`; `askedAt`: when that read was sent (default `now`). */
  observe(seen: LeaseSeen, now: number, askedAt = now): void {
    if (this.seen === null || this.seen.revision !== seen.revision) this.seenSince = now
    this.seen = seen
    if (this.heldSince === null) return
    // Someone else wrote the key: whatever we believed, we no longer hold it.
    if (seen.revision !== this.revisionHeld) this.heldSince = null
    else if (askedAt >= this.confirmableAt) this.confirmed = true
  }

  /**
   * Our write (create, renew or claim) sent at `sentAt` was stored as `revision`, answered at
   * `answeredAt` (default `sentAt`). Only a renewal answered before the fence of a confirmed hold
   * keeps us acting; any other write waits for a confirming read.
   */
  written(revision: number, sentAt: number, answeredAt = sentAt): void {
    const continuous = this.heldSince !== null && this.confirmed && answeredAt < this.fenceAt()
    this.heldSince = sentAt
    this.revisionHeld = revision
    this.seen = { owner: this.nodeId, revision }
    this.seenSince = sentAt
    this.confirmed = continuous
    this.confirmableAt = answeredAt + this.confirmAfterMs
  }

  /** When a read may be sent that would confirm the write we hold; null when nothing waits for one. */
  confirmDueAt(): number | null {
    return this.heldSince !== null && !this.confirmed ? this.confirmableAt : null
  }

  /** Our compare-and-set failed: someone else wrote first. Read the key again before deciding. */
  conflicted(): void {
    this.heldSince = null
    this.seen = null
  }

  /** We released the key (deleted it). */
  released(): void {
    this.heldSince = null
    this.seen = null
  }

  /** True while we may act as the owner: we hold the key, confirmed, and are not past our fence time. */
  owns(now: number): boolean {
    return this.heldSince !== null && this.confirmed && now < this.fenceAt()
  }

  /** The revision we last wrote while we hold the key (fenced or not), else null. */
  heldRevision(): number | null {
    return this.heldSince === null ? null : this.revisionHeld
  }

  /** How long (our clock) the key has shown the revision we last saw; 0 before any read. */
  unchangedFor(now: number): number {
    return this.seen === null ? 0 : now - this.seenSince
  }

  /** The time at which an owner stops acting as one (Infinity is never: we do not hold it). */
  fenceAt(): number {
    return this.heldSince === null ? Infinity : this.heldSince + this.timing.takeoverMs - this.fenceMarginMs
  }

  decide(now: number): LeaseAction {
    if (this.heldSince !== null) {
      // Renewing after the fence is still safe: the compare-and-set fails if anyone took the key.
      return now - this.heldSince >= this.renewEveryMs ? { kind: 'renew', revision: this.revisionHeld } : { kind: 'wait' }
    }
    if (this.seen === null) return { kind: 'wait' }
    if (this.seen.owner === null) return { kind: 'create' }
    // Another engine's (or an earlier run of ours: it may still be alive, paused): wait it out.
    return now - this.seenSince >= this.timing.takeoverMs ? { kind: 'claim', revision: this.seen.revision, owner: this.seen.owner } : { kind: 'wait' }
  }
}
