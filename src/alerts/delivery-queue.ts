// The in-memory schedule of one subscription's pending deliveries: a FIFO per subject (by seq) so a
// later event of a subject waits for the earlier one, and a min-heap of the subjects' heads by next
// attempt time so picking the next due delivery is O(log n). Heap entries are invalidated lazily.
import type { DeliveryRecord } from './outbox.js'

interface Entry { rec: DeliveryRecord; at: number }

const before = (a: Entry, b: Entry): boolean => a.at < b.at || (a.at === b.at && a.rec.seq < b.rec.seq)

class MinHeap {
  private readonly items: Entry[] = []
  push(e: Entry): void {
    const a = this.items
    a.push(e)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(a[i]!, a[p]!)) break
      ;[a[i], a[p]] = [a[p]!, a[i]!]
      i = p
    }
  }
  peek(): Entry | undefined {
    return this.items[0]
  }
  pop(): Entry | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last !== undefined) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && before(a[l]!, a[m]!)) m = l
        if (r < a.length && before(a[r]!, a[m]!)) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return top
  }
  clear(): void {
    this.items.length = 0
  }
}

export type Take = { rec: DeliveryRecord } | { wakeAt: number } | null

export class DeliveryQueue {
  private readonly subjects = new Map<string, DeliveryRecord[]>()
  private readonly heap = new MinHeap()
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
    if (h !== undefined && !this.inFlight.has(h)) this.heap.push({ rec: h, at: h.nextAttemptAt })
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
      const top = this.heap.peek()
      if (top === undefined) return null
      const { rec, at } = top
      if (this.head(rec.subject) !== rec || this.inFlight.has(rec) || rec.nextAttemptAt !== at) {
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
    this.count--
    if (q.length === 0) this.subjects.delete(rec.subject)
    else if (i === 0) this.offerHead(rec.subject)
  }

  /** Re-offers every subject head after their times were changed from outside (subscription re-enabled). */
  rebuild(): void {
    this.heap.clear()
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
    this.inFlight.clear()
    this.count = 0
    return out
  }
}
