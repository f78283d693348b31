// The incident-rate window at run time: RateWatch (pure, rate-watch.ts) plus its rebuild after a
// restart from the `incidents` table and the incidents not shipped yet. Out of service.ts so the
// window has one owner; what a crossing means (a level suggestion) stays with the service.
import type { Logger } from 'pino'
import type { IncidentsSetup } from './compile.js'
import type { IncidentStore } from './incident-store.js'
import { RateWatch } from './rate-watch.js'
import type { UnshippedIncidents } from './unshipped.js'

export interface RateWindowDeps {
  spec: IncidentsSetup['rate']
  store: () => IncidentStore | null
  unshipped: UnshippedIncidents
  now: () => number
  logger: Logger
  /** Background ClickHouse work is registered here (the service's idle() waits for it). */
  track: <T>(p: Promise<T>) => Promise<T>
}

export class RateWindow {
  private readonly watch: RateWatch
  /** The window rebuilt from ClickHouse (once per process); null until first needed. */
  private restored: Promise<void> | null = null

  constructor(private readonly d: RateWindowDeps) {
    this.watch = new RateWatch(d.spec.windowMs, d.spec.threshold)
  }

  /**
   * The rate window survives a restart: before the first incident of this process is counted,
   * the window is rebuilt from the `incidents` table and the journal's incidents not shipped yet
   * (every add() waits for it). While ClickHouse cannot be read, an add() counts without the
   * history (logged) and the next add() tries again; the window is keyed by id, so nothing is
   * counted twice when the history arrives.
   */
  restore(): Promise<void> {
    const rate = this.d.spec
    if (rate.threshold <= 0) return Promise.resolve()
    this.restored ??= this.d.track((async () => {
      const now = this.d.now()
      const store = this.d.store()
      if (store === null) throw new Error('ClickHouse is not ready')
      const rows = await store.zonedSince(now - rate.windowMs)
      this.watch.restore([...rows, ...this.d.unshipped.zonedSince(now - rate.windowMs)], now)
      this.d.logger.info({ incidents: rows.length, windowMs: rate.windowMs }, 'Incident rate window rebuilt from ClickHouse.')
    })().catch((err: Error) => {
      this.restored = null
      this.d.logger.warn({ err: err.message.split('\n')[0] }, 'The incident rate window could not be read from ClickHouse; counting without the history until it can.')
    }))
    return this.restored
  }

  /** Counts an incident of a zone; the zone's count when it has just crossed the threshold, else null. */
  observe(zoneId: string, id: string, ts: number, now: number): number | null {
    this.watch.add(zoneId, id, ts, now)
    if (!this.watch.shouldSuggest(zoneId, now)) return null
    return this.watch.count(zoneId, now)
  }

  /** The window, for the fleet snapshot. */
  toJSON(): ReturnType<RateWatch['toJSON']> {
    return this.watch.toJSON()
  }

  /** Replaces the window with a toJSON() of it. */
  load(json: unknown): void {
    this.watch.load(json)
  }
}
