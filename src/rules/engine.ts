// The rule engine: a deterministic function of the fixes (in arrival order) and a clock.
// ingest() takes a classified fix and evaluates it AT ONCE when it is in order for its unit (the
// common case: MQTT keeps a client's order); only a unit whose stream is out of order has its
// fixes held in a reorder buffer for allowed_lateness, for DISORDER_HOLD_MS. tick() releases held
// fixes and evaluates silence, coverage and response coverage.
// No I/O: the caller journals fixes, delivers the returned AlertEvents and persists takeDelta().
// The units it tracks live in a UnitRegistry, the persistence form of its state in state-codec.ts.
import type { AlertEvent, AlertPosition, SosVia, StaleCell } from './alert-event.js'
import { FixFlag, type Fix } from '../decode/fix.js'
import { AlertBook, type AlertFields, type AlertView } from './alert-book.js'
import type { AlertTexts } from './summary.js'
import { ZoneCoverage } from './coverage.js'
import { CoverageCredit } from './coverage-credit.js'
import { tickCoverageGap } from './coverage-gap.js'
import { applyOverride, overrideKey, type CoverageOverrides } from './coverage-overrides.js'
import type { Deployment, PostSpec, ZoneSpec } from './deployment.js'
import { qualityFlags } from './fix-quality.js'
import { runGapMs, stepRadius, unitRunGapMs } from './radius-breach.js'
import { tickResponseGap } from './response-gap.js'
import { looksStationary, observeSilent, steadyCadenceMs, tickSilent } from './silent-unit.js'
import { encodeSnapshot, restoreSnapshot, StateChanges, type RuleDelta, type RuleSnapshot, type RuleState } from './state-codec.js'
import { radiusTransition, silentOpened, silentResolved, sosOpened, zoneTransition } from './unit-alerts.js'
import { UnitRegistry, type NearestOptions } from './unit-registry.js'
import { radiusSubject, unitSubject, zoneExitSubject, zoneSubject } from './subject.js'
import { historyOf, observeClock, rememberRejected, rememberReleased, type UnitState } from './unit-state.js'
import { unitView, type UnitView, type ZoneCoverageView, type ZoneView } from './views.js'
import { createZoneState, responseCoverageOf, type ZoneState } from './zone-state.js'
import { initialZoneExit, stepZoneExit } from './zone-exit.js'

export type { AlertView } from './alert-book.js'
export type { UnitView, ZoneView, ZoneCoverageView } from './views.js'

/** Alert kinds another stage decides and the book keeps (RuleEngine.openExternal). */
export type ExternalAlertKind = 'checkpoint_missed'

/** How long a unit whose stream went out of order keeps paying the reorder hold. */
export const DISORDER_HOLD_MS = 5 * 60_000

export class RuleEngine {
  private readonly dep: Deployment
  private readonly startedAt: number
  private book: AlertBook
  private readonly registry: UnitRegistry
  private readonly zoneStates: ZoneState[]
  private readonly credit: CoverageCredit
  private overrides: CoverageOverrides | null = null
  /** Units with held fixes: the only ones tick() has to release. */
  private readonly holding = new Set<UnitState>()
  private readonly changes: StateChanges
  /** Fixes of unknown units the rules did not track because max_unknown_units was reached. */
  untrackedFixes = 0
  /** A fix-time pause after which no unit rule can confirm an edge on the next fix (Infinity: dwell 0). */
  private readonly holeMs: number

  constructor(dep: Deployment, opts: { startedAt: number }) {
    this.dep = dep
    this.startedAt = opts.startedAt
    this.book = new AlertBook(dep.texts)
    this.registry = new UnitRegistry(dep, opts.startedAt)
    this.zoneStates = dep.zones.map((spec) => createZoneState(spec, opts.startedAt))
    this.changes = new StateChanges(this.zoneStates.length)
    this.credit = new CoverageCredit(dep, this.zoneStates)
    const hole = (dwellMs: number): number => (dwellMs === 0 ? Infinity : runGapMs(dwellMs))
    this.holeMs = Math.max(hole(dep.rules.radius.dwellMs), hole(dep.rules.zone.dwellMs))
  }

