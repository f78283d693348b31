// Per-unit rule state: the reorder buffer, what fix-quality needs (last release, recent fix times,
// last impossible fix), the newest accepted fix for the live view, and each rule's state machine.
// Plain data apart from the buffer, so a snapshot is a JSON round-trip.
import type { Fix } from '../decode/fix.js'
import type { Deployment, UnitSpec, ZoneSpec } from './deployment.js'
import type { FixPoint, QualityHistory } from './fix-quality.js'
import { initialRadius, type RadiusState } from './radius-breach.js'
import { ReorderBuffer } from './reorder.js'
import { initialSilent, type SilentState } from './silent-unit.js'
import { initialZoneExit, type ZoneExitState } from './zone-exit.js'

/** Released fix times remembered for duplicate detection (a device re-sending its last few). */
const RECENT_TS = 32

/** Kind shown for units that report but are not in the config. */
export const UNKNOWN_KIND = 'unknown'

export interface UnitState {
  id: string
  spec: UnitSpec | null
  kind: string
  name: string
  silentAfterMs: number
  maxSpeedMps: number
  /** Index of the unit's own zone in Deployment.zones, or -1. */
  ownZone: number
  buffer: ReorderBuffer
  lastReleased: Fix | null
  recent: number[]
  lastImpossible: FixPoint | null
  /** Newest accepted fix, held or released: the live position. */
  latest: Fix | null
  radius: RadiusState | null
  zone: ZoneExitState | null
  silent: SilentState
}

/** The snapshot form: the rule state proper, without what is derived from the deployment. */
export type UnitStateJSON = Pick<UnitState, 'id' | 'lastReleased' | 'recent' | 'lastImpossible' | 'latest' | 'radius' | 'zone' | 'silent'> & {
  held: Fix[]
}

export function createUnitState(dep: Deployment, id: string): UnitState {
  const spec = dep.units.get(id) ?? null
  const kind = spec?.kind ?? UNKNOWN_KIND
  return {
    id,
    spec,
    kind,
    name: spec?.name ?? id,
    silentAfterMs: spec?.silentAfterMs ?? dep.rules.silentAfterMs,
    maxSpeedMps: dep.maxSpeedMps(kind),
    ownZone: spec?.zoneId == null ? -1 : (dep.zonesById.get(spec.zoneId) as ZoneSpec).index,
    buffer: new ReorderBuffer(dep.rules.allowedLatenessMs),
    lastReleased: null,
    recent: [],
    lastImpossible: null,
    latest: null,
    radius: spec?.postId == null ? null : initialRadius(spec.postId),
    zone: spec?.zoneId == null ? null : initialZoneExit(spec.zoneId),
    silent: initialSilent(),
  }
}

const histories = new WeakMap<UnitState, QualityHistory>()

/** The read-only view fix-quality needs; one per unit, built once (classify runs per fix). */
export function historyOf(u: UnitState): QualityHistory {
  let h = histories.get(u)
  if (h === undefined) {
    h = {
      get lastReleased() {
        return u.lastReleased
      },
      seen: (ts) => u.buffer.has(ts) || u.recent.includes(ts),
      // Held fixes are all newer than the last released one, so the buffer is searched first.
      predecessor: (ts) => u.buffer.before(ts) ?? u.lastReleased,
      get lastImpossible() {
        return u.lastImpossible
      },
      maxSpeedMps: u.maxSpeedMps,
    }
    histories.set(u, h)
  }
  return h
}

export function rememberReleased(u: UnitState, fix: Fix): void {
  u.lastReleased = fix
  u.recent.push(fix.ts)
  if (u.recent.length > RECENT_TS) u.recent.shift()
}

export function unitToJSON(u: UnitState): UnitStateJSON {
  return structuredClone({
    id: u.id,
    held: u.buffer.held,
    lastReleased: u.lastReleased,
    recent: u.recent,
    lastImpossible: u.lastImpossible,
    latest: u.latest,
    radius: u.radius,
    zone: u.zone,
    silent: u.silent,
  })
}

/**
 * Restores a unit's state onto a fresh one built from the current deployment. A rule state is
 * kept only if it was computed against the same post/zone the unit has now.
 */
export function unitFromJSON(dep: Deployment, j: UnitStateJSON): UnitState {
  const u = createUnitState(dep, j.id)
  const s = structuredClone(j)
  u.buffer = new ReorderBuffer(dep.rules.allowedLatenessMs, s.held)
  u.lastReleased = s.lastReleased
  u.recent = s.recent
  u.lastImpossible = s.lastImpossible
  u.latest = s.latest
  if (u.radius !== null && s.radius?.postId === u.radius.postId) u.radius = s.radius
  if (u.zone !== null && s.zone?.zoneId === u.zone.zoneId) u.zone = s.zone
  u.silent = s.silent
  return u
}
