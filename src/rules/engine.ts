// The rule engine: a deterministic function of the ordered fixes and a clock. ingest() takes a
// classified fix, reorders it by fix time, and runs the unit rules and coverage credit on what is
// released; tick() releases held fixes and evaluates silence, coverage and response coverage.
// No I/O: the caller journals fixes, delivers the returned AlertEvents and persists snapshot().
import type { AlertEvent, StaleCell } from './alert-event.js'
import { FixFlag, type Fix } from '../decode/fix.js'
import { UnitGrid } from '../geo/unit-grid.js'
import { AlertBook, type AlertBookJSON, type AlertView } from './alert-book.js'
import { ZoneCoverage } from './coverage.js'
import { CoverageCredit } from './coverage-credit.js'
import { coverageSubject, tickCoverageGap } from './coverage-gap.js'
import { applyOverride, overrideKey, type CoverageOverrides } from './coverage-overrides.js'
import type { Deployment, PostSpec, ZoneSpec } from './deployment.js'
import { qualityFlags } from './fix-quality.js'
import { stepRadius } from './radius-breach.js'
import { ResponseCoverage } from './response-coverage.js'
import { tickResponseGap, type Position } from './response-gap.js'
import { isSilentAt, observeSilent, tickSilent } from './silent-unit.js'
import { radiusTransition, silentOpened, silentResolved, unitSubject, zoneTransition } from './unit-alerts.js'
import { createUnitState, historyOf, rememberReleased, unitFromJSON, unitToJSON, type UnitState, type UnitStateJSON } from './unit-state.js'
import { unitView, type UnitView, type ZoneCoverageView, type ZoneView } from './views.js'
import { stepZoneExit } from './zone-exit.js'

export type { AlertView } from './alert-book.js'
export type { UnitView, ZoneView, ZoneCoverageView } from './views.js'

export interface RuleSnapshot {
  version: 1
  units: UnitStateJSON[]
  alerts: AlertBookJSON
  coverage: Array<{ zoneId: string; state: unknown }>
  responseRatios: Array<{ zoneId: string; ratio: number }>
}

export interface NearestOptions {
  k: number
  kind?: string
  maxDistanceM?: number
  /** Include units currently silent (default false). */
  includeSilent?: boolean
}

interface ZoneState {
  spec: ZoneSpec
  coverage: ZoneCoverage
  response: ResponseCoverage | null
  responseRatio: number | null
  /** overrideKey() of the override the spec was built from ('' = as configured). */
  overrideKey: string
}


export class RuleEngine {
  private readonly dep: Deployment
  private readonly startedAt: number
  private book = new AlertBook()
  private readonly unitStates = new Map<string, UnitState>()
  private readonly zoneStates: ZoneState[]
  private readonly credit: CoverageCredit
  private overrides: CoverageOverrides | null = null
  /** Live positions for nearest(): a grid index, so a search reads a few cells, not every unit. */
  private readonly grid = new UnitGrid<UnitState>()
  /** One grid per unit kind too, so a search for a rare kind does not wade through the others. */
  private readonly kindGrids = new Map<string, UnitGrid<UnitState>>()

  constructor(dep: Deployment, opts: { startedAt: number }) {
    this.dep = dep
    this.startedAt = opts.startedAt
    // Configured units exist from the start, so silence is measured from engine start.
    for (const id of dep.units.keys()) this.unitStates.set(id, createUnitState(dep, id))
    this.zoneStates = dep.zones.map((spec) => ({
      spec,
      coverage: new ZoneCoverage(spec.coverage, opts.startedAt),
      response: spec.responseRadiusM === null ? null : new ResponseCoverage(spec.coverage.cells, spec.resolution, spec.responseRadiusM),
      responseRatio: null,
      overrideKey: '',
    }))
    this.credit = new CoverageCredit(dep, this.zoneStates)
  }

  /** FixFlag bits the fix earns, without mutating state (the caller journals them before ingest). */
  classify(fix: Fix): number {
    const u = this.unitStates.get(fix.unitId)
    return u === undefined ? 0 : qualityFlags(fix, historyOf(u))
  }

  /** Takes a fix whose flags are set; returns the alert transitions it caused. */
  ingest(fix: Fix, now: number): AlertEvent[] {
    const flags = fix.flags
    if ((flags & FixFlag.Duplicate) !== 0) return []
    const u = this.unitOf(fix.unitId)
    if ((flags & FixFlag.ImpossibleSpeed) !== 0) {
      u.lastImpossible = { lat: fix.lat, lon: fix.lon, ts: fix.ts, accuracy: fix.accuracy }
      return []
    }
    if ((flags & FixFlag.TooLate) !== 0) {
      // A visit is a fact even when late (ZoneCoverage keeps the max); it fires no edge.
      this.credit.credit(fix, u.ownZone, null)
      return []
    }
    const out: AlertEvent[] = []
    u.lastImpossible = null
    if (u.latest === null || fix.ts > u.latest.ts) {
      u.latest = fix
      this.index(u)
    }
    if (observeSilent(u.silent, fix.ts, now, u.silentAfterMs) === 'resolved') {
      push(out, silentResolved(this.book, u, fix, this.book.openedAt('unit_silent', unitSubject(u.id)) ?? fix.ts))
    }
    u.buffer.insert(fix)
    for (const f of u.buffer.release(now)) this.process(u, f, out)
    return out
  }

