// The dwell/hysteresis state machine shared by radius-breach and zone-exit. Each counted fix is
// classified as evidence outside, inside, or in the band between (see evidence margins in
// radius-breach.ts). The state flips only on CONTINUOUS evidence: a run of fixes all on the
// opposite side, spanning at least dwell of fix time, with at least MIN_RUN_FIXES fixes and no
// gap between consecutive ones longer than the run's max gap. A band fix or a fix on the current
// side breaks the run. Resolution is symmetric (the same rule the other way).
// Guarantee: noise that does not stay clearly on one side for dwell produces no transition, and
// isolated fixes (outliers, a few fixes far apart) never confirm anything.

export type Side = 'out' | 'in' | 'band'

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
  s.pendingSince = null
  s.pendingCount = 0
  s.pendingLast = null
}

/** Feeds one counted fix (in fix-time order). Mutates `s` and returns the edge, if any. */
export function stepDwell(s: DwellState, side: Side, ts: number, cfg: DwellSettings): DwellEdge {
  const opposite: Side = s.active ? 'in' : 'out'
  if (side !== opposite) {
    reset(s)
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
