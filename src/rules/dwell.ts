// The dwell/hysteresis state machine shared by radius-breach and zone-exit: a fix is classified
// outside, inside or in the band between, and the state flips only after dwell of FIX time.
// Guarantee: jitter that never stays on one side for dwell produces no transition at all.

export type Side = 'out' | 'in' | 'band'

export interface DwellState {
  /** True while the condition (breach, exit) is open. */
  active: boolean
  /** Fix time of the first fix of the current run on the opposite side, or null. */
  pendingSince: number | null
  /** When the current active spell began (first outside fix), for summaries. */
  activeSince: number | null
}

export const initialDwell = (): DwellState => ({ active: false, pendingSince: null, activeSince: null })

export type DwellEdge = 'opened' | 'resolved' | null

/**
 * Feeds one counted fix (already in fix-time order). Band choice: a fix in the band neither
 * starts, resets nor confirms a pending run; only a fix on the opposite side can confirm, and
 * only a fix on the current side resets. So a unit sitting in the band keeps its state.
 * Mutates `s` and returns the edge, if any.
 */
export function stepDwell(s: DwellState, side: Side, ts: number, dwellMs: number): DwellEdge {
  if (side === 'band') return null
  const opposite: Side = s.active ? 'in' : 'out'
  if (side !== opposite) {
    s.pendingSince = null
    return null
  }
  if (s.pendingSince === null) s.pendingSince = ts
  if (ts - s.pendingSince < dwellMs) return null
  const since = s.pendingSince
  s.pendingSince = null
  s.active = !s.active
  s.activeSince = s.active ? since : null
  return s.active ? 'opened' : 'resolved'
}
