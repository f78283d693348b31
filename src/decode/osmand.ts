// The OsmAnd protocol as Traccar's OsmAndProtocolDecoder reads it (Traccar Client and many
// trackers): parameters `id`/`deviceid`, `lat`, `lon` or `location=lat,lon`, `timestamp` (epoch
// seconds below 2^31, else epoch ms; ISO-8601 when it contains `T`; else `yyyy-MM-dd HH:mm:ss`,
// taken as UTC; absent → arrival time), `speed` in KNOTS, `bearing`/`heading`, `altitude`,
// `accuracy` (else `hdop` × HDOP_METRES), `batt`, `valid`, `mock` (Traccar Client adds `mock=true` when
// Android marks the location as mocked: the fix gets FixFlag.Mock); any other parameter is ignored. Newer Traccar Client versions POST
// JSON instead: { device_id, location: { timestamp, mock, coords: { latitude, longitude, speed (m/s),
// heading, altitude, accuracy }, battery: { level 0..1 } } } (location may be an array).
// As everywhere, a negative speed/heading/accuracy/battery means unknown and is stored as null.
import { FixFlag, type Fix } from './fix.js'
import { FLOAT32_MAX, isObject, own, typeName, type FieldCheck } from './field-check.js'
import { newFix } from './new-fix.js'
import type { DecodeLimits } from './native.js'
import { cellFor } from '../geo/h3-index.js'