  /** FixFlag bits the fix earns, without mutating state (the caller journals them before ingest). */
  classify(fix: Fix): number {
    const u = this.registry.get(fix.unitId)
    return u === undefined ? 0 : qualityFlags(fix, historyOf(u, this.dep))
  }

  /** Takes a fix whose flags are set, arriving at engine clock `now`; returns the alert transitions it caused. */
  ingest(fix: Fix, now: number): AlertEvent[] {
    const u = this.registry.obtain(fix.unitId, now)
    if (u === null) {
      this.untrackedFixes++
      return []
    }
    this.changes.touched(u.id)
    const out: AlertEvent[] = []
    // Every arrival is a sign of life, whatever its flags and device time.
    if (observeSilent(u.silent, fix.ts, now, looksStationary(u.latest, fix)) === 'resolved') {
      push(out, silentResolved(this.book, u, fix, now, this.book.openedAt('unit_silent', unitSubject(u.id)) ?? now))
    }
    const flags = fix.flags
    if ((flags & FixFlag.Duplicate) !== 0) return out
    observeClock(u, fix)
    if ((flags & FixFlag.FutureTs) !== 0) return out
    // A mocked position is no evidence of where the unit was: no credit, no edge (src/integrity/ reports it).
    if ((flags & FixFlag.Mock) !== 0) return out
    if ((flags & FixFlag.TooLate) !== 0) {
      // A visit is a fact even when late (ZoneCoverage keeps the max); it fires no edge. The
      // stream is out of order: hold this unit's fixes for a while so the next late ones count.
      u.holdUntil = now + DISORDER_HOLD_MS
      if ((flags & FixFlag.ImpossibleSpeed) === 0) this.credit.credit(fix, u.ownZone, null)
      return out
    }
    if ((flags & FixFlag.ImpossibleSpeed) !== 0) {
      if (fix.lat !== 0 || fix.lon !== 0) rememberRejected(u, fix)
      return out
    }
    // A new array only when there is something to forget (this runs for every accepted fix).
    if (u.rejected.length > 0) u.rejected = []
    // A fix after a hole in the unit's fix times may head a back-fill sent newest first (a device
    // that reconnects sends its live position, then its buffer): it waits allowed_lateness, so the
    // back-fill is evaluated in fix-time order instead of too late. No edge waits: after such a
    // hole no run goes on.
    // The unit's gaps do not change again before this call returns: its cadence is read once.
    let cadence: number | null | undefined
    if (u.latest !== null && this.holeMs !== Infinity) {
      cadence = this.cadenceOf(u)
      if (fix.ts - u.latest.ts > Math.max(this.holeMs, unitRunGapMs(0, cadence))) u.buffer.holdAllUntil = now + this.dep.rules.allowedLatenessMs
    }
    if (u.latest === null || fix.ts > u.latest.ts) {
      u.latest = fix
      this.registry.moved(u)
    }
    const newest = u.buffer.newest()
    if (newest !== null && fix.ts < newest.ts) u.holdUntil = now + DISORDER_HOLD_MS
    u.buffer.insert(fix)
    this.releaseUnit(u, now, out, cadence, true)
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
        z.response = responseCoverageOf(spec)
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
    for (const u of [...this.holding]) this.releaseUnit(u, now, out)
    // Silence is a configured unit's rule: a tick visits those (a few hundred), never the fleet.
    for (const id of this.dep.units.keys()) {
      const u = this.registry.get(id) as UnitState
      if (tickSilent(u.silent, now, u.liveness) === 'opened') {
        this.changes.touched(u.id)
        push(out, silentOpened(this.book, u, now))
      }
    }
    for (const u of this.registry.sweepIdle(now)) {
      this.holding.delete(u)
      this.changes.forgotten(u.id)
    }
    const rules = this.dep.rules
    for (const z of this.zoneStates) push(out, tickCoverageGap(this.book, z.spec, z.coverage, now, z.coverageDwell, rules.coverageGap).event)
    const live = this.zoneStates.some((z) => z.response !== null) ? this.registry.livePositions(now) : []
    // Before silent_after has passed since start, a unit that has not reported yet is not known to be absent.
    const mayOpen = now >= this.startedAt + rules.silentAfterMs
    for (const z of this.zoneStates) {
      if (z.response === null) continue
      const r = tickResponseGap(this.book, z.spec, z.response, live, now, mayOpen, z.responseDwell, rules.responseGap)
      z.responseRatio = r.ratio
      push(out, r.event)
    }
    return out
  }

