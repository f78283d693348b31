// What the integrity detectors say: a signal is a fact about one unit over a stretch of fix time,
// with the numbers that back it (evidence), never a verdict. The map and the bulletin show it;
// a supervisor decides. Each detector is fed one unit's fixes in fix-time order (any units
// interleaved), keeps bounded state per unit, and answers with the signals that closed.
import { FixFlag, type Fix } from '../decode/fix.js'

export type IntegrityKind = 'mock_location' | 'vehicle_speed' | 'frozen_position' | 'replayed_track' | 'stationary_share' | 'device_disagreement'

/** Every kind, in the order the map and the bulletin list them. */
export const INTEGRITY_KINDS: readonly IntegrityKind[] = ['mock_location', 'vehicle_speed', 'frozen_position', 'replayed_track', 'stationary_share', 'device_disagreement']

export interface IntegritySignal {
  unitId: string
  kind: IntegrityKind
  /** Fix time of the first fix of the stretch, epoch ms. */
  from: number
  /** Fix time of the last fix of the stretch, epoch ms. */
  to: number
  /** Another unit the evidence names (vehicle_speed: the vehicle the foot unit travelled with; device_disagreement: the paired terminal). */
  relatedUnitId?: string
  /** The figures behind the signal; names carry their unit (`…Minutes`, `…M`, `…Kmh`, `…Share`). */
  evidence: Record<string, number>
}

export interface IntegrityDetector {
  /** Takes the next fix (fix-time order per unit; older ones are ignored); returns the signals it closed. */
  observe(fix: Fix): IntegritySignal[]
  /** Closes every open stretch (end of a day, shutdown, end of a replay) and returns their signals. */
  flush(): IntegritySignal[]
}

const QUALITY = FixFlag.ImpossibleSpeed | FixFlag.Duplicate | FixFlag.TooLate | FixFlag.FutureTs

/** A fix a detector reads geometry from: no quality flag (a mocked fix is still a position the device sent) and not (0, 0). */
export function usable(fix: Fix): boolean {
  return (fix.flags & QUALITY) === 0 && (fix.lat !== 0 || fix.lon !== 0)
}

/** Fix time → minutes, rounded to 0.1 for evidence. */
export const minutes = (ms: number): number => Math.round(ms / 6000) / 10

/** A figure rounded to one decimal for evidence. */
export const round1 = (x: number): number => Math.round(x * 10) / 10
