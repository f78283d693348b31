// Ships sealed journal segments to the sink (ClickHouse, via the integrator's `deliver`), oldest
// first, retrying forever with backoff. A segment leaves the disk only once deliver says
// 'delivered' or 'rejected' (dead-lettered by deliver itself). With concurrency 1, segment N+1 is
// never offered before N is confirmed. Only in-flight segments are held in memory; the disk bound
// of the journal is the backpressure while the sink is down.
import { EventEmitter } from 'node:events'
import { backoffDelay } from './backoff.js'
import { NOOP_LOGGER, type Journal, type JournalLogger, type SealedSegment } from './journal.js'

export type BatchStatus = 'delivered' | 'retriable' | 'rejected'
/** May also throw (or reject): treated as retriable. */
export type Deliver = (seg: SealedSegment, records: Buffer[]) => Promise<BatchStatus>

export interface ShipperOptions {
  retryMinMs: number
  retryMaxMs: number
  /** Segments delivered in parallel (default 1 = strictly in order). */
  concurrency?: number
  random?: () => number
  logger?: JournalLogger
}

export interface RetryEvent {
  seg: SealedSegment
  attempt: number
  delayMs: number
  error: unknown
}

const STATUSES: ReadonlySet<unknown> = new Set(['delivered', 'retriable', 'rejected'])

export class Shipper extends EventEmitter {
  private readonly concurrency: number
  private readonly random: () => number
  private readonly log: JournalLogger
  private readonly inFlight = new Map<number, Promise<void>>()
  private readonly retrying = new Set<number>()
  private readonly sleepers = new Set<() => void>()
  private readonly drainChecks = new Set<() => void>()
  private running = false
  private stopped = false
  private readonly onSealed = (): void => this.pump()

  constructor(
    private readonly journal: Journal,
    private readonly deliver: Deliver,
    private readonly opts: ShipperOptions,
  ) {
    super()
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 1))
    this.random = opts.random ?? Math.random
    this.log = opts.logger ?? NOOP_LOGGER
  }

  /** Ships everything pending (recovered segments first), then each newly sealed segment. */
  start(): void {
    if (this.running || this.stopped) return
    this.running = true
    this.journal.on('sealed', this.onSealed)
    this.pump()
  }

  /** No new deliveries, no further retries; resolves once the in-flight ones have settled. */
  async stop(): Promise<void> {
    this.running = false
    this.stopped = true
    this.journal.off('sealed', this.onSealed)
    for (const wake of [...this.sleepers]) wake()
    await Promise.all([...this.inFlight.values()])
    this.settleDrains()
  }

  /** Seals the active segment and waits until nothing is pending; false on timeout or if stopped. */
  drain(timeoutMs: number): Promise<boolean> {
    this.journal.sealActive()
    if (this.journal.pending().length === 0) return Promise.resolve(true)
    if (this.stopped) return Promise.resolve(false)
    this.start()
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer)
        this.drainChecks.delete(check)
        resolve(ok)
      }
      const check = (): void => {
        if (this.journal.pending().length === 0) done(true)
        else if (!this.running) done(false)
      }
      const timer = setTimeout(() => done(false), timeoutMs)
      this.drainChecks.add(check)
    })
  }

  /** Cuts every retry wait short: the sink is known to be back (e.g. a health probe succeeded). */
  retryNow(): void {
    for (const wake of [...this.sleepers]) wake()
  }

  get backlog(): number {
    return this.journal.pending().length
  }

  /** False while any segment is waiting to be retried. */
  get healthy(): boolean {
    return this.retrying.size === 0
  }

  private pump(): void {
    if (!this.running) return
    while (this.inFlight.size < this.concurrency) {
      const next = this.journal.pending().find((s) => !this.inFlight.has(s.id))
      if (!next) return
      const p = this.ship(next).finally(() => {
        this.inFlight.delete(next.id)
        this.retrying.delete(next.id)
        this.settleDrains()
        this.pump()
      })
      this.inFlight.set(next.id, p)
    }
  }

  private async ship(seg: SealedSegment): Promise<void> {
    let records: Buffer[] | null = null
    // Ends when stop() cuts a retry wait short (checked after each sleep).
    for (let attempt = 1; this.running; attempt++) {
      let error: unknown
      try {
        records ??= this.journal.readSegment(seg)
        if (records.length === 0) {
          // Nothing readable left (damage is already counted by the journal): nothing to send.
          this.journal.confirm(seg)
          return
        }
        const status: unknown = await this.deliver(seg, records)
        if (status === 'delivered' || status === 'rejected') {
          this.journal.confirm(seg)
          this.retrying.delete(seg.id)
          this.emit(status, seg)
          return
        }
        error = STATUSES.has(status) ? undefined : new Error(`deliver returned ${String(status)}`)
      } catch (err) {
        error = err
      }
      if (!this.running) return
      const delayMs = backoffDelay(attempt, this.opts.retryMinMs, this.opts.retryMaxMs, this.random)
      this.retrying.add(seg.id)
      this.log.warn({ segment: seg.id, attempt, delayMs, err: error }, 'Journal segment not delivered; retrying.')
      this.emit('retry', { seg, attempt, delayMs, error } satisfies RetryEvent)
      await this.sleep(delayMs)
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer)
        this.sleepers.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.sleepers.add(wake)
    })
  }

  private settleDrains(): void {
    for (const check of [...this.drainChecks]) check()
  }
}
