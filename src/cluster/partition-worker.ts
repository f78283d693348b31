// A partition's side effects, carried out while this engine owns the partition: its position rows
// go to ClickHouse in batches whose dedup token is the stream-sequence range they cover, and its
// alert events are delivered (journaled and published), in order. Progress is written to the
// partition's marks (KV) so every engine drops what was done and a new owner resumes exactly
// there:
// - rows: the range (from, to] is written as the marks' intent BEFORE the insert and `rows = to`
//   after it. A new owner finding an intent repeats exactly that range with the same token, so an
//   insert the dead owner completed is deduplicated by ClickHouse and one it did not is made.
// - alerts: `alerts` moves to the last sequence whose events (and every earlier one's) completed
//   delivery (webhooks answered or dead-lettered). A new owner redelivers what is after it with
//   the same webhook-id; in the normal case nothing (the window is between a webhook's 2xx and
//   the next marks write).
// Every step checks ownership first (owns(): the lease, fenced before anyone else may take it),
// so an engine that lost its lease stops at the next step (and resumes from the stored marks if
// it holds the lease again without the node having stopped the worker).
import type { Logger } from 'pino'
import type { EffectEntry, EffectEvent, Marks, PartitionEffects } from './effects.js'

export interface MarksIO {
  get(p: number): Promise<Marks>
  set(p: number, m: Marks): Promise<void>
}

export interface PartitionWorkerDeps {
  partition: number
  effects: PartitionEffects
  marks: MarksIO
  /** Inserts position rows with an insert dedup token; rejects when ClickHouse is away (retried). */
  insertRows(rows: string[], token: string): Promise<void>
  /** Delivers events; resolves once every webhook delivery of them is done. */
  deliver(events: EffectEvent[]): Promise<void>
  owns(): boolean
  logger: Logger
  /** Rows per insert (default 5,000). */
  maxRows?: number
  /**
   * Rows are inserted at most this often (default 1 s) unless maxRows are waiting: one insert (and
   * two marks writes) per second per partition, not one per fix.
   */
  shipEveryMs?: number
  /** Pause between rounds when there is nothing to do, and after a failure (default 250 ms / 1 s). */
  idleMs?: number
  retryMs?: number
  /** How long a graceful stop waits for deliveries in flight (default 2 s). */
  finalWaitMs?: number
}

export function rowsToken(p: number, from: bigint, to: bigint): string {
  return `hexpatrol-cluster:p${p}:${from}:${to}`
}

export class PartitionWorker {
  private stopped = false
  private wake: (() => void) | null = null
  private readonly done: Promise<void>
  /** Event deliveries in flight, in sequence order. */
  private readonly inflight: Array<{ seq: bigint; settled: boolean }> = []
  private deliveredUpTo = 0n
  /** Set when a delivery threw; the next round starts again from the alerts mark. */
  private failed = false
  private generation = 0
  private dirty = false
  /** When rows were last inserted (0: never, so the first round ships at once). */
  private lastShip = 0

  constructor(private readonly deps: PartitionWorkerDeps) {
    this.done = this.run().catch((err: unknown) => deps.logger.error({ err, partition: deps.partition }, 'Partition worker stopped on an unexpected error; the partition is carried out again when it is owned again.'))
  }

