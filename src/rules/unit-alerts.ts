// Turns unit-rule edges (radius breach, zone exit, silence) into alert-book transitions with
// their subjects, unit/post/zone fields and summary sentences. Subjects name what the alert is
// about: the post for a breach and the zone for an exit, so an alert computed against an old
// post or zone never blocks one against the new.
import type { AlertEvent, AlertPosition, SosVia } from './alert-event.js'
import type { Fix } from '../decode/fix.js'
import type { AlertBook } from './alert-book.js'
import type { PostSpec, ZoneSpec } from './deployment.js'
import type { RadiusEdge } from './radius-breach.js'
import type { UnitState } from './unit-state.js'
import type { ZoneExitEdge } from './zone-exit.js'
import { radiusSubject, unitSubject, zoneExitSubject } from './subject.js'

export { radiusSubject, unitSubject, zoneExitSubject }

function unitFields(u: UnitState): { unitId: string; unitName: string; unitKind: string } {
  return { unitId: u.id, unitName: u.name, unitKind: u.kind }
}

function position(f: Fix): AlertPosition {
  return { lat: f.lat, lon: f.lon, ts: f.ts, accuracy: f.accuracy, h3: f.h3 }
}

export function radiusTransition(book: AlertBook, u: UnitState, post: PostSpec, fix: Fix, e: RadiusEdge): AlertEvent | null {
  const label = book.texts.unitLabel(u.id, u.name)
  const fields = { ...unitFields(u), postId: post.id, postName: post.name, position: position(fix), distanceM: e.distanceM, radiusM: post.radiusM }
  const subject = radiusSubject(u.id, post.id)
  return e.edge === 'opened'
    ? book.openAlert('radius_breach', subject, fix.ts, { ...fields, summary: book.texts.radiusOpened(label, post.name, e.distanceM, post.radiusM, e.since) })
    : book.resolve('radius_breach', subject, fix.ts, { ...fields, summary: book.texts.radiusResolved(label, post.name, e.distanceM, post.radiusM, e.since) })
}

export function zoneTransition(book: AlertBook, u: UnitState, zone: ZoneSpec, fix: Fix, e: ZoneExitEdge): AlertEvent | null {
  const label = book.texts.unitLabel(u.id, u.name)
  const fields = { ...unitFields(u), zoneId: zone.id, zoneName: zone.name, position: position(fix), distanceM: e.distanceM }
  const subject = zoneExitSubject(u.id, zone.id)
  return e.edge === 'opened'
    ? book.openAlert('zone_exit', subject, fix.ts, { ...fields, summary: book.texts.zoneOpened(label, zone.name, e.distanceM, e.since) })
    : book.resolve('zone_exit', subject, fix.ts, { ...fields, summary: book.texts.zoneResolved(label, zone.name, e.since) })
}

/** An SOS opens at once (no dwell); a repeat while it is open changes nothing. */
export function sosOpened(book: AlertBook, u: UnitState, at: number, via: SosVia, pos: AlertPosition | null): AlertEvent | null {
  return book.openAlert('unit_sos', unitSubject(u.id), at, {
    ...unitFields(u), via, ...(pos === null ? {} : { position: pos }), summary: book.texts.sosOpened(book.texts.unitLabel(u.id, u.name), via, at),
  })
}

export function silentOpened(book: AlertBook, u: UnitState, now: number): AlertEvent | null {
  const f = u.latest
  return book.openAlert('unit_silent', unitSubject(u.id), now, {
    ...unitFields(u),
    ...(f === null ? {} : { position: position(f) }),
    lastFixAt: u.silent.lastTs,
    summary: book.texts.silentOpened(book.texts.unitLabel(u.id, u.name), u.silent.lastSeenAt, now, u.silent.since),
  })
}

/** Resolved at the arrival of the fix (engine clock), never before the alert opened. */
export function silentResolved(book: AlertBook, u: UnitState, fix: Fix, now: number, openedAt: number): AlertEvent | null {
  return book.resolve('unit_silent', unitSubject(u.id), Math.max(now, openedAt), {
    ...unitFields(u),
    position: position(fix),
    lastFixAt: u.silent.lastTs,
    summary: book.texts.silentResolved(book.texts.unitLabel(u.id, u.name), now),
  })
}