  /**
   * Incidents stage seam (patrol levels, hotspots): `fn` is asked each tick for each zone's
   * coverage override; a changed answer takes effect at that tick, visits are kept.
   */
  setCoverageOverrides(fn: CoverageOverrides | null): void {
    this.overrides = fn
  }

  private applyOverrides(now: number): void {
    const fn = this.overrides
    for (const z of this.zoneStates) {
      const o = fn === null ? null : fn(z.spec.id, now)
      const key = overrideKey(o)
      if (key === z.overrideKey) continue
      const base = this.dep.zones[z.spec.index] as ZoneSpec
      const spec = applyOverride(base, o)
      z.coverage = ZoneCoverage.fromJSON(spec.coverage, z.coverage.toJSON())
      if (spec.responseRadiusM !== z.response?.radiusM) {
        z.response = spec.responseRadiusM === null ? null : new ResponseCoverage(spec.coverage.cells, spec.resolution, spec.responseRadiusM)
        if (z.response === null) z.responseRatio = null
      }
      z.spec = spec
      z.overrideKey = key
    }
  }

  /** Releases due fixes and evaluates silence, coverage and response coverage at clock `now`. */
  tick(now: number): AlertEvent[] {
    const out: AlertEvent[] = []
    this.applyOverrides(now)
    for (const u of this.unitStates.values()) for (const f of u.buffer.release(now)) this.process(u, f, out)
    for (const u of this.unitStates.values()) {
      if (tickSilent(u.silent, now, u.silentAfterMs, this.startedAt) === 'opened') push(out, silentOpened(this.book, u, now, this.startedAt))
    }
    for (const z of this.zoneStates) push(out, tickCoverageGap(this.book, z.spec, z.coverage, now).event)
    const live = this.livePositions(now)
    // Before silent_after has passed since start, a unit that has not reported yet is not known to be absent.
    const mayOpen = now >= this.startedAt + this.dep.rules.silentAfterMs
    for (const z of this.zoneStates) {
      if (z.response === null) continue
      const r = tickResponseGap(this.book, z.spec, z.response, live, now, mayOpen)
      z.responseRatio = r.ratio
      push(out, r.event)
    }
    return out
  }

  /** Acknowledges an open alert; null if unknown, resolved or already acknowledged. */
  acknowledge(alertId: string, by: string, now: number): AlertEvent | null {
    return this.book.acknowledge(alertId, by, now)
  }

  openAlerts(): AlertView[] {
    return this.book.list()
  }

  getAlert(id: string): AlertView | undefined {
    return this.book.get(id)
  }

  units(now: number): UnitView[] {
    return [...this.unitStates.values()].map((u) => unitView(this.dep, u, now, this.startedAt))
  }

  unit(id: string, now: number): UnitView | undefined {
    const u = this.unitStates.get(id)
    return u === undefined ? undefined : unitView(this.dep, u, now, this.startedAt)
  }

  zones(now: number): ZoneView[] {
    return this.zoneStates.map((z) => this.zoneView(z, now))
  }

  zoneCoverage(zoneId: string, now: number, limit: number): ZoneCoverageView | undefined {
    const spec = this.dep.zonesById.get(zoneId)
    if (spec === undefined) return undefined
    const z = this.zoneStates[spec.index] as ZoneState
    const staleCells: StaleCell[] = z.coverage.staleCells(now, limit)
    return { zone: this.zoneView(z, now), staleCells }
  }

  /** One zone's tracked cells with their last visit (zone cells first, then priority-only cells). */
  zoneCells(zoneId: string): Array<{ cell: string; lastVisit: number | null }> | undefined {
    const spec = this.dep.zonesById.get(zoneId)
    return spec === undefined ? undefined : (this.zoneStates[spec.index] as ZoneState).coverage.lastVisits()
  }

  coverageSnapshot(): Array<{ zoneId: string; cell: string; lastVisit: number | null }> {
    return this.zoneStates.flatMap((z) => z.coverage.lastVisits().map((v) => ({ zoneId: z.spec.id, cell: v.cell, lastVisit: v.lastVisit })))
  }

  /** The k units nearest a point (live ones only unless includeSilent), nearest first, ties by id. */
  nearest(lat: number, lon: number, opts: NearestOptions, now: number): Array<UnitView & { distanceM: number }> {
    const accept = (u: UnitState): boolean =>
      (opts.kind === undefined || u.kind === opts.kind) && (opts.includeSilent === true || !isSilentAt(u.silent, now, u.silentAfterMs, this.startedAt))
    const grid = opts.kind === undefined ? this.grid : this.kindGrids.get(opts.kind)
    if (grid === undefined) return []
    return grid.nearest(lat, lon, opts.k, { maxDistanceM: opts.maxDistanceM, accept })
      .map(({ value: u, distanceM }) => ({ ...unitView(this.dep, u, now, this.startedAt), distanceM }))
  }

