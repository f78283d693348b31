// Radius breach (unit with a post). A fix is evidence OUTSIDE when its distance from the post
// exceeds radius + margin, INSIDE when below radius − margin, where the margin is the larger of
// hysteresis_m and the fix's own accuracy radius (accuracy-aware evidence: a fix whose accuracy
// circle crosses the boundary band says nothing about the side). Fixes with accuracy at or above
// max_accuracy_m are not counted at all. The dwell machine (dwell.ts) then needs continuous
// evidence for dwell of fix time to open, and the same inside to resolve.
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
  /** Post geometry it was computed against (`lat,lon,radius`): a moved or resized post starts over. */
  postKey: string
}

export interface RadiusEdge {
  edge: 'opened' | 'resolved'
  distanceM: number
  /** First fix time of the run that confirmed the edge. */
  since: number
}

export const postKeyOf = (p: RadiusPost): string => `${p.lat},${p.lon},${p.radiusM}`

export const initialRadius = (post: RadiusPost): RadiusState => ({ ...initialDwell(), postId: post.id, postKey: postKeyOf(post) })

/** A run may not pause longer than this between fixes (or dwell, when longer). */
export const MIN_RUN_GAP_MS = 60_000

export const runGapMs = (dwellMs: number): number => Math.max(dwellMs, MIN_RUN_GAP_MS)

/** Evidence margin for a fix: hysteresis, or the fix's accuracy radius when that is larger. */
export function marginM(accuracy: number | null, hysteresisM: number): number {
  return accuracy === null ? hysteresisM : Math.max(hysteresisM, accuracy)
}

export function radiusSide(distanceM: number, radiusM: number, marginMetres: number): Side {
  if (distanceM > radiusM + marginMetres) return 'out'
  if (distanceM < radiusM - marginMetres) return 'in'
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
  const side = radiusSide(distanceM, post.radiusM, marginM(fix.accuracy, cfg.hysteresisM))
  const edge = stepDwell(s, side, fix.ts, { dwellMs: cfg.dwellMs, maxGapMs: runGapMs(cfg.dwellMs) })
  if (edge === null) return null
  return { edge, distanceM, since: before ?? fix.ts }
}
