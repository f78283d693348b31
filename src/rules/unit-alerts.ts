// Turns unit-rule edges (radius breach, zone exit, silence) into alert-book transitions with
// their subjects, unit/post/zone fields and summary sentences.
import type { AlertEvent } from './alert-event.js'
import type { Fix } from '../decode/fix.js'
import type { AlertBook, AlertFields } from './alert-book.js'
import type { PostSpec, ZoneSpec } from './deployment.js'
import type { RadiusEdge } from './radius-breach.js'
import { summaries, unitLabel } from './summary.js'
import type { UnitState } from './unit-state.js'
import type { ZoneExitEdge } from './zone-exit.js'
import { radiusSubject, unitSubject } from './subject.js'

function unitFields(u: UnitState): Pick<AlertFields, 'unitId' | 'unitName' | 'unitKind'> {
  return { unitId: u.id, unitName: u.name, unitKind: u.kind }
}

function position(f: Fix): NonNullable<AlertEvent['position']> {
  return { lat: f.lat, lon: f.lon, ts: f.ts, accuracy: f.accuracy, h3: f.h3 }
}

export function radiusTransition(book: AlertBook, u: UnitState, post: PostSpec, fix: Fix, e: RadiusEdge): AlertEvent | null {
  const label = unitLabel(u.id, u.name)
  const fields = { ...unitFields(u), postId: post.id, postName: post.name, position: position(fix), distanceM: e.distanceM, radiusM: post.radiusM }
  const subject = radiusSubject(u.id, post.id)
  return e.edge === 'opened'
    ? book.openAlert('radius_breach', subject, fix.ts, { ...fields, summary: summaries.radiusOpened(label, post.name, e.distanceM, post.radiusM, e.since) })
    : book.resolve('radius_breach', subject, fix.ts, { ...fields, summary: summaries.radiusResolved(label, post.name, e.distanceM, post.radiusM, e.since) })
}

export function zoneTransition(book: AlertBook, u: UnitState, zone: ZoneSpec, fix: Fix, e: ZoneExitEdge): AlertEvent | null {
  const label = unitLabel(u.id, u.name)
  const fields = { ...unitFields(u), zoneId: zone.id, zoneName: zone.name, position: position(fix), distanceM: e.distanceM }
  const subject = unitSubject(u.id)
  return e.edge === 'opened'
    ? book.openAlert('zone_exit', subject, fix.ts, { ...fields, summary: summaries.zoneOpened(label, zone.name, e.distanceM, e.since) })
    : book.resolve('zone_exit', subject, fix.ts, { ...fields, summary: summaries.zoneResolved(label, zone.name, e.since) })
}

export function silentOpened(book: AlertBook, u: UnitState, now: number, startedAt: number): AlertEvent | null {
  const f = u.latest
  return book.openAlert('unit_silent', unitSubject(u.id), now, {
    ...unitFields(u),
    ...(f === null ? {} : { position: position(f) }),
    lastFixAt: u.silent.lastTs,
    summary: summaries.silentOpened(unitLabel(u.id, u.name), u.silent.lastTs, now, startedAt),
  })
}

/** Resolution time: the fix time, but never before the alert opened (a delayed fix can be older). */
export function silentResolved(book: AlertBook, u: UnitState, fix: Fix, openedAt: number): AlertEvent | null {
  const at = Math.max(fix.ts, openedAt)
  return book.resolve('unit_silent', unitSubject(u.id), at, {
    ...unitFields(u),
    position: position(fix),
    lastFixAt: fix.ts,
    summary: summaries.silentResolved(unitLabel(u.id, u.name), fix.ts),
  })
}
