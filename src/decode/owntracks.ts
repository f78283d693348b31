// The OwnTracks JSON format (booklet docs/tech/json.md). Only `_type: "location"` yields a fix:
// lat, lon, tst (epoch SECONDS) required; acc, alt, vel (km/h), cog, batt optional — the app omits
// acc/alt/cog/vel when they are zero, so absent is read as null (unknown), never as 0; and real
// clients send -1 for unknown vel/cog/acc/vac, also read as null.
import type { Fix } from './fix.js'
import { FLOAT32_MAX, own, typeName, type FieldCheck } from './field-check.js'
import { newFix } from './new-fix.js'
import type { DecodeLimits } from './native.js'
import { cellFor } from '../geo/h3-index.js'

/**
 * Non-location message types from the booklet. The ignored type feeds a metric label, so any
 * other value is reported as 'other' to keep label cardinality bounded.
 */
const KNOWN_TYPES: ReadonlySet<string> = new Set([
  'beacon', 'card', 'cmd', 'configuration', 'encrypted', 'lwt', 'request', 'status', 'steps',
  'transition', 'waypoint', 'waypoints',
])

/**
 * A Fix from an OwnTracks object; a string (the ignored `_type`) for non-location messages;
 * or null with the problem recorded in `c` (reset by the caller).
 */
export function owntracksFix(o: Record<string, unknown>, topic: string, unitId: string, receivedAt: number, lim: DecodeLimits, c: FieldCheck): Fix | string | null {
  const type = own(o, '_type')
  if (type !== 'location') {
    if (typeof type === 'string') return KNOWN_TYPES.has(type) ? type : 'other'
    if (type === undefined || type === null) c.fail('missing_field', `required field _type is ${type === null ? 'null' : 'missing'}`)
    else c.fail('wrong_type', `_type must be a string, got ${typeName(type)}`)
    return null
  }
  const ts = c.time(o, 'tst', 1000, false)
  if (c.reason === null) c.window('tst', ts, receivedAt, lim.maxFutureSkewMs, lim.maxAgeMs, false)
  const lat = c.num(o, 'lat', -90, 90, 'lat_out_of_range')
  const lon = c.num(o, 'lon', -180, 180, 'lon_out_of_range')
  c.nullIsland(lat, lon, lim.rejectNullIsland)
  const accuracy = c.measurement(o, 'acc', FLOAT32_MAX)
  const altitude = c.opt(o, 'alt', -FLOAT32_MAX, FLOAT32_MAX)
  const velKmh = c.measurement(o, 'vel', FLOAT32_MAX)
  const heading = c.measurement(o, 'cog', 360)
  const battery = c.measurement(o, 'batt', 100)
  if (c.reason !== null) return null
  return newFix(unitId, ts, receivedAt, lat, lon, cellFor(lat, lon, lim.h3Resolution),
    velKmh === null ? null : velKmh / 3.6, heading, accuracy, altitude, battery, null, 'owntracks', topic)
}