  /**
   * After restore(): resolves, with reason `config_changed`, every open alert the current
   * deployment can no longer decide — its unit, post or zone is gone, or the post or zone moved
   * (the rule state for it was reset) — and resets the rule so a real condition re-opens anew.
   */
  reconcile(now: number): AlertEvent[] {
    const out: AlertEvent[] = []
    for (const a of this.book.list()) {
      if (!this.orphaned(a)) continue
      const u = a.last.unitId === undefined ? undefined : this.registry.get(a.last.unitId)
      // A breach's subject names its post and a changed post already reset the state on restore;
      // an exit saved under the old subject (`unit:<id>`) may still be active: start it over.
      if (u !== undefined && a.kind === 'zone_exit' && u.zone !== null && u.zone.active) u.zone = initialZoneExit(u.zone.zoneId, u.zone.zoneKey)
      if (u !== undefined) this.changes.touched(u.id)
      push(out, this.book.resolveForReason(a.kind, a.subject, now, 'config_changed', this.book.texts.configChanged(a.last.summary)))
    }
    return out
  }

  private orphaned(a: AlertView): boolean {
    const u = a.last.unitId === undefined ? undefined : this.registry.get(a.last.unitId)
    switch (a.kind) {
      case 'radius_breach':
        return !(u?.radius?.active === true && radiusSubject(u.id, u.radius.postId) === a.subject)
      case 'zone_exit':
        return !(u?.zone?.active === true && zoneExitSubject(u.id, u.zone.zoneId) === a.subject)
      case 'unit_silent':
        return !(u?.spec != null && u.silent.open)
      case 'unit_sos':
        // Only an operator closes an SOS, whatever the deployment became.
        return false
      case 'coverage_gap':
        return !this.dep.zonesById.has(a.last.zoneId as string)
      case 'response_gap':
        return this.dep.zonesById.get(a.last.zoneId as string)?.responseRadiusM == null
      case 'checkpoint_missed':
        // Decided by the incidents stage, which reconciles its own alerts with its plans.
        return false
    }
  }

  /**
   * An emergency raised by the unit itself (SOS button, alarm flag): opens unit_sos at once, fix
   * or no fix. Call it after the report is journaled; a repeat while the alert is open is nothing.
   */
  sos(unitId: string, at: number, via: SosVia, pos: AlertPosition | null, now: number): AlertEvent[] {
    const u = this.registry.obtain(unitId, now)
    if (u === null) return []
    this.changes.touched(u.id)
    const ev = sosOpened(this.book, u, at, via, pos)
    return ev === null ? [] : [ev]
  }

  /** An operator resolves an open SOS with a note; null when `alertId` is not an open SOS. */
  resolveSos(alertId: string, by: string, note: string, now: number): AlertEvent | null {
    const view = this.book.get(alertId)
    if (view === undefined || view.kind !== 'unit_sos' || view.state === 'resolved') return null
    const last = view.last
    const unit = this.book.texts.unitLabel(last.unitId as string, last.unitName as string)
    return this.book.resolve('unit_sos', view.subject, Math.max(now, view.openedAt), {
      unitId: last.unitId as string, unitName: last.unitName as string, unitKind: last.unitKind as string, via: last.via as SosVia,
      ...(last.position === undefined ? {} : { position: last.position }), resolvedBy: by, note, summary: this.book.texts.sosResolved(unit, by, note),
    })
  }

