// Read-only views of the engine's state for the API: units, zones, alerts. Plain JSON objects,
// shaped by the wire schemas (src/wire/views.ts), which the API validates them against.
import type { StaleCell } from './alert-event.js'
import { haversineM } from '../geo/distance.js'
import type { Deployment } from './deployment.js'
import { isSilentAt } from './silent-unit.js'
import type { UnitState } from './unit-state.js'
import type { UnitView, ZoneView } from '../wire/views.js'

export type { AlertView } from './alert-book.js'
export type { UnitView, ZoneView }

export interface ZoneCoverageView {
  zone: ZoneView
  staleCells: StaleCell[]
}

export function unitView(dep: Deployment, u: UnitState, now: number): UnitView {
  const f = u.latest
  const post = u.spec?.postId == null ? undefined : dep.posts.get(u.spec.postId)
  return {
    id: u.id,
    name: u.name,
    callsign: u.spec?.callsign ?? null,
    ...(u.spec?.nameEn === undefined ? {} : { nameEn: u.spec.nameEn }),
    kind: u.kind,
    known: u.spec !== null,
    post: u.spec?.postId ?? null,
    zone: u.spec?.zoneId ?? null,
    lastFix: f === null ? null : { lat: f.lat, lon: f.lon, ts: f.ts, receivedAt: f.receivedAt, speed: f.speed, heading: f.heading, accuracy: f.accuracy, battery: f.battery, h3: f.h3 },
    lastSeenAt: u.silent.lastSeenAt,
    clockOffsetMs: u.clockOffsetMs,
    silent: isSilentAt(u.silent, now, u.liveness),
    inBreach: u.radius?.active ?? false,
    outsideZone: u.zone?.active ?? false,
    distanceFromPostM: f === null || post === undefined ? null : haversineM(post.lat, post.lon, f.lat, f.lon),
  }
}