  /** The compiled deployment (units, posts, zones with their cells), for read-only views. */
  get deployment(): Deployment {
    return this.dep
  }

  /** Last visits recovered from storage at start-up; unknown zones and cells are skipped. */
  seedVisits(visits: Iterable<{ zoneId: string; cell: string; ts: number }>): void {
    for (const v of visits) {
      const spec = this.dep.zonesById.get(v.zoneId)
      if (spec !== undefined) (this.zoneStates[spec.index] as ZoneState).coverage.seed(v.cell, v.ts)
    }
  }

  snapshot(): RuleSnapshot {
    return {
      version: 1,
      units: [...this.unitStates.values()].map(unitToJSON),
      alerts: this.book.toJSON(),
      coverage: this.zoneStates.map((z) => ({ zoneId: z.spec.id, state: z.coverage.toJSON() })),
      responseRatios: this.zoneStates.flatMap((z) => (z.responseRatio === null ? [] : [{ zoneId: z.spec.id, ratio: z.responseRatio }])),
    }
  }

  /**
   * Rebuilds an engine after a restart: open alerts stay open (no second `opened`), rule states,
   * held fixes and coverage resume. State for units, posts or zones no longer configured is dropped.
   */
  static restore(dep: Deployment, snap: RuleSnapshot, opts: { startedAt: number }): RuleEngine {
    if (snap?.version !== 1) throw new Error(`rule snapshot version ${JSON.stringify(snap?.version)} is not supported`)
    const e = new RuleEngine(dep, opts)
    e.book = AlertBook.fromJSON(snap.alerts)
    for (const j of snap.units) {
      const u = unitFromJSON(dep, j)
      e.unitStates.set(j.id, u)
      if (u.latest !== null) e.index(u)
    }
    for (const c of snap.coverage) {
      const spec = dep.zonesById.get(c.zoneId)
      if (spec !== undefined) (e.zoneStates[spec.index] as ZoneState).coverage = ZoneCoverage.fromJSON(spec.coverage, c.state)
    }
    for (const r of snap.responseRatios) {
      const spec = dep.zonesById.get(r.zoneId)
      const z = spec === undefined ? undefined : e.zoneStates[spec.index]
      if (z?.response != null) z.responseRatio = r.ratio
    }
    return e
  }

  private index(u: UnitState): void {
    const f = u.latest as Fix
    this.grid.set(u.id, f.lat, f.lon, u)
    let g = this.kindGrids.get(u.kind)
    if (g === undefined) this.kindGrids.set(u.kind, (g = new UnitGrid()))
    g.set(u.id, f.lat, f.lon, u)
  }

  private unitOf(id: string): UnitState {
    let u = this.unitStates.get(id)
    if (u === undefined) this.unitStates.set(id, (u = createUnitState(this.dep, id)))
    return u
  }

  /** One released fix, in fix-time order: unit rules, then coverage credit with path fill. */
  private process(u: UnitState, f: Fix, out: AlertEvent[]): void {
    const prev = u.lastReleased
    rememberReleased(u, f)
    const rules = this.dep.rules
    // compileDeployment checked that every unit's post and zone exist.
    if (u.radius !== null) {
      const post = this.dep.posts.get(u.radius.postId) as PostSpec
      const e = stepRadius(u.radius, post, f, rules.radius)
      if (e !== null) push(out, radiusTransition(this.book, u, post, f, e))
    }
    if (u.zone !== null) {
      const zone = this.dep.zonesById.get(u.zone.zoneId) as ZoneSpec
      const e = stepZoneExit(u.zone, zone.polygon, f, rules.zone)
      if (e !== null) push(out, zoneTransition(this.book, u, zone, f, e))
    }
    this.credit.credit(f, u.ownZone, prev)
  }

  private livePositions(now: number): Position[] {
    const out: Position[] = []
    for (const u of this.unitStates.values()) {
      const f = u.latest
      if (f !== null && !isSilentAt(u.silent, now, u.silentAfterMs, this.startedAt)) out.push({ lat: f.lat, lon: f.lon })
    }
    return out
  }

  private zoneView(z: ZoneState, now: number): ZoneView {
    const ev = z.coverage.evaluate(now)
    const subject = coverageSubject(z.spec.id)
    return {
      id: z.spec.id,
      name: z.spec.name,
      cellCount: ev.total,
      ratio: ev.ratio,
      fresh: ev.fresh,
      minRatio: z.spec.minRatio,
      inGrace: ev.inGrace,
      responseRatio: z.responseRatio,
      openGap: this.book.isOpen('coverage_gap', subject),
      openResponseGap: this.book.isOpen('response_gap', subject),
    }
  }
}

function push(out: AlertEvent[], ev: AlertEvent | null): void {
  if (ev !== null) out.push(ev)
}
