// A missed checkpoint is an alert: `checkpoint_missed`, subject `plan:<planId>/checkpoint:<index>`,
// kept in the rule engine's alert book (RuleEngine.openExternal) so it is listed, acknowledged,
// persisted and delivered like the rules' alerts. Opened when the plan board reports the miss,
// resolved when the checkpoint is manned after all or the plan stands down. Pure: the book's
// transitions are returned for the caller to journal and deliver; every engine of a cluster
// computes the same ones (the ids derive from kind, subject and the tick's clock).
import type { AlertFields } from '../rules/alert-book.js'
import type { AlertEvent, CheckpointMissedFields } from '../rules/alert-event.js'
import type { RuleEngine } from '../rules/engine.js'
import { checkpointSubject } from '../rules/subject.js'
import type { OutboundEvent } from '../delivery/outbound-event.js'
import type { Activation, CheckpointState, PlanBoard } from './plans.js'

const KIND = 'checkpoint_missed'

/** The part of the rule engine the checkpoint alerts use. */
export type CheckpointAlertBook = Pick<RuleEngine, 'openExternal' | 'resolveExternal' | 'openExternalAlerts' | 'alertTexts'>

function base(a: Activation, c: CheckpointState): Omit<CheckpointMissedFields, 'reachedBy' | 'reachedAt' | 'deactivatedBy'> {
  return {
    planId: a.planId,
    planName: a.planName,
    activationId: a.activationId,
    incidentId: a.incidentId,
    checkpoint: { index: c.index, name: c.name, lat: c.lat, lon: c.lon, radiusM: c.radiusM, deadline: c.deadline },
    responsible: [...c.units],
  }
}

function opened(book: CheckpointAlertBook, a: Activation, c: CheckpointState, at: number): AlertEvent | null {
  const summary = book.alertTexts.checkpointMissed(c.name, a.planName, c.deadline, c.units)
  return book.openExternal(KIND, checkpointSubject(a.planId, c.index), at, { ...base(a, c), summary })
}

function manned(book: CheckpointAlertBook, a: Activation, c: CheckpointState, at: number): AlertEvent | null {
  const by = c.reachedBy ?? '?'
  const reachedAt = c.reachedAt ?? at
  const fields: AlertFields<typeof KIND> = { ...base(a, c), reachedBy: by, reachedAt, summary: book.alertTexts.checkpointManned(c.name, a.planName, by, reachedAt) }
  return book.resolveExternal(KIND, checkpointSubject(a.planId, c.index), at, fields)
}

const push = (out: AlertEvent[], e: AlertEvent | null): void => { if (e !== null) out.push(e) }

/**
 * What a board tick's events open (checkpoint.missed) and resolve (a late checkpoint.reached).
 * A checkpoint.missed event gets the id of the alert it opened (`data.alertId`), so receivers of
 * the plain event can follow the alert; call it before the events are journaled.
 */
export function checkpointAlertsOfTick(book: CheckpointAlertBook, board: PlanBoard, events: readonly OutboundEvent[]): AlertEvent[] {
  const out: AlertEvent[] = []
  for (const e of events) {
    if (e.type !== 'checkpoint.missed' && e.type !== 'checkpoint.reached') continue
    const a = board.get(String(e.data.planId))
    const index = (e.data.checkpoint as { index?: unknown } | undefined)?.index
    const c = typeof index === 'number' ? a?.checkpoints[index] : undefined
    if (a === undefined || c === undefined || a.activationId !== e.data.activationId) continue
    if (e.type === 'checkpoint.missed') {
      const ev = opened(book, a, c, e.at)
      if (ev !== null) e.data.alertId = ev.alertId
      push(out, ev)
    }
    else if (e.data.late === true) push(out, manned(book, a, c, e.at))
  }
  return out
}

/** A plan stood down: its checkpoints' open alerts resolve (reason plan_deactivated). */
export function checkpointAlertsOfDeactivation(book: CheckpointAlertBook, a: Activation, by: string, now: number): AlertEvent[] {
  const out: AlertEvent[] = []
  for (const c of a.checkpoints) {
    const summary = book.alertTexts.checkpointStoodDown(c.name, a.planName, by)
    push(out, book.resolveExternal(KIND, checkpointSubject(a.planId, c.index), now, { ...base(a, c), deactivatedBy: by, reason: 'plan_deactivated', summary }))
  }
  return out
}

/**
 * After a restart (single engine): the book and the plans are saved apart, so a crash between the
 * two can leave them disagreeing. A missed checkpoint without its alert opens it (at the time of
 * the miss); an alert whose checkpoint was manned resolves as manned; one whose activation is gone
 * (stood down, or the plan left the configuration) resolves with reason config_changed.
 */
export function reconcileCheckpointAlerts(book: CheckpointAlertBook, board: PlanBoard, now: number): AlertEvent[] {
  const out: AlertEvent[] = []
  const active = new Set(board.list().map((a) => a.activationId))
  for (const v of book.openExternalAlerts(KIND)) {
    if (active.has(String(v.last.activationId))) continue
    const { eventId: _e, alertId: _a, type: _t, kind: _k, state: _s, subject: _su, at: _at, openedAt: _o, summary, acknowledgedBy: _b, ackNote: _n, ...rest } = v.last
    push(out, book.resolveExternal(KIND, v.subject, now, { ...(rest as CheckpointMissedFields), reason: 'config_changed', summary: book.alertTexts.configChanged(summary) }))
  }
  const open = new Set(book.openExternalAlerts(KIND).map((v) => v.subject))
  for (const a of board.list()) {
    for (const c of a.checkpoints) {
      const subject = checkpointSubject(a.planId, c.index)
      if (c.state === 'missed' && !open.has(subject)) push(out, opened(book, a, c, c.missedAt ?? now))
      else if (c.state === 'reached' && open.has(subject)) push(out, manned(book, a, c, now))
    }
  }
  return out
}