  /**
   * Incidents stage seam: alerts decided outside the rules (a plan's missed checkpoint) kept in the
   * same book, so they are listed, acknowledged, persisted and delivered like the rules' own. Null
   * when one is already open for (kind, subject). The caller journals and delivers the event.
   */
  openExternal(kind: ExternalAlertKind, subject: string, at: number, fields: AlertFields<ExternalAlertKind>): AlertEvent | null {
    return this.book.openAlert(kind, subject, at, fields)
  }

  /** Resolves an alert opened by openExternal(); null when none is open for (kind, subject). */
  resolveExternal(kind: ExternalAlertKind, subject: string, at: number, fields: AlertFields<ExternalAlertKind>): AlertEvent | null {
    const openedAt = this.book.openedAt(kind, subject)
    return openedAt === null ? null : this.book.resolve(kind, subject, Math.max(at, openedAt), fields)
  }

  /** The open alerts of an external kind (its stage reconciles them with its own state after a restart). */
  openExternalAlerts(kind: ExternalAlertKind): AlertView[] {
    return this.book.list().filter((a) => a.kind === kind)
  }

  /** The summaries of the deployment's locale (external alerts are worded like the rules' own). */
  get alertTexts(): AlertTexts {
    return this.book.texts
  }

  /** Acknowledges an open alert (with the operator's note, if any); null if unknown, resolved or already acknowledged. */
  acknowledge(alertId: string, by: string, now: number, note?: string): AlertEvent | null {
    return this.book.acknowledge(alertId, by, now, note)
  }

  openAlerts(): AlertView[] {
    return this.book.list()
  }

  getAlert(id: string): AlertView | undefined {
    return this.book.get(id)
  }

  units(now: number): UnitView[] {
    return [...this.registry.values()].map((u) => unitView(this.dep, u, now))
  }

  unit(id: string, now: number): UnitView | undefined {
    const u = this.registry.get(id)
    return u === undefined ? undefined : unitView(this.dep, u, now)
  }

