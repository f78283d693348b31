// The side effects every engine computes but only a partition's owner carries out: the ClickHouse
// rows of a partition (its fixes' positions; incidents and plan events, effect-rows.ts) and the
// events of its units, zones, incidents and plans (alert transitions and other outbound events), each tagged
// with the stream sequence of the record that caused it. Every engine keeps them until the
// partition's progress marks (KV hexpatrol_progress, written by the owner) say they were done, so
// an engine that takes a partition over carries out exactly what its previous owner had not:
// rows from the `rows` mark on, events from the `alerts` mark on. Pure: no I/O, no clock.
import type { AlertEvent } from '../rules/alert-event.js'
import type { OutboundEvent } from '../delivery/outbound-event.js'
import { mergeMarks, ZERO_MARKS, type Marks } from './marks-codec.js'

export type { Marks } from './marks-codec.js'

/** An alert transition (delivered through the alert fan-out) or any other outbound event (incidents, plans, levels). */
export type EffectEvent = AlertEvent | OutboundEvent

export function isAlertEffect(e: EffectEvent): e is AlertEvent {
  return 'eventId' in e
}

/** The id a delivery is tracked by (the webhook-id derives from it). */
export function effectEventId(e: EffectEvent): string {
  return isAlertEffect(e) ? e.eventId : e.id
}

export interface EffectEntry {
  seq: bigint
  rows: string[]
  events: EffectEvent[]
}

/** A bound on what a partition keeps while nobody carries it out (an owner that is away). */
export const MAX_PENDING_ENTRIES = 2_000_000

export class PartitionEffects {
  private readonly queues = new Map<number, EffectEntry[]>()
  private readonly marks = new Map<number, Marks>()
  /** Entries dropped because a partition went over MAX_PENDING_ENTRIES (counted, never silent). */
  dropped = 0
  /** Alert events recorded so far (all partitions): a change means an owner has events to deliver. */
  eventsAdded = 0
  /** Rows kept per partition (what its owner has not inserted yet). */
  private readonly rowCounts = new Map<number, number>()

  constructor(private readonly maxPending = MAX_PENDING_ENTRIES) {}

  /** Records what the entry at `seq` caused in partition `p` (nothing is kept for what the marks passed). */
  add(p: number, seq: bigint, rows: string[], events: EffectEvent[]): void {
    const m = this.marks.get(p) ?? ZERO_MARKS
    const keepRows = seq > m.rows ? rows : []
    const keepEvents = seq > m.alerts ? events : []
    if (keepRows.length === 0 && keepEvents.length === 0) return
    this.eventsAdded += keepEvents.length
    if (keepRows.length > 0) this.rowCounts.set(p, (this.rowCounts.get(p) ?? 0) + keepRows.length)
    let q = this.queues.get(p)
    if (q === undefined) this.queues.set(p, (q = []))
    const last = q[q.length - 1]
    if (last !== undefined && last.seq === seq) {
      last.rows.push(...keepRows)
      last.events.push(...keepEvents)
      return
    }
    q.push({ seq, rows: [...keepRows], events: [...keepEvents] })
    if (q.length > this.maxPending) {
      const gone = q.shift()!
      this.rowCounts.set(p, (this.rowCounts.get(p) ?? 0) - gone.rows.length)
      this.dropped++
    }
  }

  /** The owner's marks for `p` (they never move back): drops what they pass. */
  mark(p: number, m: Marks): void {
    const now = mergeMarks(this.marks.get(p) ?? ZERO_MARKS, m)
    this.marks.set(p, now)
    const q = this.queues.get(p)
    if (q === undefined) return
    // Every entry a mark passed loses what it passed, also behind an entry still busy with the
    // other kind (rows behind an event whose webhook is retrying); entries left with nothing are
    // removed, so a lagging `alerts` mark does not keep every later row in memory.
    let kept = 0
    let i = 0
    for (; i < q.length; i++) {
      const e = q[i]!
      if (e.seq > now.rows && e.seq > now.alerts) break
      if (e.seq <= now.rows && e.rows.length > 0) {
        this.rowCounts.set(p, (this.rowCounts.get(p) ?? 0) - e.rows.length)
        e.rows = []
      }
      if (e.seq <= now.alerts) e.events = []
      if (e.rows.length > 0 || e.events.length > 0) q[kept++] = e
    }
    if (i > kept) q.splice(kept, i - kept)
  }

  /** Rows of `p` no owner has inserted yet. */
  rowsPending(p: number): number {
    return this.rowCounts.get(p) ?? 0
  }

  marksOf(p: number): Marks {
    return this.marks.get(p) ?? ZERO_MARKS
  }

  /** Entries of `p` with rows, after `after`, up to `maxRows` rows (whole entries), and up to `upTo` when given. */
  rowsAfter(p: number, after: bigint, maxRows: number, upTo?: bigint): EffectEntry[] {
    const out: EffectEntry[] = []
    let n = 0
    for (const e of this.queues.get(p) ?? []) {
      if (e.seq <= after || e.rows.length === 0) continue
      if (upTo !== undefined && e.seq > upTo) break
      if (n > 0 && n + e.rows.length > maxRows) break
      out.push(e)
      n += e.rows.length
    }
    return out
  }

  /** Entries of `p` with events after `after`, in order. */
  eventsAfter(p: number, after: bigint): EffectEntry[] {
    return (this.queues.get(p) ?? []).filter((e) => e.seq > after && e.events.length > 0)
  }

  /** Entries kept for `p` (pending work: the lag of its owner). */
  pending(p: number): number {
    return this.queues.get(p)?.length ?? 0
  }

  partitions(): number[] {
    return [...this.queues.keys()]
  }

  /** The persistence form (inside the fleet snapshot): what no owner had done at the snapshot. */
  toJSON(): SerializedEffects {
    const out: SerializedEffects = {}
    for (const [p, q] of this.queues) {
      if (q.length === 0) continue
      out[p] = q.map((e) => ({ seq: e.seq.toString(), rows: e.rows, events: e.events }))
    }
    return out
  }

  static fromJSON(s: SerializedEffects, maxPending?: number): PartitionEffects {
    const fx = new PartitionEffects(maxPending)
    for (const [p, q] of Object.entries(s)) {
      fx.queues.set(Number(p), q.map((e) => ({ seq: BigInt(e.seq), rows: e.rows, events: e.events })))
      fx.rowCounts.set(Number(p), q.reduce((n, e) => n + e.rows.length, 0))
    }
    return fx
  }
}

export type SerializedEffects = Record<string, Array<{ seq: string; rows: string[]; events: EffectEvent[] }>>
