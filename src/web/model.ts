// The page's data model and the pure functions over it: normalising what the API sends (a unit
// as JSON or as a GeoJSON feature), a unit's status, and the colour of a cell by time since visit.
import { localName } from './i18n.js'
import type { LastFixView, UnitView } from '../wire/views.js'

export type UnitStatus = 'moving' | 'stationary' | 'silent' | 'breach' | 'nofix'
export type KindIcon = 'vehicle' | 'officer' | 'armoured' | 'motorcycle' | 'other'

type OrNull<T> = { [K in keyof T]: T[K] | null }

/**
 * A unit as the page holds it: the wire fields it shows (src/wire/views.ts, the API's own schema),
 * with its last fix flattened (null before the first fix, or from a feature without one).
 */
export type Unit = Pick<UnitView, 'id' | 'name' | 'callsign' | 'kind' | 'post' | 'zone' | 'silent' | 'inBreach' | 'outsideZone' | 'distanceFromPostM'> &
  OrNull<Pick<LastFixView, 'lat' | 'lon' | 'ts' | 'speed' | 'accuracy' | 'battery'>>

export interface Alert {
  id: string
  kind: string
  state: string
  subject: string
  openedAt: number
  at: number
  unitId: string | null
  zoneId: string | null
  position: { lat: number; lon: number } | null
  summary: string
  acknowledgedBy: string | null
  /** The note left with the acknowledgement, if any. */
  ackNote: string | null
  /** The transition's structured fields (unitName, postName, distanceM, ratio, …): the page words the alert from them. */
  details: Obj
}

export interface Cell {
  id: string
  zone: string
  lastVisit: number | null
  priority: boolean
  maxIntervalMs: number
  ring: Array<[number, number]>
}

export interface ZoneInfo {
  id: string
  name: string
  ratio: number | null
  responseRatio: number | null
  minRatio: number | null
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)

/** A unit from `GET /units`, the stream, or a feature of `units.geojson`. */
export function toUnit(raw: unknown): Unit | null {
  if (!isObj(raw)) return null
  let p: Obj = raw
  let coords: unknown = null
  if (raw.type === 'Feature') {
    p = isObj(raw.properties) ? raw.properties : {}
    coords = isObj(raw.geometry) ? raw.geometry.coordinates : null
  }
  const id = str(p.id) ?? str(p.unitId) ?? (raw.type === 'Feature' ? str(raw.id) : null)
  if (id === null) return null
  const fix = isObj(p.lastFix) ? p.lastFix : p
  let lat = num(fix.lat)
  let lon = num(fix.lon)
  if (Array.isArray(coords) && coords.length >= 2) {
    lon = num(coords[0])
    lat = num(coords[1])
  }
  const status = str(p.status)
  return {
    id,
    name: localName(str(p.name) ?? id, p.nameEn),
    callsign: str(p.callsign),
    kind: str(p.kind) ?? 'vehicle',
    post: str(p.post) ?? str(p.postId),
    zone: str(p.zone) ?? str(p.zoneId),
    lat,
    lon,
    ts: num(fix.ts) ?? num(p.lastFixAt) ?? num(p.ts),
    speed: num(fix.speed),
    accuracy: num(fix.accuracy),
    battery: num(fix.battery) ?? num(p.battery),
    silent: p.silent === true || status === 'silent',
    inBreach: p.inBreach === true || status === 'breach' || status === 'in_breach',
    outsideZone: p.outsideZone === true,
    distanceFromPostM: num(p.distanceFromPostM),
  }
}

/** An alert as the alert list, the stream (an AlertEvent) or an alert view (`{ id, last }`) gives it. */
export function toAlert(raw: unknown): Alert | null {
  if (!isObj(raw)) return null
  const last = isObj(raw.last) ? raw.last : raw
  const id = str(raw.alertId) ?? str(raw.id) ?? str(last.alertId)
  const kind = str(raw.kind) ?? str(last.kind)
  if (id === null || kind === null) return null
  // A checkpoint_missed alert has no fix: it points at its checkpoint.
  const pos = isObj(last.position) ? last.position : isObj(last.checkpoint) ? last.checkpoint : null
  const lat = pos === null ? null : num(pos.lat)
  const lon = pos === null ? null : num(pos.lon)
  return {
    id,
    kind,
    state: str(raw.state) ?? str(last.state) ?? 'opened',
    subject: str(raw.subject) ?? str(last.subject) ?? '',
    openedAt: num(raw.openedAt) ?? num(last.openedAt) ?? 0,
    at: num(last.at) ?? num(raw.openedAt) ?? 0,
    unitId: str(last.unitId),
    zoneId: str(last.zoneId),
    position: lat !== null && lon !== null ? { lat, lon } : null,
    summary: str(last.summary) ?? `${kind} ${str(raw.subject) ?? ''}`,
    acknowledgedBy: str(raw.acknowledgedBy) ?? str(last.acknowledgedBy),
    ackNote: str(raw.ackNote) ?? str(last.ackNote),
    details: last,
  }
}

/** Moving above ~1 m/s (walking pace); GPS drift of a parked car stays below. */
const MOVING_MS = 1

/**
 * Breach first, then silent; a configured unit that has not reported since the engine started is
 * 'nofix' (it has no position to be moving or stationary at) until it reports or is marked silent.
 */
export function unitStatus(u: Unit): UnitStatus {
  if (u.inBreach || u.outsideZone) return 'breach'
  if (u.silent) return 'silent'
  if (u.ts === null) return 'nofix'
  return u.speed !== null && u.speed >= MOVING_MS ? 'moving' : 'stationary'
}

export function kindIcon(kind: string): KindIcon {
  const k = kind.toLowerCase()
  if (k === 'officer' || k === 'foot' || k === 'person') return 'officer'
  if (k.includes('armour') || k.includes('armor')) return 'armoured'
  if (k.includes('motor') || k === 'bike') return 'motorcycle'
  if (k === 'vehicle' || k === 'car') return 'vehicle'
  return 'other'
}

export const STATUS_COLOURS: Record<UnitStatus, string> = {
  moving: '#1f7ae0',
  stationary: '#2e9e5b',
  silent: '#8a8f98',
  breach: '#d6312b',
  nofix: '#c9ced6',
}

export type Freshness = 'fresh' | 'ageing' | 'overdue' | 'never'
export const FRESHNESS_COLOURS: Record<Freshness, string> = {
  fresh: '#3fb950',
  ageing: '#e3b341',
  overdue: '#e5534b',
  never: '#6e7681',
}

/** fresh: visited within half the interval; ageing: within it; overdue: beyond. */
export function freshness(lastVisit: number | null, maxIntervalMs: number, now: number): Freshness {
  if (lastVisit === null) return 'never'
  const age = now - lastVisit
  if (age <= maxIntervalMs / 2) return 'fresh'
  return age <= maxIntervalMs ? 'ageing' : 'overdue'
}

/** The subject's unit id (`unit:P-017` or `unit:P-017/post:station-03`) or zone id (`zone:grid-2`). */
export function subjectParts(subject: string): { unit: string | null; zone: string | null } {
  const unit = /(?:^|\/)unit:([^/]+)/.exec(subject)?.[1] ?? null
  const zone = /(?:^|\/)zone:([^/]+)/.exec(subject)?.[1] ?? null
  return { unit, zone }
}

export function formatPercent(r: number | null): string {
  return r === null ? '—' : `${Math.round(r * 100)} %`
}
