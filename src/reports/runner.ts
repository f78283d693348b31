// Produces each bulletin exactly once per period: at daily_at (local) for the previous day, and
// on weekly_on for the previous week, including periods that fell due while the engine was down.
// Its progress (when the schedule started, which periods were delivered) is a ScheduleStateStore:
// a private file on one engine, a KV key shared by the cluster in cluster mode. The order per
// period is: store the bulletin in ClickHouse (unless a generation exists) → hand the event to
// delivery (the webhook outbox is durable before publishEvent returns) → wait until delivery settled
// when `settled` is given (cluster mode: every webhook answered 2xx or dead-lettered, so a takeover
// owes what a dead holder had in its outbox) → record the period as done. A kill -9 before the
// record repeats only the hand-over, by this engine or the next schedule holder, with the same
// event id (webhook-id), which the dispatcher drops while the first copy is pending and receivers
// recognise afterwards.
import type { Logger } from 'pino'
import type { Locale } from '../i18n/locale.js'
import { bulletinEvent, type EventPublisher, type StoredBulletin } from './bulletin-event.js'
import type { Bulletins } from './bulletins.js'
import { duePeriods, nextDue, type Period, type Schedule } from './periods.js'
import { periodKey, type ScheduleState, type ScheduleStateStore } from './schedule-state.js'

const TICK_MS = 30_000
/** Wakes just after the due instant, so `due <= now` holds when the timer fires. */
const ARM_SLACK_MS = 20

export interface RunnerOptions {
  state: ScheduleStateStore
  schedule: Schedule
  bulletins: Bulletins
  publisher?: EventPublisher | undefined
  /** Resolves once the event's delivery settled (cluster mode); without it, the hand-over is enough. */
  settled?: ((eventId: string) => Promise<void>) | undefined
  baseUrl?: string | undefined
  /** The language of the chat digest (config locale; English by default). */
  locale?: Locale
  logger: Logger
  now: () => number
  /** Called with every bulletin delivered (e.g. the live stream). */
  onBulletin?: (b: StoredBulletin) => void
}

export class BulletinRunner {
  /** The state as last loaded (isDone answers from it). */
  private state: ScheduleState | null = null
  private timer: NodeJS.Timeout | undefined
  private running: Promise<number> | null = null
  private stopped = true

  /** Resolves when stop() is called (ends a wait for delivery to settle); renewed by each stop(). */
  private halted!: Promise<void>
  private halt!: () => void

  constructor(private readonly o: RunnerOptions) {
    this.renewHalt()
  }

  private renewHalt(): void {
    this.halted = new Promise((resolve) => { this.halt = resolve })
  }

  isDone(p: Pick<Period, 'kind' | 'period'>): boolean {
    return this.state?.done[periodKey(p)] !== undefined
  }

  /** Checks now, then at the next due time or in 30 s, whichever comes first (unref'd timer). */
  start(): void {
    this.o.logger.info({ timezone: this.o.schedule.timezone, nextAt: new Date(nextDue(this.o.schedule, this.o.now())).toISOString() }, 'Bulletin schedule running.')
    this.stopped = false
    void this.runDue()
    this.arm()
  }

  /** The bulletin comes at daily_at, not up to a tick later; the 30 s tick retries a failed period. */
  private arm(): void {
    const now = this.o.now()
    const delay = Math.min(TICK_MS, nextDue(this.o.schedule, now) - now)
    this.timer = setTimeout(() => {
      void this.runDue().finally(() => {
        if (!this.stopped) this.arm()
      })
    }, delay + ARM_SLACK_MS)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    this.stopped = true
    const halt = this.halt
    this.renewHalt()
    halt()
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    await this.running
  }

  /** Produces and delivers every period due and not done; returns how many. One run at a time. */
  runDue(): Promise<number> {
    this.running ??= this.run().finally(() => {
      this.running = null
    })
    return this.running
  }

  private async run(): Promise<number> {
    let n = 0
    let state: ScheduleState
    try {
      // Loaded every run: in cluster mode another engine may have delivered periods meanwhile.
      state = this.state = await this.o.state.load(this.o.now())
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'Could not read the bulletin schedule state; retrying in 30 s.')
      return 0
    }
    for (const p of duePeriods(this.o.schedule, this.o.now(), state.since)) {
      if (this.isDone(p)) continue
      try {
        const b = await this.o.bulletins.ensure(p)
        const id = this.deliver(b)
        this.o.logger.info({ kind: p.kind, period: p.period, generatedAt: b.generatedAt }, 'Patrol bulletin produced and handed to delivery.')
        if (this.o.settled !== undefined && !(await this.settledUnlessStopped(id))) break
        await this.o.state.markDone(periodKey(p), b.generatedAt)
        this.state = { since: state.since, done: { ...this.state.done, [periodKey(p)]: b.generatedAt } }
        n++
      } catch (err) {
        // ClickHouse down, the outbox unwritable or the state store away: the period stays owed and is retried next tick.
        this.o.logger.warn({ kind: p.kind, period: p.period, err: (err as Error).message }, 'Could not produce the patrol bulletin; retrying in 30 s.')
        break
      }
    }
    return n
  }

  /** False when stop() came first: the period stays owed (the next run or schedule holder delivers it, same id). */
  private async settledUnlessStopped(eventId: string): Promise<boolean> {
    let settled = false
    await Promise.race([this.o.settled!(eventId).then(() => { settled = true }), this.halted])
    return settled
  }

  /** Hands a bulletin to delivery (webhooks, MQTT, live stream); returns the event id. */
  deliver(b: StoredBulletin): string {
    const e = bulletinEvent(b, this.o.baseUrl, this.o.locale)
    this.o.publisher?.publishEvent(e)
    this.o.onBulletin?.(b)
    return e.id
  }
}
