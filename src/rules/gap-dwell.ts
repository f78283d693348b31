// Dwell with hysteresis for the zone-wide rules evaluated on tick (coverage_gap, response_gap):
// a gap opens only when it held at every tick for dwell, and resolves only when the zone was
// clearly fine (ratio at or above min_ratio + hysteresis) at every tick for dwell. A tick in
// between (the band) breaks either run, so a ratio hovering around min_ratio changes nothing.

export type GapCondition = 'gap' | 'band' | 'fine'

export interface GapDwellState {
  /** Clock time the current run (towards the other state) began, or null. */
  pendingSince: number | null
}

export const initialGapDwell = (): GapDwellState => ({ pendingSince: null })

/** Classifies a ratio against min_ratio with hysteresis above it (capped at 1). */
export function gapCondition(ratio: number, minRatio: number, hysteresis: number, extraGap = false): GapCondition {
  if (extraGap || ratio < minRatio) return 'gap'
  return ratio >= Math.min(1, minRatio + hysteresis) ? 'fine' : 'band'
}

/** One tick. `open`: whether the alert is open now. Returns the edge to apply, if any. Mutates `s`. */
export function stepGapDwell(s: GapDwellState, open: boolean, cond: GapCondition, now: number, dwellMs: number): 'open' | 'resolve' | null {
  const towards: GapCondition = open ? 'fine' : 'gap'
  if (cond !== towards) {
    s.pendingSince = null
    return null
  }
  s.pendingSince ??= now
  if (now - s.pendingSince < dwellMs) return null
  s.pendingSince = null
  return open ? 'resolve' : 'open'
}
