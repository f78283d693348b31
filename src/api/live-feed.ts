// Feeds the live stream from the rule engine's state: once a second, units whose last fix or
// status changed are published as `position` events; every few seconds, zones whose ratios or
// cell visits changed are published as `coverage` events with the changed cells. It reads the
// engine between fixes, so ingestion never waits for it, and idles while nobody listens.
import type { RuleEngine } from '../rules/engine.js'
import type { UnitView, ZoneView } from '../rules/views.js'
import type { StreamHub } from './stream-hub.js'

export interface LiveFeedOptions {
  hub: StreamHub
  engine: () => RuleEngine | undefined
  now: () => number
  positionMs?: number
  coverageMs?: number
}

const unitSig = (u: UnitView) => `${u.lastFix?.ts ?? ''}|${u.lastFix?.receivedAt ?? ''}|${u.silent ? 1 : 0}${u.inBreach ? 1 : 0}${u.outsideZone ? 1 : 0}`

export class LiveFeed {
  private readonly o: Required<LiveFeedOptions>
  private readonly sent = new Map<string, string>()
  private readonly visits = new Map<string, Array<number | null>>()
  private readonly ratios = new Map<string, string>()
  private primed = false
  private timers: NodeJS.Timeout[] = []

  constructor(o: LiveFeedOptions) {
    this.o = { positionMs: 1000, coverageMs: 5000, ...o }
  }

  start(): void {
    if (this.timers.length > 0) return
    for (const [ms, fn] of [[this.o.positionMs, () => this.positions()], [this.o.coverageMs, () => this.coverage()]] as const) {
      const t = setInterval(fn, ms)
      t.unref()
      this.timers.push(t)
    }
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t)
    this.timers = []
  }

  /** Takes the current state as already sent (a snapshot carries it), once. */
  prime(): void {
    if (this.primed) return
    this.primed = true
    const e = this.o.engine()
    if (e === undefined) return
    const now = this.o.now()
    for (const u of e.units(now)) this.sent.set(u.id, unitSig(u))
    for (const z of e.zones(now)) this.coverageOf(e, z)
  }

  positions(): void {
    const e = this.o.engine()
    if (e === undefined || this.o.hub.clientCount === 0) return
    for (const u of e.units(this.o.now())) {
      const sig = unitSig(u)
      if (this.sent.get(u.id) === sig) continue
      this.sent.set(u.id, sig)
      this.o.hub.publish('position', u, { zone: u.zone ?? undefined, unit: u.id })
    }
  }

  coverage(): void {
    const e = this.o.engine()
    if (e === undefined || this.o.hub.clientCount === 0) return
    for (const z of e.zones(this.o.now())) {
      const c = this.coverageOf(e, z)
      if (c !== null) this.o.hub.publish('coverage', c, { zone: z.id })
    }
  }

  /** The coverage event for a zone, or null when nothing changed since the last one. */
  private coverageOf(e: RuleEngine, z: ZoneView): { zone: string; ratio: number; responseRatio: number | null; changed: Array<{ cell: string; lastVisit: number | null }> } | null {
    // Zone views come from the same engine, so the zone exists.
    const cells = e.zoneCells(z.id)!
    const prev = this.visits.get(z.id)
    const changed = cells.filter((c, i) => prev?.[i] !== c.lastVisit)
    this.visits.set(z.id, cells.map((c) => c.lastVisit))
    const sig = `${z.ratio}|${z.responseRatio}`
    const ratioChanged = this.ratios.get(z.id) !== sig
    this.ratios.set(z.id, sig)
    if (!ratioChanged && changed.length === 0) return null
    return { zone: z.id, ratio: z.ratio, responseRatio: z.responseRatio, changed }
  }
}
