// Fix quality: which FixFlag bits a fix earns from what the engine already knows about its unit.
// Pure: the caller hands in the unit's history; nothing is mutated, so classify() can run before
// the flags are journaled and ingest() later sees exactly the same decision.
import { FixFlag } from '../decode/fix.js'
import { haversineM } from '../geo/distance.js'

export interface FixPoint {
  lat: number
  lon: number
  ts: number
  accuracy: number | null
}

export interface QualityHistory {
  /** Fix time of the unit's last released fix, or null. */
  lastReleased: FixPoint | null
  /** True when a fix of this unit with exactly this fix time was already taken (held or recently released). */
  seen(ts: number): boolean
  /** The accepted fix of the unit with the greatest fix time below `ts` (held or released), or null. */
  predecessor(ts: number): FixPoint | null
  /** The last fix flagged ImpossibleSpeed since the last accepted one, or null. */
  lastImpossible: FixPoint | null
  maxSpeedMps: number
}

/**
 * Speed between two fixes, with the accuracy radii as slack: GPS jitter of a few tens of metres
 * between fixes a second apart must not look like 150 km/h for an officer on foot.
 */
export function impliedSpeedMps(a: FixPoint, b: FixPoint): number {
  const dt = Math.abs(b.ts - a.ts) / 1000
  const slack = (a.accuracy ?? 0) + (b.accuracy ?? 0)
  const d = Math.max(0, haversineM(a.lat, a.lon, b.lat, b.lon) - slack)
  return dt === 0 ? (d === 0 ? 0 : Infinity) : d / dt
}

/**
 * Flags for `fix`: Duplicate alone when the same fix time was already taken; TooLate when older
 * than the last released fix; ImpossibleSpeed when too fast from its fix-time predecessor. An
 * impossible fix is accepted anyway when it is consistent with the previous impossible one: two
 * agreeing fixes mean the unit really is there (or the earlier accepted fix was the bad one),
 * and without this a single bad first fix would get every later good fix flagged.
 */
export function qualityFlags(fix: FixPoint, h: QualityHistory): number {
  if (h.seen(fix.ts)) return FixFlag.Duplicate
  const last = h.lastReleased
  if (last !== null && fix.ts < last.ts) {
    // No history kept before the last release: judge plausibility against that fix instead.
    return FixFlag.TooLate | (impliedSpeedMps(fix, last) > h.maxSpeedMps ? FixFlag.ImpossibleSpeed : 0)
  }
  const pred = h.predecessor(fix.ts)
  if (pred === null || impliedSpeedMps(pred, fix) <= h.maxSpeedMps) return 0
  const bad = h.lastImpossible
  if (bad !== null && bad.ts < fix.ts && impliedSpeedMps(bad, fix) <= h.maxSpeedMps) return 0
  return FixFlag.ImpossibleSpeed
}
