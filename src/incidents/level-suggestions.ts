// Open patrol level suggestions (patrol_level.suggested) as state, so a dispatcher can list them
// and accept or dismiss each once: at most one open per zone (a newer one supersedes it), closed
// when accepted, dismissed, or when the zone's level already reached the suggested one. Recently
// closed ones are remembered (bounded) so a second click is told "already closed", not "unknown".
// Pure and clocked; the service persists toJSON() and carries it in cluster mode's snapshot.

export interface LevelSuggestion {
  /** The patrol_level.suggested event's id. */
  id: string
  zoneId: string
  from: string
  to: string
  /** Incidents in the zone within the window when it was suggested. */
  incidents: number
  windowMs: number
  at: number
}

export type SuggestionStatus = 'accepted' | 'dismissed' | 'superseded' | 'reached'

export interface ClosedSuggestion extends LevelSuggestion {
  status: SuggestionStatus
  closedAt: number
  /** Who closed it (the engine itself for superseded/reached). */
  closedBy: string
  reason: string | null
}

export class SuggestionError extends Error {
  constructor(readonly code: 'not_found' | 'closed', message: string) {
    super(message)
  }
}

/** Closed suggestions remembered for the answer to a late click. */
const CLOSED_KEPT = 200

const str = (v: unknown): v is string => typeof v === 'string'
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

function isSuggestion(v: unknown): v is LevelSuggestion {
  const s = v as Record<string, unknown> | null
  return typeof s === 'object' && s !== null && str(s.id) && str(s.zoneId) && str(s.from) && str(s.to) && num(s.incidents) && num(s.windowMs) && num(s.at)
}

/** Only the suggestion's own fields (a restored or decoded one may carry more). */
function pick(s: LevelSuggestion): LevelSuggestion {
  return { id: s.id, zoneId: s.zoneId, from: s.from, to: s.to, incidents: s.incidents, windowMs: s.windowMs, at: s.at }
}

const STATUSES = new Set<unknown>(['accepted', 'dismissed', 'superseded', 'reached'])

export class LevelSuggestions {
  /** zone → its open suggestion. */
  private readonly open = new Map<string, LevelSuggestion>()
  /** id → closed suggestion, oldest first (insertion order), at most CLOSED_KEPT. */
  private readonly closed = new Map<string, ClosedSuggestion>()

  /** Opens a suggestion; returns the one it superseded (closed), if any. */
  add(s: LevelSuggestion): ClosedSuggestion | null {
    const prev = this.open.get(s.zoneId)
    this.open.set(s.zoneId, pick(s))
    if (prev === undefined || prev.id === s.id) return null
    return this.close(prev, 'superseded', 'hexpatrol', null, s.at)
  }

  list(): LevelSuggestion[] {
    return [...this.open.values()].sort((a, b) => a.at - b.at || a.zoneId.localeCompare(b.zoneId))
  }

  /** The open suggestion with this id; SuggestionError when unknown or already closed. */
  get(id: string): LevelSuggestion {
    for (const s of this.open.values()) if (s.id === id) return s
    const c = this.closed.get(id)
    if (c !== undefined) throw new SuggestionError('closed', `suggestion ${id} is already closed (${c.status} by ${c.closedBy})`)
    throw new SuggestionError('not_found', `no suggestion ${id}`)
  }

  /** Closes an open suggestion as accepted or dismissed (get() first: it throws what this would). */
  resolve(id: string, status: 'accepted' | 'dismissed', by: string, reason: string | null, now: number): ClosedSuggestion {
    return this.close(this.get(id), status, by, reason, now)
  }

  /** Closes every open suggestion whose zone is at or above the suggested level (`reached(s)`). */
  settle(reached: (s: LevelSuggestion) => boolean, now: number): ClosedSuggestion[] {
    return [...this.open.values()].filter(reached).map((s) => this.close(s, 'reached', 'hexpatrol', null, now))
  }

  private close(s: LevelSuggestion, status: SuggestionStatus, by: string, reason: string | null, now: number): ClosedSuggestion {
    if (this.open.get(s.zoneId)?.id === s.id) this.open.delete(s.zoneId)
    const c: ClosedSuggestion = { ...pick(s), status, closedAt: now, closedBy: by, reason }
    this.closed.delete(s.id)
    this.closed.set(s.id, c)
    while (this.closed.size > CLOSED_KEPT) this.closed.delete(this.closed.keys().next().value as string)
    return c
  }

  toJSON(): { version: 1; open: LevelSuggestion[]; closed: ClosedSuggestion[] } {
    return { version: 1, open: this.list(), closed: [...this.closed.values()] }
  }

  /** Replaces the state with a toJSON() of it; unreadable entries and zones `keep` refuses are dropped. */
  restore(json: unknown, keep: (s: LevelSuggestion) => boolean = () => true): void {
    this.open.clear()
    this.closed.clear()
    const j = json as { version?: unknown; open?: unknown; closed?: unknown } | null
    if (typeof j !== 'object' || j === null || j.version !== 1) return
    if (Array.isArray(j.closed)) {
      for (const c of j.closed as unknown[]) {
        const x = c as Record<string, unknown>
        if (!isSuggestion(c) || !STATUSES.has(x.status) || !num(x.closedAt) || !str(x.closedBy)) continue
        this.closed.set(c.id, { ...pick(c), status: x.status as SuggestionStatus, closedAt: x.closedAt, closedBy: x.closedBy, reason: str(x.reason) ? x.reason : null })
      }
    }
    if (Array.isArray(j.open)) for (const s of j.open as unknown[]) if (isSuggestion(s) && keep(s) && !this.closed.has(s.id)) this.open.set(s.zoneId, pick(s))
  }
}
