// An incident's live dispatch state: the units assigned to it (who, when, how far) and whether it
// is open or closed (with the outcome). Units on an open incident are committed: the resource
// search skips them like plan units. Pure and clocked: the service persists toJSON() and journals
// nothing here; a refusal is a DispatchError the API maps to 400 / 409.

export interface Assignment {
  unitId: string
  by: string
  at: number
  /** Straight-line distance to the scene when assigned, metres; null without a live position. */
  distanceM: number | null
  /** Estimated travel time when assigned, seconds; null without a live position. */
  etaS: number | null
  note: string
}

export interface DispatchState {
  incidentId: string
  status: 'open' | 'closed'
  assignments: Assignment[]
  outcome: string | null
  closedBy: string | null
  closedAt: number | null
}

export class DispatchError extends Error {
  constructor(readonly code: 'bad_request' | 'conflict', message: string) {
    super(message)
  }
}

/** A unit to assign, with its distance and ETA to the scene now (null: no live position). */
export interface AssignInput { unitId: string; distanceM: number | null; etaS: number | null }

/** Closed incidents are remembered this long after closing (then listed as open, with no assignments). */
export const KEEP_CLOSED_MS = 90 * 86_400_000

export const openState = (incidentId: string): DispatchState =>
  ({ incidentId, status: 'open', assignments: [], outcome: null, closedBy: null, closedAt: null })

export class DispatchBoard {
  private readonly byId = new Map<string, DispatchState>()

  /** The incident's state; open with no assignments when it never had any. */
  view(incidentId: string): DispatchState {
    return this.byId.get(incidentId) ?? openState(incidentId)
  }

  /** Units assigned to an open incident, with that incident's id. */
  committedUnits(): Map<string, string> {
    const out = new Map<string, string>()
    for (const s of this.byId.values()) if (s.status === 'open') for (const a of s.assignments) out.set(a.unitId, s.incidentId)
    return out
  }

  /** Open incidents with at least one assignment (what the map draws lines for). */
  active(): DispatchState[] {
    return [...this.byId.values()].filter((s) => s.status === 'open' && s.assignments.length > 0)
  }

  /**
   * Assigns units (in the order given, each once); those already on this incident are kept as they
   * were. Refuses the whole call: an unregistered unit or an empty list (bad_request), a closed
   * incident or a unit on another open incident (conflict). `added` may be empty.
   */
  assign(incidentId: string, units: readonly AssignInput[], o: { by: string; note: string; known: (unitId: string) => boolean }, now: number): { state: DispatchState; added: Assignment[] } {
    if (units.length === 0) throw new DispatchError('bad_request', 'units: name at least one unit id')
    const unknown = units.filter((u) => !o.known(u.unitId)).map((u) => u.unitId)
    if (unknown.length > 0) throw new DispatchError('bad_request', `units: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not registered (units[] in the configuration)`)
    const cur = this.view(incidentId)
    if (cur.status === 'closed') throw new DispatchError('conflict', `incident ${incidentId} is closed; record a new incident instead`)
    const committed = this.committedUnits()
    for (const u of units) {
      const other = committed.get(u.unitId)
      if (other !== undefined && other !== incidentId) throw new DispatchError('conflict', `unit ${u.unitId} is assigned to open incident ${other}; close it first or pick another unit`)
    }
    const have = new Set(cur.assignments.map((a) => a.unitId))
    const added: Assignment[] = []
    for (const u of units) {
      if (have.has(u.unitId)) continue
      have.add(u.unitId)
      added.push({ unitId: u.unitId, by: o.by, at: now, distanceM: u.distanceM, etaS: u.etaS, note: o.note })
    }
    if (added.length === 0) return { state: cur, added }
    const state = { ...cur, assignments: [...cur.assignments, ...added] }
    this.byId.set(incidentId, state)
    return { state, added }
  }

  /** Closes an open incident with its outcome; a closed one is a conflict. Its units are free again. */
  close(incidentId: string, outcome: string, by: string, now: number): DispatchState {
    if (outcome.trim() === '') throw new DispatchError('bad_request', 'outcome: say how the incident ended')
    const cur = this.view(incidentId)
    if (cur.status === 'closed') throw new DispatchError('conflict', `incident ${incidentId} was closed by ${String(cur.closedBy)} already`)
    const state: DispatchState = { ...cur, status: 'closed', outcome, closedBy: by, closedAt: now }
    this.byId.set(incidentId, state)
    return state
  }

  /** Forgets incidents closed before `now - keepMs` (the state file stays bounded). */
  prune(now: number, keepMs: number = KEEP_CLOSED_MS): void {
    for (const [id, s] of this.byId) if (s.closedAt !== null && s.closedAt < now - keepMs) this.byId.delete(id)
  }

  toJSON(): DispatchState[] {
    return [...this.byId.values()]
  }

  /** Restores toJSON(); malformed entries are skipped. */
  restore(json: unknown): void {
    this.byId.clear()
    if (!Array.isArray(json)) return
    for (const s of json) if (isState(s)) this.byId.set(s.incidentId, s)
  }
}

const str = (v: unknown): v is string => typeof v === 'string'
const numOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v))
const strOrNull = (v: unknown) => v === null || typeof v === 'string'

function isAssignment(v: unknown): v is Assignment {
  const a = v as Record<string, unknown> | null
  return typeof a === 'object' && a !== null && str(a.unitId) && str(a.by) && typeof a.at === 'number' && numOrNull(a.distanceM) && numOrNull(a.etaS) && str(a.note)
}

function isState(v: unknown): v is DispatchState {
  const s = v as Record<string, unknown> | null
  return typeof s === 'object' && s !== null && str(s.incidentId) && (s.status === 'open' || s.status === 'closed') &&
    Array.isArray(s.assignments) && s.assignments.every(isAssignment) && strOrNull(s.outcome) && strOrNull(s.closedBy) && numOrNull(s.closedAt)
}