  /** New effects may be waiting. */
  poke(): void {
    const w = this.wake
    this.wake = null
    w?.()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.poke()
    await this.done
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { this.wake = null; resolve() }, ms)
      this.wake = () => { clearTimeout(t); resolve() }
    })
  }

  private active(): boolean {
    return !this.stopped && this.deps.owns()
  }

  private async run(): Promise<void> {
    const { deps } = this
    const p = deps.partition
    const idle = deps.idleMs ?? 250
    const retry = deps.retryMs ?? 1000
    let marks: Marks | null = null
    while (!this.stopped) {
      // Not the owner at this instant (a lease renewed late under load, past its fence): wait and
      // read the marks again once owned, rather than end the loop while the node still counts on
      // this worker (it replaces a worker only when the ownership view changes).
      if (!deps.owns()) {
        marks = null
        await this.sleep(idle)
        continue
      }
      try {
        if (marks === null) {
          const stored = await deps.marks.get(p)
          deps.effects.mark(p, stored)
          // After a failed marks write the stored `alerts` may be behind what this worker already
          // delivered: keep its own progress (written with the next marks) rather than deliver
          // those events a second time.
          marks = this.deliveredUpTo > stored.alerts ? { ...stored, alerts: this.deliveredUpTo } : stored
          if (marks !== stored) this.dirty = true
          this.deliveredUpTo = marks.alerts
          if (marks.intent !== null && marks.intent.from === marks.rows) marks = await this.shipRows(marks, marks.intent.to, marks.intent)
        }
        marks = this.deliverEvents(marks)
        const shipped = await this.shipRows(marks, undefined, null)
        const progressed = shipped !== marks
        marks = shipped
        if (this.dirty && this.active()) {
          this.dirty = false
          await deps.marks.set(p, marks)
          deps.effects.mark(p, marks)
        }
        if (!progressed) await this.sleep(idle)
      } catch (err) {
        deps.logger.warn({ err, partition: p }, 'Partition side effects failed (ClickHouse or NATS away?); retrying.')
        marks = null
        await this.sleep(retry)
      }
    }
    // A graceful stop while still the owner: give deliveries in flight a moment, then write the
    // marks once more so the next owner does not deliver them again.
    if (marks === null || !deps.owns()) return
    const deadline = Date.now() + (deps.finalWaitMs ?? 2000)
    while (this.inflight.some((s) => !s.settled) && Date.now() < deadline && deps.owns()) await new Promise((r) => setTimeout(r, 20))
    const final = this.deliverEvents(marks)
    if (this.dirty && deps.owns()) await deps.marks.set(p, final).catch(() => undefined)
  }

  /** Starts delivery of every event after the marks, in order; returns the marks with `alerts` advanced over completed ones. */
  private deliverEvents(marks: Marks): Marks {
    const p = this.deps.partition
    if (this.failed) {
      // A delivery threw: start again from the mark (the dispatcher does not queue an event twice
      // for a subscription while it is pending, so the ones still in flight are not doubled).
      this.failed = false
      this.generation++
      this.inflight.length = 0
      this.deliveredUpTo = marks.alerts
    }
    const started = this.inflight.length === 0 ? this.deliveredUpTo : this.inflight[this.inflight.length - 1]!.seq
    const generation = this.generation
    for (const e of this.deps.effects.eventsAfter(p, started > marks.alerts ? started : marks.alerts)) {
      if (!this.active()) break
      const slot = { seq: e.seq, settled: false }
      this.inflight.push(slot)
      void this.deps.deliver(e.events).then(() => {
        slot.settled = true
        this.poke()
      }, (err: unknown) => {
        if (generation !== this.generation) return
        this.deps.logger.error({ err, partition: p }, 'Alert delivery failed; delivering again from the partition\'s alerts mark.')
        this.failed = true
        this.poke()
      })
    }
    let upTo = marks.alerts
    while (this.inflight.length > 0 && this.inflight[0]!.settled) upTo = this.inflight.shift()!.seq
    if (upTo > marks.alerts) {
      this.deliveredUpTo = upTo > this.deliveredUpTo ? upTo : this.deliveredUpTo
      this.dirty = true
      return { ...marks, alerts: upTo }
    }
    return marks
  }

  /** Ships the next batch of rows (or exactly `upTo` for an intent left by a previous owner). */
  private async shipRows(marks: Marks, upTo: bigint | undefined, intent: Marks['intent']): Promise<Marks> {
    const { deps } = this
    const p = deps.partition
    // Not due yet (and not a previous owner's intent): wait to insert a bigger batch.
    if (upTo === undefined && Date.now() - this.lastShip < (deps.shipEveryMs ?? 1000) && deps.effects.rowsPending(p) < (deps.maxRows ?? 5000)) return marks
    const batch: EffectEntry[] = deps.effects.rowsAfter(p, marks.rows, upTo === undefined ? (deps.maxRows ?? 5000) : Number.MAX_SAFE_INTEGER, upTo)
    const to = upTo ?? batch[batch.length - 1]?.seq
    if (to === undefined || !this.active()) return marks
    const from = marks.rows
    if (intent === null) await deps.marks.set(p, { ...marks, intent: { from, to } })
    if (!this.active()) return marks
    const rows = batch.flatMap((e) => e.rows)
    if (rows.length > 0) await deps.insertRows(rows, rowsToken(p, from, to))
    this.lastShip = Date.now()
    this.dirty = true
    return { ...marks, rows: to, intent: null }
  }
}
