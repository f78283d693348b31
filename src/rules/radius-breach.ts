// Radius breach (unit with a post). A fix is evidence by its whole accuracy circle: OUTSIDE when
// the circle lies entirely beyond radius + hysteresis (distance − accuracy > radius + hysteresis),
// INSIDE when it lies entirely within radius − hysteresis (distance + accuracy < radius −
// hysteresis). A fix whose circle cannot lie outside breaks a run outwards (and vice versa); one
// whose circle only partly reaches the other side is inconclusive (dwell.ts). So an inaccurate
// fix still counts when it is far enough from the boundary: a phone on network location (±150 m)
// 5 km outside its post is outside; the detection limit is radius + hysteresis + accuracy. A fix
// that reports no accuracy is taken to be max_accuracy_m inaccurate: unknown quality is never
// better than the worst fix called accurate, and such a fix still counts where that circle
// clears the band. The dwell machine (dwell.ts) then needs continuous evidence for dwell of fix
// time to open, and the same inside to resolve.
import { haversineM } from '../geo/distance.js'
import type { Fix } from '../decode/fix.js'
import { initialDwell, stepDwell, type DwellState, type Side } from './dwell.js'

export interface RadiusSettings {
  dwellMs: number
  hysteresisM: number
  /** The accuracy radius assumed for a fix that reports none. */
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

/** A unit that reports every `cadenceMs` may pause a run this many intervals (one fix lost in between). */
export const CADENCE_GAPS = 1.5

/**
 * The longest pause in a run of a unit with this reporting interval: runGapMs, or 1.5 × its
 * cadence when longer, so a phone at Traccar Client's 300 s default can be in breach at all.
 */
export const unitRunGapMs = (dwellMs: number, cadenceMs: number | null): number =>
  Math.max(runGapMs(dwellMs), cadenceMs === null ? 0 : CADENCE_GAPS * cadenceMs)

/** The accuracy radius a fix is judged by: its own, or max_accuracy_m when it reports none. */
export function assumedAccuracyM(accuracy: number | null, maxAccuracyM: number): number {
  return accuracy === null ? maxAccuracyM : accuracy
}

/**
 * Evidence of one fix whose position is `beyondM` metres outside the boundary (negative: inside),
 * with an accuracy circle of `accuracyM`: the regions the circle touches (see Side), the band
 * being ±hysteresis around the boundary.
 */
export function evidenceSide(beyondM: number, hysteresisM: number, accuracyM: number): Side {
  const far = beyondM + accuracyM
  const near = beyondM - accuracyM
  if (near > hysteresisM) return 'out'
  if (far < -hysteresisM) return 'in'
  const out = far > hysteresisM
  const inside = near < -hysteresisM
  if (out) return inside ? 'any' : 'band-out'
  return inside ? 'in-band' : 'band'
}

export function radiusSide(distanceM: number, radiusM: number, hysteresisM: number, accuracyM = 0): Side {
  return evidenceSide(distanceM - radiusM, hysteresisM, accuracyM)
}

/** Feeds one released, unflagged fix; returns the edge it confirms, if any. Mutates `s`. */
export function stepRadius(s: RadiusState, post: RadiusPost, fix: Fix, cfg: RadiusSettings, cadenceMs: number | null = null): RadiusEdge | null {
  const distanceM = haversineM(post.lat, post.lon, fix.lat, fix.lon)
  const before = s.pendingSince
  const side = radiusSide(distanceM, post.radiusM, cfg.hysteresisM, assumedAccuracyM(fix.accuracy, cfg.maxAccuracyM))
  const edge = stepDwell(s, side, fix.ts, { dwellMs: cfg.dwellMs, maxGapMs: unitRunGapMs(cfg.dwellMs, cadenceMs) })
  if (edge === null) return null
  return { edge, distanceM, since: before ?? fix.ts }
}
