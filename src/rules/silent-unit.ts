// Silent unit (configured units only): nothing ARRIVED from the unit for silent_after of engine
// clock time. Liveness is measured on arrival time, never on the device's clock, so a device
// whose clock runs behind (or ahead) is judged by when its fixes reach us; every fix that
// arrives counts, even one flagged impossible or too late, because the unit is reporting.
// A unit never seen is measured from when the engine first tracked it (kept across restarts).

export interface SilentState {
  /** Newest fix time (device clock) seen from the unit, or null: shown as lastFixAt. */
  lastTs: number | null
  /** Latest arrival of any fix from the unit (engine clock), or null. */
  lastSeenAt: number | null
  /** When the engine first tracked the unit (engine clock); silence of a never-seen unit counts from here. */
  since: number
  open: boolean
}

export const initialSilent = (since: number): SilentState => ({ lastTs: null, lastSeenAt: null, since, open: false })

const quietSince = (s: SilentState): number => s.lastSeenAt ?? s.since

/** True when the unit counts as silent at `now` (state, not edge). */
export function isSilentAt(s: SilentState, now: number, silentAfterMs: number): boolean {
  return s.open || now - quietSince(s) >= silentAfterMs
}

/** Tick: returns 'opened' when the unit just went silent. Mutates `s`. */
export function tickSilent(s: SilentState, now: number, silentAfterMs: number): 'opened' | null {
  if (s.open || now - quietSince(s) < silentAfterMs) return null
  s.open = true
  return 'opened'
}

/** A fix from the unit arrived at `now` (fix time `ts`). Resolves an open silence. Mutates `s`. */
export function observeSilent(s: SilentState, ts: number, now: number): 'resolved' | null {
  if (s.lastTs === null || ts > s.lastTs) s.lastTs = ts
  if (s.lastSeenAt === null || now > s.lastSeenAt) s.lastSeenAt = now
  if (!s.open) return null
  s.open = false
  return 'resolved'
}
