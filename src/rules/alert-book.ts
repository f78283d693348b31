// The alert lifecycle: at most one open alert per (kind, subject), opened → acknowledged
// (optional) → resolved, each transition emitted once as an AlertEvent with deterministic ids
// (alertId from kind, subject and opening time), so a replay produces byte-identical events.
import { createHash } from 'node:crypto'
import type { AlertEvent, AlertEventOf, AlertFieldsByKind, AlertKind, AlertState, ResolveReason } from './alert-event.js'
import { summaries, type AlertTexts } from './summary.js'

/** What a rule supplies for a transition of kind K; the book fills in ids, type, state and times. */
export type AlertFields<K extends AlertKind = AlertKind> = AlertFieldsByKind[K] & { summary: string; acknowledgedBy?: string; ackNote?: string; reason?: ResolveReason }

export interface AlertView {
  id: string
  kind: AlertKind
  subject: string
  state: AlertState
  openedAt: number
  acknowledgedAt?: number
  acknowledgedBy?: string
  /** The note left with the acknowledgement, if any. */
  ackNote?: string
  resolvedAt?: number
  /** The last event of this alert (its data as of the latest transition). */
  last: AlertEvent
}

export interface AlertBookJSON {
  version: 1
  open: AlertView[]
}

/** Resolved alerts kept for getAlert() lookups; the full history lives in ClickHouse. */
const RECENT_RESOLVED = 1000

export function alertIdOf(kind: string, subject: string, openedAt: number, attempt = 0): string {
  const seed = attempt === 0 ? `${kind}|${subject}|${openedAt}` : `${kind}|${subject}|${openedAt}|${attempt}`
  return `al_${createHash('sha256').update(seed).digest('hex').slice(0, 20)}`
}

const keyOf = (kind: string, subject: string) => `${kind}\u0000${subject}`

export class AlertBook {
  /** The summaries its transitions carry: the deployment's locale and time zone (English, UTC by default). */
  readonly texts: AlertTexts
  private readonly open = new Map<string, AlertView>()
  private readonly byId = new Map<string, AlertView>()
  private readonly resolved: string[] = []
  /** Bumped at every transition: the state store rewrites the open list only when it moved. */
  changes = 0

  constructor(texts: AlertTexts = summaries) {
    this.texts = texts
  }

  isOpen(kind: AlertKind, subject: string): boolean {
    return this.open.has(keyOf(kind, subject))
  }

  /** Opening time of the open alert for (kind, subject), or null. */
  openedAt(kind: AlertKind, subject: string): number | null {
    return this.open.get(keyOf(kind, subject))?.openedAt ?? null
  }

  /** Opens an alert; null when one is already open for (kind, subject). */
  openAlert<K extends AlertKind>(kind: K, subject: string, at: number, fields: AlertFields<K>): AlertEventOf<K> | null {
    const key = keyOf(kind, subject)
    if (this.open.has(key)) return null
    let id = alertIdOf(kind, subject, at)
    // Re-opened in the same millisecond it resolved: keep ids unique, still deterministic.
    for (let n = 1; this.byId.has(id); n++) id = alertIdOf(kind, subject, at, n)
    const ev = event(id, kind, 'opened', subject, at, at, fields)
    const view: AlertView = { id, kind, subject, state: 'opened', openedAt: at, last: ev }
    this.open.set(key, view)
    this.byId.set(id, view)
    this.changes++
    return ev as unknown as AlertEventOf<K>
  }

  /** Resolves the open alert for (kind, subject); null when none is open. */
  resolve<K extends AlertKind>(kind: K, subject: string, at: number, fields: AlertFields<K>): AlertEventOf<K> | null {
    const key = keyOf(kind, subject)
    const view = this.open.get(key)
    if (view === undefined) return null
    const ev = event(view.id, kind, 'resolved', subject, at, view.openedAt, fields)
    if (view.acknowledgedBy !== undefined) ev.acknowledgedBy = view.acknowledgedBy
    if (view.ackNote !== undefined) ev.ackNote = view.ackNote
    this.open.delete(key)
    view.state = 'resolved'
    view.resolvedAt = at
    view.last = ev
    this.resolved.push(view.id)
    this.changes++
    if (this.resolved.length > RECENT_RESOLVED) this.byId.delete(this.resolved.shift() as string)
    return ev as unknown as AlertEventOf<K>
  }

  /**
   * Resolves an open alert the rule can no longer decide (its unit, post or zone changed or went
   * away): the resolution carries the alert's last fields, `reason`, and the given summary.
   */
  resolveForReason(kind: AlertKind, subject: string, at: number, reason: ResolveReason, summary: string): AlertEvent | null {
    const view = this.open.get(keyOf(kind, subject))
    if (view === undefined) return null
    const { eventId: _e, alertId: _a, type: _t, kind: _k, state: _s, subject: _su, at: _at, openedAt: _o, summary: _sm, acknowledgedBy: _b, ackNote: _n, ...rest } = view.last
    return this.resolve(kind, subject, Math.max(at, view.openedAt), { ...(rest as AlertFields), reason, summary })
  }

  /** Acknowledges an open, not yet acknowledged alert, with the operator's note if any; null otherwise (so the event is emitted once). */
  acknowledge(alertId: string, by: string, now: number, note?: string): AlertEvent | null {
    const view = this.byId.get(alertId)
    if (view === undefined || view.state !== 'opened') return null
    const { eventId: _e, alertId: _a, type: _t, kind: _k, state: _s, subject: _su, at: _at, openedAt: _o, summary, ...rest } = view.last
    const ev = event(view.id, view.kind, 'acknowledged', view.subject, now, view.openedAt, {
      ...(rest as AlertFields),
      acknowledgedBy: by,
      ...(note === undefined ? {} : { ackNote: note }),
      summary: this.texts.acknowledged(summary, by),
    })
    view.state = 'acknowledged'
    view.acknowledgedAt = now
    view.acknowledgedBy = by
    if (note !== undefined) view.ackNote = note
    view.last = ev
    this.changes++
    return ev
  }

  get(alertId: string): AlertView | undefined {
    const v = this.byId.get(alertId)
    return v === undefined ? undefined : { ...v }
  }

  /** Open alerts (opened or acknowledged), oldest first. */
  list(): AlertView[] {
    return [...this.open.values()].map((v) => ({ ...v })).sort((a, b) => a.openedAt - b.openedAt || (a.id < b.id ? -1 : 1))
  }

  toJSON(): AlertBookJSON {
    return { version: 1, open: [...this.open.values()].map((v) => structuredClone(v)) }
  }

  static fromJSON(json: AlertBookJSON, texts: AlertTexts = summaries): AlertBook {
    if (json?.version !== 1 || !Array.isArray(json.open)) throw new Error('alert book state is malformed: expected { version: 1, open: [...] }')
    const book = new AlertBook(texts)
    for (const v of json.open) {
      const view = structuredClone(v)
      book.open.set(keyOf(view.kind, view.subject), view)
      book.byId.set(view.id, view)
    }
    return book
  }
}

function event(alertId: string, kind: AlertKind, state: AlertState, subject: string, at: number, openedAt: number, fields: AlertFields): AlertEvent {
  return { eventId: `${alertId}.${state}`, alertId, type: `${kind}.${state}`, kind, state, subject, at, openedAt, ...fields } as AlertEvent
}
