// Silent unit (configured units only): nothing ARRIVED from the unit for longer than its own
// silence threshold of engine clock time. Liveness is measured on arrival time, never on the
// device's clock, so a device whose clock runs behind (or ahead) is judged by when its fixes reach
// us; every fix that arrives counts, even one flagged impossible or too late, because the unit is
// reporting. A unit never seen is measured from when the engine first tracked it (kept across restarts).
//
// The threshold is cadence-aware: phones report once a minute or once in five (Traccar Client's
// default is 300 s, less while stationary), so one fixed silent_after either flags slow phones or
// misses dead fast ones. Each unit's reporting interval is learned from its recent arrivals (the
// median of the last gaps between arrivals; a burst of buffered fixes counts as one arrival), or
// taken from the configured interval until a first gap was seen. The unit is silent once it has
// been quiet for `factor` times that interval (times `stationaryFactor` when its last fix showed it
// standing still), never sooner than `floorMs` (silent_after) and never later than `capMs`.

import { haversineM } from '../geo/distance.js'
import { sortFew } from './sort-few.js'

/** Gaps between arrivals remembered for the cadence estimate. */
const GAPS_KEPT = 8
/** Gaps needed before the cadence is their median (fewer: the longest of them). */
const GAPS_NEEDED = 3
/** Arrivals closer than this are one arrival (a batch, a terminal flushing its buffer). */
const MIN_GAP_MS = 1000

export interface LivenessPolicy {
  /** silent_after: never silent sooner than this. */
  floorMs: number
  /** Never live after being quiet this long, whatever the cadence (≥ floorMs). */
  capMs: number
  /** Silent after factor × the reporting interval. */
  factor: number
  /** Extra allowance while the unit's last fix showed it stationary (phones report less then). */
  stationaryFactor: number
  /** The configured reporting interval (per unit or per kind), used until one is learned; null: none. */
  expectedMs: number | null
}

/** Below this reported speed (m/s) a fix shows the unit standing still. */
const STATIONARY_SPEED_MPS = 1
/** Without a speed: this close to the previous fix (m) is standing still. */
const STATIONARY_DISTANCE_M = 50

/** Whether a fix shows its unit standing still: a reported speed under 1 m/s, or else within 50 m of its previous fix. */
export function looksStationary(prev: { lat: number; lon: number } | null, fix: { lat: number; lon: number; speed: number | null }): boolean {
  if (fix.speed !== null) return fix.speed < STATIONARY_SPEED_MPS
  return prev !== null && haversineM(prev.lat, prev.lon, fix.lat, fix.lon) < STATIONARY_DISTANCE_M
}

/** A policy that is just silent_after (no cadence): units whose interval is neither configured nor learned. */
export const fixedLiveness = (silentAfterMs: number): LivenessPolicy => ({ floorMs: silentAfterMs, capMs: silentAfterMs, factor: 1, stationaryFactor: 1, expectedMs: null })

export interface SilentState {
  /** Newest fix time (device clock) seen from the unit, or null: shown as lastFixAt. */
  lastTs: number | null
  /** Latest arrival of any fix from the unit (engine clock), or null. */
  lastSeenAt: number | null
  /** When the engine first tracked the unit (engine clock); silence of a never-seen unit counts from here. */
  since: number
  open: boolean
  /** Recent gaps between arrivals (ms), newest last. */
  gaps?: number[]
  /** Whether the unit's last fix showed it standing still. */
  stationary?: boolean
}

export const initialSilent = (since: number): SilentState => ({ lastTs: null, lastSeenAt: null, since, open: false, gaps: [], stationary: false })

const quietSince = (s: SilentState): number => s.lastSeenAt ?? s.since

/**
 * The learned reporting interval: the median of the recent gaps between arrivals; with fewer than
 * three, the longest seen so far (a phone that just started must not flap while it is learned);
 * null before the second arrival.
 */
export function learnedCadenceMs(s: Pick<SilentState, 'gaps'>): number | null {
  const g = s.gaps ?? []
  const n = g.length
  if (n === 0) return null
  if (n < GAPS_NEEDED) return Math.max(...g)
  // Sorted in a reused typed array (no allocation): the rules read the cadence for every fix of a
  // unit with a post or a zone.
  if (n > gapScratch.length) gapScratch = new Float64Array(n) // a longer history restored from a snapshot
  for (let i = 0; i < n; i++) gapScratch[i] = g[i]!
  const sorted = sortFew(gapScratch, n)
  const mid = n >> 1
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** The gaps sorted for their median, reused across calls (grown for a longer restored history). */
let gapScratch = new Float64Array(GAPS_KEPT)

/**
 * The cadence a rule's run may rely on: the median of the recent gaps once there are three, else
 * null (no provisional "longest gap so far": a run must not be stretched by the very gap it spans).
 */
export function steadyCadenceMs(s: Pick<SilentState, 'gaps'>): number | null {
  return (s.gaps ?? []).length < GAPS_NEEDED ? null : learnedCadenceMs(s)
}

/** How long this unit may be quiet before it counts as silent. */
export function silentAfterMs(s: Pick<SilentState, 'gaps' | 'stationary'>, p: LivenessPolicy): number {
  const cadence = learnedCadenceMs(s) ?? p.expectedMs
  if (cadence === null) return p.floorMs
  const allowed = cadence * p.factor * (s.stationary === true ? p.stationaryFactor : 1)
  return Math.min(p.capMs, Math.max(p.floorMs, allowed))
}

/** True when the unit counts as silent at `now` (state, not edge). */
export function isSilentAt(s: SilentState, now: number, p: LivenessPolicy): boolean {
  return s.open || now - quietSince(s) >= silentAfterMs(s, p)
}

/** Tick: returns 'opened' when the unit just went silent. Mutates `s`. */
export function tickSilent(s: SilentState, now: number, p: LivenessPolicy): 'opened' | null {
  if (s.open || now - quietSince(s) < silentAfterMs(s, p)) return null
  s.open = true
  return 'opened'
}

/**
 * A fix from the unit arrived at `now` (fix time `ts`; `stationary` when it shows the unit
 * standing still). Learns the cadence and resolves an open silence. Mutates `s`.
 */
export function observeSilent(s: SilentState, ts: number, now: number, stationary = false): 'resolved' | null {
  if (s.lastTs === null || ts > s.lastTs) s.lastTs = ts
  if (s.lastSeenAt !== null && now - s.lastSeenAt >= MIN_GAP_MS) {
    const gaps = s.gaps ?? (s.gaps = [])
    gaps.push(now - s.lastSeenAt)
    if (gaps.length > GAPS_KEPT) gaps.shift()
  }
  if (s.lastSeenAt === null || now > s.lastSeenAt) {
    s.lastSeenAt = now
    s.stationary = stationary
  }
  if (!s.open) return null
  s.open = false
  return 'resolved'
}
