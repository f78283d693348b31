// Produces each bulletin exactly once per period: at daily_at (local) for the previous day, and
// on weekly_on for the previous week, including periods that fell due while the engine was down.
// Durable state under <data_dir>/reports/state.json (written to a temp file, fsync'd, renamed):
// when the schedule started and which periods were delivered. The order per period is: store the
// bulletin in ClickHouse (unless a generation exists) → hand the event to delivery (the webhook
// outbox is durable before publishEvent returns) → record the period as done. A kill -9 before the
// record repeats only the hand-over, with the same event id (webhook-id), which the dispatcher
// drops while the first copy is pending and receivers recognise afterwards.
import { readFileSync } from 'node:fs'
import { ensurePrivateDir, writePrivateFileAtomic } from '../private-files.js'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { Locale } from '../i18n/locale.js'
import { bulletinEvent, type EventPublisher, type StoredBulletin } from './bulletin-event.js'
import type { Bulletins } from './bulletins.js'
import { duePeriods, nextDue, type Period, type Schedule } from './periods.js'

interface State { v: 1; since: number; done: Record<string, number> }

/** Periods remembered as done (older ones are past the catch-up horizon anyway). */
const KEEP_DONE = 200
const TICK_MS = 30_000
/** Wakes just after the due instant, so `due <= now` holds when the timer fires. */
const ARM_SLACK_MS = 20

export interface RunnerOptions {
  dir: string
  schedule: Schedule
  bulletins: Bulletins
  publisher?: EventPublisher | undefined
  baseUrl?: string | undefined
  /** The language of the chat digest (config locale; English by default). */
  locale?: Locale
  logger: Logger
  now: () => number
  /** Called with every bulletin delivered (e.g. the live stream). */
  onBulletin?: (b: StoredBulletin) => void
}

export class BulletinRunner {
  private readonly file: string
  private state: State
  private timer: NodeJS.Timeout | undefined
  private running: Promise<number> | null = null
  private stopped = true

  constructor(private readonly o: RunnerOptions) {
    ensurePrivateDir(o.dir)
    this.file = join(o.dir, 'state.json')
    this.state = this.load()
  }

  private load(): State {
    try {
      const s = JSON.parse(readFileSync(this.file, 'utf8')) as State
      if (s.v === 1 && typeof s.since === 'number' && typeof s.done === 'object' && s.done !== null) return s
      this.o.logger.warn({ file: this.file }, 'Bulletin schedule state is not recognised; starting the schedule now.')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.o.logger.warn({ file: this.file, err: (err as Error).message }, 'Bulletin schedule state is unreadable; starting the schedule now.')
    }
    const s: State = { v: 1, since: this.o.now(), done: {} }
    this.save(s)
    return s
  }

  private save(s: State): void {
    const keys = Object.keys(s.done)
    if (keys.length > KEEP_DONE) for (const k of keys.sort().slice(0, keys.length - KEEP_DONE)) delete s.done[k]
    writePrivateFileAtomic(this.file, JSON.stringify(s))
  }

  isDone(p: Pick<Period, 'kind' | 'period'>): boolean {
    return this.state.done[`${p.kind}/${p.period}`] !== undefined
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
    for (const p of duePeriods(this.o.schedule, this.o.now(), this.state.since)) {
      if (this.isDone(p)) continue
      try {
        const b = await this.o.bulletins.ensure(p)
        this.deliver(b)
        this.state.done[`${p.kind}/${p.period}`] = b.generatedAt
        this.save(this.state)
        n++
        this.o.logger.info({ kind: p.kind, period: p.period, generatedAt: b.generatedAt }, 'Patrol bulletin produced and handed to delivery.')
      } catch (err) {
        // ClickHouse down or the outbox unwritable: the period stays owed and is retried next tick.
        this.o.logger.warn({ kind: p.kind, period: p.period, err: (err as Error).message }, 'Could not produce the patrol bulletin; retrying in 30 s.')
        break
      }
    }
    return n
  }

  /** Hands a bulletin to delivery (webhooks, MQTT, live stream). */
  deliver(b: StoredBulletin): void {
    this.o.publisher?.publishEvent(bulletinEvent(b, this.o.baseUrl, this.o.locale))
    this.o.onBulletin?.(b)
  }
}
