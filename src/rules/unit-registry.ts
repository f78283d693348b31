// Every unit the rules track: configured units from engine start, unknown units on first sight
// (at most max_unknown_units of them), forgotten once idle for unknown_idle_after. Keeps the live
// positions in grid indexes (one for all units, one per kind) so nearest() reads a few cells, not
// the fleet. Pure, no I/O.
import type { Fix } from '../decode/fix.js'
import { UnitGrid, type Hit } from '../geo/unit-grid.js'
import type { Deployment } from './deployment.js'
import type { Position } from './response-gap.js'
import { isSilentAt } from './silent-unit.js'
import { createUnitState, unitFromJSON, type UnitState, type UnitStateJSON } from './unit-state.js'

/** Units the idle sweep of unknown units visits per tick. */
export const UNKNOWN_SWEEP = 5000

export interface NearestOptions {
  k: number
  kind?: string
  maxDistanceM?: number
  /** Include units currently silent (default false). */
  includeSilent?: boolean
}

export class UnitRegistry {
  private readonly dep: Deployment
  private readonly states = new Map<string, UnitState>()
  /** Live positions for nearest(): a grid index, so a search reads a few cells, not every unit. */
  private readonly grid = new UnitGrid<UnitState>()
  /** One grid per unit kind too, so a search for a rare kind does not wade through the others. */
  private readonly kindGrids = new Map<string, UnitGrid<UnitState>>()
  private unknown = 0
  /** Where the unknown-unit sweep resumes (a live iterator over the units), or null to start over. */
  private sweep: Iterator<UnitState> | null = null

  constructor(dep: Deployment, startedAt: number) {
    this.dep = dep
    // Configured units exist from the start, so silence is measured from engine start.
    for (const id of dep.units.keys()) this.states.set(id, createUnitState(dep, id, startedAt))
  }

  get(id: string): UnitState | undefined {
    return this.states.get(id)
  }

  /** Every tracked unit, configured ones first (in config order), then unknown ones as first seen. */
  values(): IterableIterator<UnitState> {
    return this.states.values()
  }

  ids(): IterableIterator<string> {
    return this.states.keys()
  }

  /** Units tracked that are not in the config. */
  get unknownCount(): number {
    return this.unknown
  }

  /** The unit's state, created on first sight; null for an unknown unit beyond max_unknown_units. */
  obtain(id: string, now: number): UnitState | null {
    let u = this.states.get(id)
    if (u !== undefined) return u
    if (this.unknown >= this.dep.rules.maxUnknownUnits) return null
    this.states.set(id, (u = createUnitState(this.dep, id, now)))
    this.unknown++
    return u
  }

  /**
   * A unit's saved state, taken back after a restart; null (dropped) when it is a configured unit
   * no longer in the config, or an unknown unit beyond max_unknown_units.
   */
  adopt(j: UnitStateJSON, startedAt: number): UnitState | null {
    const configured = this.dep.units.has(j.id)
    if (!configured && (j.known !== false || this.unknown >= this.dep.rules.maxUnknownUnits)) return null
    const u = unitFromJSON(this.dep, j, startedAt)
    this.states.set(j.id, u)
    if (u.latest !== null) this.moved(u)
    if (!configured) this.unknown++
    return u
  }

  /** The unit's latest fix changed: re-index its position. */
  moved(u: UnitState): void {
    const f = u.latest as Fix
    this.grid.set(u.id, f.lat, f.lon, u)
    let g = this.kindGrids.get(u.kind)
    if (g === undefined) this.kindGrids.set(u.kind, (g = new UnitGrid()))
    g.set(u.id, f.lat, f.lon, u)
  }

  /** The k units nearest a point (live ones only unless includeSilent), nearest first, ties by id. */
  nearest(lat: number, lon: number, opts: NearestOptions, now: number): Array<Hit<UnitState>> {
    const accept = (u: UnitState): boolean =>
      (opts.kind === undefined || u.kind === opts.kind) && (opts.includeSilent === true || !isSilentAt(u.silent, now, u.liveness))
    const grid = opts.kind === undefined ? this.grid : this.kindGrids.get(opts.kind)
    if (grid === undefined) return []
    return grid.nearest(lat, lon, opts.k, { maxDistanceM: opts.maxDistanceM, accept })
  }

  /** Where the units not silent at `now` are. */
  livePositions(now: number): Position[] {
    const out: Position[] = []
    for (const u of this.states.values()) {
      const f = u.latest
      if (f !== null && !isSilentAt(u.silent, now, u.liveness)) out.push({ lat: f.lat, lon: f.lon })
    }
    return out
  }

  /**
   * Forgets unknown units idle for unknown_idle_after, UNKNOWN_SWEEP units per tick, resuming where
   * the last tick stopped: with 100,000 unknown units an idle one goes at most 20 ticks late.
   * Returns the units forgotten.
   */
  sweepIdle(now: number): UnitState[] {
    const gone: UnitState[] = []
    if (this.unknown === 0) return gone
    let seen = 0
    while (seen < UNKNOWN_SWEEP) {
      const next = (this.sweep ??= this.states.values()).next()
      if (next.done === true) {
        this.sweep = null
        // Every unit seen this tick: a fleet smaller than UNKNOWN_SWEEP is swept whole each tick.
        if (seen >= this.states.size) break
        continue
      }
      seen++
      const u = next.value
      if (u.spec === null && now - (u.silent.lastSeenAt ?? u.silent.since) >= this.dep.rules.unknownIdleMs) {
        this.forget(u)
        gone.push(u)
      }
    }
    return gone
  }

  private forget(u: UnitState): void {
    this.states.delete(u.id)
    this.grid.delete(u.id)
    this.kindGrids.get(u.kind)?.delete(u.id)
    this.unknown--
  }
}
