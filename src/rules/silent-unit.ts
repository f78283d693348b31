// Silent unit: no fix for silent_after of clock time since the last fix's time (or since the
// engine started, for a configured unit never seen). Evaluated on tick; a fresh fix resolves it.

export interface SilentState {
  /** Latest fix time seen from the unit (unflagged fixes only), or null. */
  lastTs: number | null
  open: boolean
}

export const initialSilent = (): SilentState => ({ lastTs: null, open: false })

/** True when the unit counts as silent at `now` (state, not edge). */
export function isSilentAt(s: SilentState, now: number, silentAfterMs: number, startedAt: number): boolean {
  return s.open || now - (s.lastTs ?? startedAt) >= silentAfterMs
}

/** Tick: returns 'opened' when the unit just went silent. Mutates `s`. */
export function tickSilent(s: SilentState, now: number, silentAfterMs: number, startedAt: number): 'opened' | null {
  if (s.open || now - (s.lastTs ?? startedAt) < silentAfterMs) return null
  s.open = true
  return 'opened'
}

/**
 * A fix from the unit. It resolves an open silence only if it is itself fresh at `now`; an old
 * fix from a flushed buffer would otherwise resolve and re-open the alert on the next tick.
 */
export function observeSilent(s: SilentState, ts: number, now: number, silentAfterMs: number): 'resolved' | null {
  if (s.lastTs === null || ts > s.lastTs) s.lastTs = ts
  if (!s.open || now - s.lastTs >= silentAfterMs) return null
  s.open = false
  return 'resolved'
}