  /** Units the rules track that are not in the config. */
  get unknownUnits(): number {
    return this.registry.unknownCount
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

  /**
   * A zone's priority cells overdue at `now` by their own interval, with centres and names; none
   * while the zone is in its grace period (as the coverage gap) or unknown. O(priority cells).
   */
  overduePriority(zoneId: string, now: number): StaleCell[] {
    const spec = this.dep.zonesById.get(zoneId)
    if (spec === undefined) return []
    const ev = (this.zoneStates[spec.index] as ZoneState).coverage.evaluate(now)
    return ev.inGrace ? [] : ev.stalePriority
  }

  /** Every tracked cell of every zone, with its last visit and freshness at `now` (by the cell's own interval). */
  coverageSnapshot(now: number): Array<{ zoneId: string; cell: string; lastVisit: number | null; fresh: boolean }> {
    return this.zoneStates.flatMap((z) => z.coverage.lastVisits(now).map((v) => ({ zoneId: z.spec.id, ...v })))
  }

  /** The k units nearest a point (live ones only unless includeSilent), nearest first, ties by id. */
  nearest(lat: number, lon: number, opts: NearestOptions, now: number): Array<UnitView & { distanceM: number }> {
    return this.registry.nearest(lat, lon, opts, now)
      .map(({ value: u, distanceM }) => ({ ...unitView(this.dep, u, now), distanceM }))
  }

  /** One zone's tracked cells with their last visit and freshness at `now` (zone cells first, then priority-only cells). */
  zoneCells(zoneId: string, now: number): Array<{ cell: string; lastVisit: number | null; fresh: boolean }> | undefined {
    const spec = this.dep.zonesById.get(zoneId)
    return spec === undefined ? undefined : (this.zoneStates[spec.index] as ZoneState).coverage.lastVisits(now)
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
    return encodeSnapshot(this.state())
  }

  /** What changed since the last call (see RuleDelta); serialise it before the next ingest/tick (it shares state). */
  takeDelta(): RuleDelta {
    return this.changes.take(this.state())
  }

  /** Marks everything changed, so the next takeDelta() carries the whole state (a store's first write). */
  markAllChanged(): void {
    this.changes.markAll(this.state())
  }

  /**
   * Rebuilds an engine after a restart: open alerts stay open (no second `opened`), rule states,
   * held fixes and coverage resume. Configured units removed from the config are dropped; state
   * for posts or zones that changed starts over (reconcile() then resolves their alerts).
   */
  static restore(dep: Deployment, snap: RuleSnapshot, opts: { startedAt: number }): RuleEngine {
    const e = new RuleEngine(dep, opts)
    e.book = restoreSnapshot(dep, snap, opts.startedAt, e.registry, e.zoneStates)
    for (const u of e.registry.values()) if (u.buffer.size > 0) e.holding.add(u)
    return e
  }

  private state(): RuleState {
    return { units: this.registry, book: this.book, zones: this.zoneStates }
  }

  /** Releases what is due: everything when the unit is in order, else what waited allowed_lateness. */
  private releaseUnit(u: UnitState, now: number, out: AlertEvent[], knownCadence?: number | null, touched = false): void {
    const due = now < u.buffer.holdAllUntil ? [] : now < u.holdUntil ? u.buffer.release(now) : u.buffer.drain()
    if (u.buffer.size > 0) this.holding.add(u)
    else this.holding.delete(u)
    if (due.length === 0) return
    // ingest() marked the unit changed already (a Set insertion a fix saved).
    if (!touched) this.changes.touched(u.id)
    // Releasing fixes does not change the unit's gaps: its cadence is read once, and only for a rule that uses it.
    const cadence = knownCadence !== undefined ? knownCadence : u.radius !== null || u.zone !== null ? this.cadenceOf(u) : null
    for (const f of due) this.process(u, f, cadence, out)
  }

  /** The unit's reporting interval, learned or configured (null: neither), which stretches the pause a rule's run may take. */
  private cadenceOf(u: UnitState): number | null {
    return steadyCadenceMs(u.silent) ?? u.liveness.expectedMs
  }

  /** One released fix, in fix-time order: unit rules, then coverage credit with path fill. */
  private process(u: UnitState, f: Fix, cadence: number | null, out: AlertEvent[]): void {
    const prev = u.lastReleased
    rememberReleased(u, f)
    const rules = this.dep.rules
    // compileDeployment checked that every unit's post and zone exist.
    if (u.radius !== null) {
      const post = this.dep.posts.get(u.radius.postId) as PostSpec
      const e = stepRadius(u.radius, post, f, rules.radius, cadence)
      if (e !== null) push(out, radiusTransition(this.book, u, post, f, e))
    }
    if (u.zone !== null) {
      const zone = this.dep.zonesById.get(u.zone.zoneId) as ZoneSpec
      const e = stepZoneExit(u.zone, zone.polygon, f, rules.zone, cadence)
      if (e !== null) push(out, zoneTransition(this.book, u, zone, f, e))
    }
    this.credit.credit(f, u.ownZone, prev)
  }

  private zoneView(z: ZoneState, now: number): ZoneView {
    const ev = z.coverage.evaluate(now)
    const subject = zoneSubject(z.spec.id)
    return {
      id: z.spec.id,
      name: z.spec.name,
      ...(z.spec.nameEn === undefined ? {} : { nameEn: z.spec.nameEn }),
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
