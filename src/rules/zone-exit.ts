// Zone exit (unit with a zone): the radius-breach semantics against the zone polygon, with the
// distance to the boundary (signed: positive outside): evidence outside = not contained and the
// whole accuracy circle farther than hysteresis_m from the boundary; inside = contained and the
// same; otherwise the regions the circle touches decide whether it breaks a run or is
// inconclusive (evidenceSide in radius-breach.ts, dwell.ts).
import type { Fix } from '../decode/fix.js'
import type { CompiledPolygon } from '../geo/polygon.js'
import { initialDwell, stepDwell, type DwellState, type Side } from './dwell.js'
import { assumedAccuracyM, evidenceSide, unitRunGapMs, type RadiusSettings } from './radius-breach.js'

export type ZoneExitSettings = RadiusSettings

export interface ZoneExitState extends DwellState {
  zoneId: string
  /** Fingerprint of the zone geometry this state was computed against. */
  zoneKey: string
}

export interface ZoneExitEdge {
  edge: 'opened' | 'resolved'
  /** Distance to the zone boundary, metres (outside it when opened, inside when resolved). */
  distanceM: number
  since: number
}

export const initialZoneExit = (zoneId: string, zoneKey: string): ZoneExitState => ({ ...initialDwell(), zoneId, zoneKey })

export function zoneSide(polygon: CompiledPolygon, lat: number, lon: number, hysteresisM: number, accuracyM = 0): { side: Side; distanceM: number } {
  const distanceM = polygon.distanceToBoundaryM(lat, lon)
  return { side: evidenceSide(polygon.contains(lat, lon) ? -distanceM : distanceM, hysteresisM, accuracyM), distanceM }
}

/** Feeds one released, unflagged fix; returns the edge it confirms, if any. Mutates `s`. */
export function stepZoneExit(s: ZoneExitState, polygon: CompiledPolygon, fix: Fix, cfg: ZoneExitSettings, cadenceMs: number | null = null): ZoneExitEdge | null {
  const { side, distanceM } = zoneSide(polygon, fix.lat, fix.lon, cfg.hysteresisM, assumedAccuracyM(fix.accuracy, cfg.maxAccuracyM))
  const before = s.pendingSince
  const edge = stepDwell(s, side, fix.ts, { dwellMs: cfg.dwellMs, maxGapMs: unitRunGapMs(cfg.dwellMs, cadenceMs) })
  if (edge === null) return null
  return { edge, distanceM, since: before ?? fix.ts }
}
