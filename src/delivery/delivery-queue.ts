// The in-memory schedule of one subscription's pending deliveries: a FIFO per subject (by seq) so a
// later event of a subject waits for the earlier one, and a min-heap of the subjects' heads by next
// attempt time (then seq) so picking the next due delivery is O(log n). Heap entries are
// invalidated lazily.
import type { DeliveryRecord } from './outbox.js'
import { MinHeap } from '../min-heap.js'

export type Take = { rec: DeliveryRecord } | { wakeAt: number } | null

export class DeliveryQueue {
  private readonly subjects = new Map<string, DeliveryRecord[]>()
  /** (nextAttemptAt, seq) of each subject's head; entries go stale and are skipped lazily. */
  private readonly heap = new MinHeap()
  /** seq → record, for the heap's values (seq is unique per outbox). */
  private readonly bySeq = new Map<number, DeliveryRecord>()
  private readonly inFlight = new Set<DeliveryRecord>()
  private count = 0

  get size(): number {
    return this.count
  }

  get active(): number {
    return this.inFlight.size
  }

  private head(subject: string): DeliveryRecord | undefined {
    return this.subjects.get(subject)?.[0]
  }

  private offerHead(subject: string): void {
    const h = this.head(subject)
    if (h !== undefined && !this.inFlight.has(h)) {
      this.bySeq.set(h.seq, h)
      this.heap.push(h.nextAttemptAt, h.seq)
    }
  }

  add(rec: DeliveryRecord): void {
    let q = this.subjects.get(rec.subject)
    if (q === undefined) this.subjects.set(rec.subject, (q = []))
    // Usually appended; a revived dead letter keeps its old seq and goes back to its place.
    let i = q.length
    while (i > 0 && q[i - 1]!.seq > rec.seq) i--
    q.splice(i, 0, rec)
    this.count++
    if (i === 0) this.offerHead(rec.subject)
  }

  /** The due head with the earliest time (now marked in flight), the time the next one is due, or null. */
  take(now: number): Take {
    for (;;) {
      if (this.heap.size === 0) return null
      const at = this.heap.topKey()
      const rec = this.bySeq.get(this.heap.topVal())
      if (rec === undefined || this.head(rec.subject) !== rec || this.inFlight.has(rec) || rec.nextAttemptAt !== at) {
        this.heap.pop() // stale entry
        continue
      }
      if (at > now) return { wakeAt: at }
      this.heap.pop()
      this.inFlight.add(rec)
      return { rec }
    }
  }

  /** A failed attempt: back in the schedule at its (updated) nextAttemptAt. */
  release(rec: DeliveryRecord): void {
    this.inFlight.delete(rec)
    this.offerHead(rec.subject)
  }

  /** Delivered or dead: out of the queue; the subject's next delivery becomes eligible. */
  finish(rec: DeliveryRecord): void {
    this.inFlight.delete(rec)
    const q = this.subjects.get(rec.subject)
    const i = q?.indexOf(rec) ?? -1
    if (q === undefined || i < 0) return
    q.splice(i, 1)
    this.bySeq.delete(rec.seq)
    this.count--
    if (q.length === 0) this.subjects.delete(rec.subject)
    else if (i === 0) this.offerHead(rec.subject)
  }

  /** Re-offers every subject head after their times were changed from outside (subscription re-enabled). */
  rebuild(): void {
    this.heap.clear()
    this.bySeq.clear()
    for (const subject of this.subjects.keys()) this.offerHead(subject)
  }

  /** Every queued record, in seq order per subject. */
  all(): DeliveryRecord[] {
    return [...this.subjects.values()].flat()
  }

  /** Empties the queue (subscription removed); returns what was queued. */
  drain(): DeliveryRecord[] {
    const out = this.all()
    this.subjects.clear()
    this.heap.clear()
    this.bySeq.clear()
    this.inFlight.clear()
    this.count = 0
    return out
  }
}
