// The dwell/hysteresis state machine shared by radius-breach and zone-exit. Each fix is
// classified by the regions its accuracy circle touches: outside (beyond the boundary +
// hysteresis), the band (within hysteresis of the boundary), inside (within the boundary −
// hysteresis); see evidenceSide in radius-breach.ts. The state flips only on CONTINUOUS evidence:
// a run of fixes whose whole circle is on the opposite side, spanning at least dwell of fix time,
// with at least MIN_RUN_FIXES fixes and no gap between consecutive ones longer than the run's max
// gap. A fix whose circle cannot reach the opposite side (a clean fix in the band, or on the
// current side) breaks the run. A fix whose circle reaches the opposite side without lying wholly
// in it is inconclusive: it neither extends nor breaks the run (nor bridges a gap in it).
// Resolution is symmetric (the same rule the other way).
// Guarantee: noise that does not stay clearly on one side for dwell produces no transition, and
// isolated fixes (outliers, a few fixes far apart) never confirm anything.

/**
 * The regions a fix's accuracy circle touches, outward: 'out' and 'in' wholly on one side,
 * 'band' wholly within hysteresis of the boundary, 'band-out' / 'in-band' across one edge of the
 * band, 'any' across the whole band. A clean fix (accuracy 0) is only ever 'out', 'band' or 'in'.
 */
export type Side = 'out' | 'band-out' | 'band' | 'in-band' | 'in' | 'any'

/** True when a fix of `side` may lie wholly on `target` ('out' or 'in'). */
export function mayBe(side: Side, target: 'out' | 'in'): boolean {
  return side === target || side === 'any' || side === (target === 'out' ? 'band-out' : 'in-band')
}

export interface DwellState {
  /** True while the condition (breach, exit) is open. */
  active: boolean
  /** Fix time of the first fix of the current run on the opposite side, or null. */
  pendingSince: number | null
  /** Fixes in the current run. */
  pendingCount: number
  /** Fix time of the latest fix of the current run. */
  pendingLast: number | null
  /** When the current active spell began (first outside fix), for summaries. */
  activeSince: number | null
}

/** A run needs this many fixes however long it lasts (unless dwell is 0): two fixes are never "sustained". */
export const MIN_RUN_FIXES = 3

export interface DwellSettings {
  dwellMs: number
  /** Longest silence between two fixes of one run; longer starts the run again. */
  maxGapMs: number
}

export const initialDwell = (): DwellState => ({ active: false, pendingSince: null, pendingCount: 0, pendingLast: null, activeSince: null })

export type DwellEdge = 'opened' | 'resolved' | null

function reset(s: DwellState): void {
  // Most fixes find no run to break (a unit on its own side): nothing to write then.
  if (s.pendingSince === null && s.pendingCount === 0 && s.pendingLast === null) return
  s.pendingSince = null
  s.pendingCount = 0
  s.pendingLast = null
}

/** Feeds one fix (in fix-time order). Mutates `s` and returns the edge, if any. */
export function stepDwell(s: DwellState, side: Side, ts: number, cfg: DwellSettings): DwellEdge {
  const opposite = s.active ? 'in' : 'out'
  if (side !== opposite) {
    // Inconclusive: the unit may be on the opposite side, the fix cannot tell.
    if (!mayBe(side, opposite)) reset(s)
    return null
  }
  if (s.pendingSince === null || ts - (s.pendingLast as number) > cfg.maxGapMs) {
    s.pendingSince = ts
    s.pendingCount = 0
  }
  s.pendingCount++
  s.pendingLast = ts
  // dwell 0 is the operator asking for immediate edges: one fix is enough then.
  if (ts - s.pendingSince < cfg.dwellMs || (cfg.dwellMs > 0 && s.pendingCount < MIN_RUN_FIXES)) return null
  const since = s.pendingSince
  reset(s)
  s.active = !s.active
  s.activeSince = s.active ? since : null
  return s.active ? 'opened' : 'resolved'
}
