// Feeds the live stream from the rule engine's state: every half positionMs (default 500 ms),
// units whose last fix or status changed, and whose previous event is at least positionMs old (at
// most one position per unit per second), are published as `position` events and flushed at
// once; every few seconds, zones whose ratios or cell visits changed are published as `coverage`
// events with the changed cells. It reads the engine between fixes, so ingestion never waits for
// it, and idles while nobody listens.
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
  /** When each unit's last position event went out (feed clock). */
  private readonly sentAt = new Map<string, number>()
  private readonly visits = new Map<string, Array<number | null>>()
  private readonly ratios = new Map<string, string>()
  private primed = false
  private timers: NodeJS.Timeout[] = []

  constructor(o: LiveFeedOptions) {
    this.o = { positionMs: 1000, coverageMs: 5000, ...o }
  }

  start(): void {
    if (this.timers.length > 0) return
    // Polled at twice the per-unit rate: a fix waits at most half a period for the stream.
    for (const [ms, fn] of [[this.o.positionMs / 2, () => this.positions()], [this.o.coverageMs, () => this.coverage()]] as const) {
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
    const now = this.o.now()
    let any = false
    for (const u of e.units(now)) {
      const sig = unitSig(u)
      if (this.sent.get(u.id) === sig) continue
      if (now - (this.sentAt.get(u.id) ?? -Infinity) < this.o.positionMs) continue
      this.sent.set(u.id, sig)
      this.sentAt.set(u.id, now)
      this.o.hub.publish('position', u, { zone: u.zone ?? undefined, unit: u.id })
      any = true
    }
    // The feed already coalesces per unit: the hub need not hold them another period.
    if (any) this.o.hub.flushPositions()
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
    const cells = e.zoneCells(z.id, this.o.now())!
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
