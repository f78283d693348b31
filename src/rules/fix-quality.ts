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
  /** The unit's last released fix, or null. */
  lastReleased: FixPoint | null
  /** True when a fix of this unit with exactly this fix time was already taken (held or recently released). */
  seen(ts: number): boolean
  /** The accepted fix of the unit with the greatest fix time below `ts` (held or released), or null. */
  predecessor(ts: number): FixPoint | null
  /** Fixes flagged ImpossibleSpeed since the last accepted one, oldest first (a few). */
  rejected: readonly FixPoint[]
  /** Estimated device clock offset (device − engine clock), ms; null before the first fix. */
  clockOffsetMs: number | null
  maxSpeedMps: number
  /** Ceiling for a sustained mode change (a consistent chain of fixes). */
  modeSpeedMps: number
  futureToleranceMs: number
}

/** A chain of this many mutually consistent fixes is accepted over the unit's predecessor. */
export const CHAIN_FIXES = 3
/** ...when it spans at most this much fix time. */
export const CHAIN_WINDOW_MS = 120_000

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
 * True when `fix` closes a chain of CHAIN_FIXES consecutive rejected fixes that agree with each
 * other (every step at most the mode ceiling) within CHAIN_WINDOW_MS: the unit really moves like
 * that (an officer got into a car), or the fix it was compared with was the bad one. One or two
 * isolated jumps never form a chain.
 */
export function closesChain(fix: FixPoint, h: QualityHistory): boolean {
  const r = h.rejected
  const need = CHAIN_FIXES - 1
  if (r.length < need) return false
  const chain = [...r.slice(r.length - need), fix]
  const first = chain[0] as FixPoint
  if (fix.ts - first.ts > CHAIN_WINDOW_MS) return false
  for (let i = 1; i < chain.length; i++) {
    const a = chain[i - 1] as FixPoint
    const b = chain[i] as FixPoint
    if (!(b.ts > a.ts) || impliedSpeedMps(a, b) > h.modeSpeedMps) return false
  }
  return true
}

/**
 * Flags for `fix` (receivedAt: its arrival on the engine clock): Duplicate alone when the same fix
 * time was already taken; FutureTs when stamped ahead of the unit's estimated clock by more than
 * the tolerance (a device clock glitch must not freeze the unit: such a fix never becomes the
 * unit's newest); TooLate when older than the last released fix; ImpossibleSpeed when too fast
 * from its fix-time predecessor and not the end of a consistent chain (closesChain).
 */
export function qualityFlags(fix: FixPoint & { receivedAt: number }, h: QualityHistory): number {
  if (h.seen(fix.ts)) return FixFlag.Duplicate
  // (0, 0) is a tracker that lost its lock, not a position (the decoder rejects it too; defence in depth).
  if (fix.lat === 0 && fix.lon === 0) return FixFlag.ImpossibleSpeed
  // Only an estimate AHEAD widens the allowance: an estimate behind may just be buffered fixes
  // arriving late, and must not make a live fix look like it comes from the future.
  if (fix.ts - fix.receivedAt > Math.max(0, h.clockOffsetMs ?? 0) + h.futureToleranceMs) return FixFlag.FutureTs
  const last = h.lastReleased
  if (last !== null && fix.ts < last.ts) {
    // No history kept before the last release: judge plausibility against that fix instead.
    return FixFlag.TooLate | (impliedSpeedMps(fix, last) > h.maxSpeedMps ? FixFlag.ImpossibleSpeed : 0)
  }
  const pred = h.predecessor(fix.ts)
  if (pred === null || impliedSpeedMps(pred, fix) <= h.maxSpeedMps) return 0
  return closesChain(fix, h) ? 0 : FixFlag.ImpossibleSpeed
}
