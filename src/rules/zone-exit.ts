// Zone exit (unit with a zone): the radius-breach semantics against the zone polygon. Evidence
// outside = not contained and farther than the margin (hysteresis_m or the fix's accuracy,
// whichever is larger) from the boundary; inside = contained and farther than the margin;
// nearer the boundary than the margin (either side) is the band, which breaks a run.
import type { Fix } from '../decode/fix.js'
import type { CompiledPolygon } from '../geo/polygon.js'
import { initialDwell, stepDwell, type DwellState, type Side } from './dwell.js'
import { accurateEnough, marginM, runGapMs, type RadiusSettings } from './radius-breach.js'

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

export function zoneSide(polygon: CompiledPolygon, lat: number, lon: number, marginMetres: number): { side: Side; distanceM: number } {
  const distanceM = polygon.distanceToBoundaryM(lat, lon)
  if (distanceM <= marginMetres) return { side: 'band', distanceM }
  return { side: polygon.contains(lat, lon) ? 'in' : 'out', distanceM }
}

/** Feeds one released, unflagged fix; returns the edge it confirms, if any. Mutates `s`. */
export function stepZoneExit(s: ZoneExitState, polygon: CompiledPolygon, fix: Fix, cfg: ZoneExitSettings): ZoneExitEdge | null {
  if (!accurateEnough(fix.accuracy, cfg.maxAccuracyM)) return null
  const { side, distanceM } = zoneSide(polygon, fix.lat, fix.lon, marginM(fix.accuracy, cfg.hysteresisM))
  const before = s.pendingSince
  const edge = stepDwell(s, side, fix.ts, { dwellMs: cfg.dwellMs, maxGapMs: runGapMs(cfg.dwellMs) })
  if (edge === null) return null
  return { edge, distanceM, since: before ?? fix.ts }
}
