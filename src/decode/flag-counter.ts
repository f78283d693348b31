// hexpatrol_fixes_flagged_total{flag}: a stored fix's flags, counted once per fix by whoever
// applies it for the fleet — the single engine's ingestor, or in cluster mode the owner of the
// fix's partition (every engine applies every fix; only the owner counts it).
import type { Counter } from 'prom-client'
import { boundCounter } from '../telemetry/bound-counter.js'
import { FixFlag } from './fix.js'

/** Each counted flag bit and its label value. */
export const FLAG_LABELS: ReadonlyArray<readonly [number, string]> = [
  [FixFlag.ImpossibleSpeed, 'impossible_speed'],
  [FixFlag.Duplicate, 'duplicate'],
  [FixFlag.TooLate, 'too_late'],
  [FixFlag.FutureTs, 'future_ts'],
  [FixFlag.Mock, 'mock'],
]

/** Counts a fix's flags (a fix with several counts under each); 0 counts nothing. */
export function flagCounter(counter: Counter<'flag'>): (flags: number) => void {
  const bound = FLAG_LABELS.map(([bit, flag]) => [bit, boundCounter(counter, { flag })] as const)
  return (flags) => {
    if (flags === 0) return
    for (const [bit, c] of bound) if ((flags & bit) !== 0) c.inc()
  }
}
