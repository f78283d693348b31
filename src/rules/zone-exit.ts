// Zone exit (unit with a zone): the radius-breach semantics against the zone polygon. Outside =
// not contained and farther than hysteresis from the boundary; inside = contained and farther
// than hysteresis from it; within hysteresis of the boundary (either side) is the band.
import type { Fix } from '../decode/fix.js'
import type { CompiledPolygon } from '../geo/polygon.js'
import { initialDwell, stepDwell, type DwellState, type Side } from './dwell.js'
import { accurateEnough, type RadiusSettings } from './radius-breach.js'

export type ZoneExitSettings = RadiusSettings

export interface ZoneExitState extends DwellState {
  zoneId: string
}

export interface ZoneExitEdge {
  edge: 'opened' | 'resolved'
  /** Distance to the zone boundary, metres (outside it when opened, inside when resolved). */
  distanceM: number
  since: number
}

export const initialZoneExit = (zoneId: string): ZoneExitState => ({ ...initialDwell(), zoneId })

export function zoneSide(polygon: CompiledPolygon, lat: number, lon: number, hysteresisM: number): { side: Side; distanceM: number } {
  const distanceM = polygon.distanceToBoundaryM(lat, lon)
  if (distanceM <= hysteresisM) return { side: 'band', distanceM }
  return { side: polygon.contains(lat, lon) ? 'in' : 'out', distanceM }
}

/** Feeds one released, unflagged fix; returns the edge it confirms, if any. Mutates `s`. */
export function stepZoneExit(s: ZoneExitState, polygon: CompiledPolygon, fix: Fix, cfg: ZoneExitSettings): ZoneExitEdge | null {
  if (!accurateEnough(fix.accuracy, cfg.maxAccuracyM)) return null
  const { side, distanceM } = zoneSide(polygon, fix.lat, fix.lon, cfg.hysteresisM)
  const before = s.pendingSince
  const edge = stepDwell(s, side, fix.ts, cfg.dwellMs)
  if (edge === null) return null
  return { edge, distanceM, since: before ?? fix.ts }
}
