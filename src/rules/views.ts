// Read-only views of the engine's state for the API: units, zones, alerts. Plain JSON objects.
import type { StaleCell } from './alert-event.js'
import { haversineM } from '../geo/distance.js'
import type { Deployment } from './deployment.js'
import { isSilentAt } from './silent-unit.js'
import type { UnitState } from './unit-state.js'

export type { AlertView } from './alert-book.js'

export interface UnitView {
  id: string
  name: string
  kind: string
  /** False for units that report but are not in the config. */
  known: boolean
  post: string | null
  zone: string | null
  lastFix: { lat: number; lon: number; ts: number; receivedAt: number; speed: number | null; heading: number | null; accuracy: number | null; battery: number | null; h3: string } | null
  /** When the engine last received anything from the unit (engine clock), or null. */
  lastSeenAt: number | null
  /** Estimated device clock offset, ms (device − engine; positive: the device clock runs ahead), or null. */
  clockOffsetMs: number | null
  silent: boolean
  inBreach: boolean
  outsideZone: boolean
  distanceFromPostM: number | null
}

export interface ZoneView {
  id: string
  name: string
  cellCount: number
  /** Fresh share of the zone's cells, 0..1. */
  ratio: number
  fresh: number
  minRatio: number
  inGrace: boolean
  /** Share of cells within the response radius of a live unit at the last tick; null without response_radius_m or before the first tick. */
  responseRatio: number | null
  openGap: boolean
  openResponseGap: boolean
}

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