const KNOT_MS = 1852 / 3600
const SECONDS_BELOW = 2 ** 31
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const DIGITS = /^\d{1,16}(?:\.\d{1,9})?$/
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$/
const ZONED = /(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$/
const PLAIN = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/
const MAX_VALUE = 64
/** The parameters read; everything else (cell, wifi, driverUniqueId, custom keys) is ignored. */
const NUMERIC = ['lat', 'lon', 'speed', 'bearing', 'heading', 'altitude', 'accuracy', 'hdop', 'batt'] as const
/**
 * Metres of horizontal accuracy per unit of HDOP, for devices that send `hdop` and no `accuracy`:
 * accuracy ≈ HDOP × UERE, with a user-equivalent range error of 5 m for consumer GNSS. A fix with
 * neither stays without accuracy, which every accuracy gate treats as inaccurate.
 */
export const HDOP_METRES = 5

/** The first value of each parameter, as Traccar reads it (query string, or a form body). */
export type OsmandParams = ReadonlyMap<string, string>

export function osmandParams(text: string): OsmandParams {
  const out = new Map<string, string>()
  for (const [k, v] of new URLSearchParams(text)) if (!out.has(k)) out.set(k, v)
  return out
}

/** The device id a request names: `id`, else `deviceid` (parameters) or `device_id` (JSON). */
export function osmandDeviceId(req: OsmandParams | Record<string, unknown>): string | null {
  if (req instanceof Map) return req.get('id') ?? req.get('deviceid') ?? null
  const id = own(req as Record<string, unknown>, 'device_id')
  return typeof id === 'string' ? id : typeof id === 'number' && Number.isSafeInteger(id) ? String(id) : null
}

/** Epoch ms from a `timestamp` parameter, NaN with the problem in `c`. */
function paramTime(v: string, c: FieldCheck): number {
  if (DIGITS.test(v)) {
    const n = Number(v)
    if (n < SECONDS_BELOW) return Math.round(n * 1000)
    if (!Number.isInteger(n)) return c.fail('invalid_ts', `timestamp ${v} must be whole epoch milliseconds (or epoch seconds)`)
    return n
  }
  let iso: string | null = null
  if (v.includes('T')) {
    if (ISO.test(v)) iso = ZONED.test(v) ? v : `${v}Z`
  } else if (PLAIN.test(v)) {
    iso = `${v.replace(' ', 'T')}Z`
  }
  const ms = iso === null ? Number.NaN : Date.parse(iso)
  if (Number.isNaN(ms)) return c.fail('invalid_ts', `timestamp is not epoch seconds, epoch milliseconds, ISO-8601 or yyyy-MM-dd HH:mm:ss: ${JSON.stringify(v.slice(0, MAX_VALUE))}`)
  return ms
}

function finish(c: FieldCheck, lim: DecodeLimits, receivedAt: number, ts: number, lat: number, lon: number): boolean {
  if (c.reason === null) c.window('timestamp', ts, receivedAt, lim.maxFutureSkewMs, lim.maxAgeMs, false)
  c.nullIsland(lat, lon, lim.rejectNullIsland)
  return c.reason === null
}

/** A Fix from OsmAnd parameters, or null with the problem recorded in `c` (reset by the caller). */
export function osmandParamsFix(p: OsmandParams, topic: string, unitId: string, receivedAt: number, lim: DecodeLimits, c: FieldCheck): Fix | null {
  // Numbers arrive as text: parse the ones read, keep anything unparsable as a string so the
  // field reader reports it as the wrong type.
  const o: Record<string, unknown> = {}
  for (const k of NUMERIC) {
    const v = p.get(k)
    if (v !== undefined && v !== '') o[k] = NUMBER.test(v) ? Number(v) : v.slice(0, MAX_VALUE)
  }
  const location = p.get('location')
  if (location !== undefined && o.lat === undefined && o.lon === undefined) {
    const [la = '', lo = ''] = location.split(',')
    if (la !== '') o.lat = NUMBER.test(la) ? Number(la) : la.slice(0, MAX_VALUE)
    if (lo !== '') o.lon = NUMBER.test(lo) ? Number(lo) : lo.slice(0, MAX_VALUE)
  }
  const t = p.get('timestamp')
  const ts = t === undefined || t === '' ? receivedAt : paramTime(t, c)
  const lat = c.num(o, 'lat', -90, 90, 'lat_out_of_range')
  const lon = c.num(o, 'lon', -180, 180, 'lon_out_of_range')
  const knots = c.measurement(o, 'speed', FLOAT32_MAX)
  const heading = o.bearing !== undefined ? c.measurement(o, 'bearing', 360) : c.measurement(o, 'heading', 360)
  const altitude = c.opt(o, 'altitude', -FLOAT32_MAX, FLOAT32_MAX)
  const reported = c.measurement(o, 'accuracy', FLOAT32_MAX)
  const hdop = c.measurement(o, 'hdop', FLOAT32_MAX / HDOP_METRES)
  const accuracy = reported ?? (hdop === null ? null : hdop * HDOP_METRES)
  const battery = c.measurement(o, 'batt', 100)
  const valid = p.get('valid')
  // Traccar: valid is true only for "true" (any case) or "1".
  if (valid !== undefined && valid.toLowerCase() !== 'true' && valid !== '1') c.fail('invalid_fix', `valid=${JSON.stringify(valid.slice(0, MAX_VALUE))}: the device marks the fix as not valid (no GPS lock)`)
  if (!finish(c, lim, receivedAt, ts, lat, lon)) return null
  const fix = newFix(unitId, ts, receivedAt, lat, lon, cellFor(lat, lon, lim.h3Resolution),
    knots === null ? null : knots * KNOT_MS, heading, accuracy, altitude, battery, null, 'osmand', topic)
  const mock = p.get('mock')
  // Read the way `valid` is: true only for "true" (any case) or "1"; anything else is no claim.
  if (mock !== undefined && (mock.toLowerCase() === 'true' || mock === '1')) fix.flags = FixFlag.Mock
  return fix
}

/** A Fix from one `location` object of the JSON body, or null with the problem recorded in `c`. */
export function osmandJsonFix(loc: Record<string, unknown>, topic: string, unitId: string, receivedAt: number, lim: DecodeLimits, c: FieldCheck): Fix | null {
  const coords = own(loc, 'coords')
  if (!isObject(coords)) {
    c.fail(coords === undefined || coords === null ? 'missing_field' : 'wrong_type', coords === undefined || coords === null ? 'required field location.coords is missing' : `location.coords must be an object, got ${typeName(coords)}`)
    return null
  }
  const ts = own(loc, 'timestamp') === undefined ? receivedAt : c.time(loc, 'timestamp', 1, true)
  const lat = c.num(coords, 'latitude', -90, 90, 'lat_out_of_range')
  const lon = c.num(coords, 'longitude', -180, 180, 'lon_out_of_range')
  const speed = c.measurement(coords, 'speed', FLOAT32_MAX)
  const heading = c.measurement(coords, 'heading', 360)
  const altitude = c.opt(coords, 'altitude', -FLOAT32_MAX, FLOAT32_MAX)
  const accuracy = c.measurement(coords, 'accuracy', FLOAT32_MAX)
  const bat = own(loc, 'battery')
  const level = isObject(bat) ? c.measurement(bat, 'level', 1) : null
  if (!finish(c, lim, receivedAt, ts, lat, lon)) return null
  const fix = newFix(unitId, ts, receivedAt, lat, lon, cellFor(lat, lon, lim.h3Resolution),
    speed, heading, accuracy, altitude, level === null ? null : level * 100, null, 'osmand', topic)
  if (own(loc, 'mock') === true) fix.flags = FixFlag.Mock
  return fix
}
