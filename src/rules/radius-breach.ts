// Radius breach (unit with a post): outside when farther than radius + hysteresis, inside when
// nearer than radius − hysteresis, for at least dwell of fix time. Fixes with accuracy at or
// above max_accuracy_m are not counted at all (an inaccurate fix is no evidence either way).
import { haversineM } from '../geo/distance.js'
import type { Fix } from '../decode/fix.js'
import { initialDwell, stepDwell, type DwellState, type Side } from './dwell.js'

export interface RadiusSettings {
  dwellMs: number
  hysteresisM: number
  maxAccuracyM: number
}

export interface RadiusPost {
  id: string
  lat: number
  lon: number
  radiusM: number
}

export interface RadiusState extends DwellState {
  /** The post this state was computed against; a restored state for another post is discarded. */
  postId: string
}

export interface RadiusEdge {
  edge: 'opened' | 'resolved'
  distanceM: number
  /** First fix time of the run that confirmed the edge. */
  since: number
}

export const initialRadius = (postId: string): RadiusState => ({ ...initialDwell(), postId })

export function radiusSide(distanceM: number, radiusM: number, hysteresisM: number): Side {
  if (distanceM > radiusM + hysteresisM) return 'out'
  if (distanceM < radiusM - hysteresisM) return 'in'
  return 'band'
}

/** True when the fix's accuracy is good enough to count (null accuracy counts). */
export function accurateEnough(accuracy: number | null, maxAccuracyM: number): boolean {
  return accuracy === null || accuracy < maxAccuracyM
}

/** Feeds one released, unflagged fix; returns the edge it confirms, if any. Mutates `s`. */
export function stepRadius(s: RadiusState, post: RadiusPost, fix: Fix, cfg: RadiusSettings): RadiusEdge | null {
  if (!accurateEnough(fix.accuracy, cfg.maxAccuracyM)) return null
  const distanceM = haversineM(post.lat, post.lon, fix.lat, fix.lon)
  const before = s.pendingSince
  const edge = stepDwell(s, radiusSide(distanceM, post.radiusM, cfg.hysteresisM), fix.ts, cfg.dwellMs)
  if (edge === null) return null
  return { edge, distanceM, since: before ?? fix.ts }
}
