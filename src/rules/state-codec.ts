// The rule state's persistence form: the whole state (snapshot), what changed since the last write
// (delta), and the way back after a restart (restore). Plain JSON-able objects; the caller (the
// rule-state store) serialises and writes them. No I/O.
import { AlertBook, type AlertBookJSON } from './alert-book.js'
import { ZoneCoverage } from './coverage.js'
import type { Deployment } from './deployment.js'
import type { GapDwellState } from './gap-dwell.js'
import type { UnitRegistry } from './unit-registry.js'
import { unitToJSON, type UnitStateJSON } from './unit-state.js'
import type { ZoneState } from './zone-state.js'

export interface ZoneTimersJSON { zoneId: string; coverage: GapDwellState; response: GapDwellState }

export interface RuleSnapshot {
  version: 1
  units: UnitStateJSON[]
  alerts: AlertBookJSON
  coverage: Array<{ zoneId: string; state: unknown }>
  responseRatios: Array<{ zoneId: string; ratio: number }>
  zoneTimers?: ZoneTimersJSON[]
}

/**
 * What changed since the previous takeDelta(): the units touched (their whole state), units
 * forgotten, the open-alert list when it moved, zones whose coverage moved, and the small zone
 * timers. Its size follows the change, never the size of the fleet.
 */
export interface RuleDelta {
  units: UnitStateJSON[]
  removed: string[]
  alerts: AlertBookJSON | null
  coverage: Array<{ zoneId: string; state: unknown }>
  responseRatios: Array<{ zoneId: string; ratio: number }>
  zoneTimers: ZoneTimersJSON[]
}

/** The live rule state the codec reads: the units, the alert book and the zones (indexed like Deployment.zones). */
export interface RuleState {
  units: UnitRegistry
  book: AlertBook
  zones: readonly ZoneState[]
}

export function encodeSnapshot(s: RuleState): RuleSnapshot {
  return {
    version: 1,
    units: [...s.units.values()].map((u) => unitToJSON(u)),
    alerts: s.book.toJSON(),
    coverage: s.zones.map((z) => ({ zoneId: z.spec.id, state: z.coverage.toJSON() })),
    responseRatios: responseRatios(s.zones),
    zoneTimers: zoneTimers(s.zones),
  }
}

/** Remembers what changed between two deltas: units touched or forgotten, the book's and each zone's change counters. */
export class StateChanges {
  private readonly dirty = new Set<string>()
  private readonly removed = new Set<string>()
  private savedBookChanges = -1
  /** coverage.changes of each zone at the last take(). */
  private readonly savedZoneChanges: number[]

  constructor(zoneCount: number) {
    this.savedZoneChanges = new Array<number>(zoneCount).fill(-1)
  }

  /** The unit's state changed. */
  touched(unitId: string): void {
    this.dirty.add(unitId)
  }

  /** The unit was forgotten: the next delta removes it. */
  forgotten(unitId: string): void {
    this.dirty.delete(unitId)
    this.removed.add(unitId)
  }

  /** What changed since the last call (see RuleDelta); serialise it before the next ingest/tick (it shares state). */
  take(s: RuleState): RuleDelta {
    const units: UnitStateJSON[] = []
    for (const id of this.dirty) {
      const u = s.units.get(id)
      // Not cloned: the delta is serialised before the engine runs again.
      if (u !== undefined) units.push(unitToJSON(u, false))
    }
    this.dirty.clear()
    const removed = [...this.removed]
    this.removed.clear()
    const alerts = s.book.changes === this.savedBookChanges ? null : s.book.toJSON()
    this.savedBookChanges = s.book.changes
    const coverage: RuleDelta['coverage'] = []
    s.zones.forEach((z, i) => {
      if (z.coverage.changes === this.savedZoneChanges[i]) return
      this.savedZoneChanges[i] = z.coverage.changes
      coverage.push({ zoneId: z.spec.id, state: z.coverage.toJSON() })
    })
    return { units, removed, alerts, coverage, responseRatios: responseRatios(s.zones), zoneTimers: zoneTimers(s.zones) }
  }

  /** Marks everything changed, so the next take() carries the whole state (a store's first write). */
  markAll(s: RuleState): void {
    for (const id of s.units.ids()) this.dirty.add(id)
    this.savedBookChanges = -1
    this.savedZoneChanges.fill(-1)
  }
}

/** Throws unless the snapshot is of a version this code reads. */
export function checkSnapshotVersion(snap: RuleSnapshot): void {
  if (snap?.version !== 1) throw new Error(`rule snapshot version ${JSON.stringify(snap?.version)} is not supported`)
}

/**
 * Puts a snapshot back into a fresh engine's units and zones and returns its alert book. Units
 * the registry no longer takes are dropped; coverage, ratios and timers of zones no longer
 * configured are skipped.
 */
export function restoreSnapshot(dep: Deployment, snap: RuleSnapshot, startedAt: number, units: UnitRegistry, zones: ZoneState[]): AlertBook {
  checkSnapshotVersion(snap)
  const book = AlertBook.fromJSON(snap.alerts, dep.texts)
  for (const j of snap.units) units.adopt(j, startedAt)
  const zoneOf = (zoneId: string): ZoneState | undefined => {
    const spec = dep.zonesById.get(zoneId)
    return spec === undefined ? undefined : zones[spec.index]
  }
  for (const c of snap.coverage) {
    const spec = dep.zonesById.get(c.zoneId)
    if (spec !== undefined) (zones[spec.index] as ZoneState).coverage = ZoneCoverage.fromJSON(spec.coverage, c.state, startedAt)
  }
  for (const r of snap.responseRatios) {
    const z = zoneOf(r.zoneId)
    if (z?.response != null) z.responseRatio = r.ratio
  }
  for (const t of snap.zoneTimers ?? []) {
    const z = zoneOf(t.zoneId)
    if (z === undefined) continue
    z.coverageDwell = { ...t.coverage }
    z.responseDwell = { ...t.response }
  }
  return book
}

function responseRatios(zones: readonly ZoneState[]): RuleSnapshot['responseRatios'] {
  return zones.flatMap((z) => (z.responseRatio === null ? [] : [{ zoneId: z.spec.id, ratio: z.responseRatio }]))
}

function zoneTimers(zones: readonly ZoneState[]): ZoneTimersJSON[] {
  return zones.map((z) => ({ zoneId: z.spec.id, coverage: { ...z.coverageDwell }, response: { ...z.responseDwell } }))
}
