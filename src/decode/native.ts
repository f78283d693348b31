// The native payload: one JSON object per fix (the decoder handles arrays of them).
// { "unit"?, "ts", "lat", "lon", "speed"?, "heading"?, "accuracy"?, "altitude"?, "battery"?, "seq"? }
// ts: whole epoch milliseconds or ISO-8601 with a zone; speed m/s; heading deg; accuracy/altitude m;
// battery %. Every value fits the ClickHouse column it is stored in (see field-check.ts).
import type { Fix } from './fix.js'
import { FLOAT32_MAX, own, typeName, type FieldCheck } from './field-check.js'
import { newFix } from './new-fix.js'
import { cellFor } from '../geo/h3-index.js'

export interface DecodeLimits {
  maxFutureSkewMs: number
  maxAgeMs: number
  h3Resolution: number
  rejectNullIsland: boolean
}

/** A Fix from one native object, or null with the problem recorded in `c` (reset by the caller). */
export function nativeFix(o: Record<string, unknown>, topic: string, unitId: string, receivedAt: number, lim: DecodeLimits, c: FieldCheck): Fix | null {
  const unit = own(o, 'unit')
  if (unit !== undefined && unit !== null) {
    if (typeof unit !== 'string') c.fail('wrong_type', `unit must be a string, got ${typeName(unit)}`)
    else if (unit !== unitId) c.fail('unit_mismatch', `unit ${JSON.stringify(unit.slice(0, 64))} differs from the unit named by the topic (${unitId})`)
  }
  const ts = c.time(o, 'ts', 1, true)
  if (c.reason === null) c.window('ts', ts, receivedAt, lim.maxFutureSkewMs, lim.maxAgeMs, true)
  const lat = c.num(o, 'lat', -90, 90, 'lat_out_of_range')
  const lon = c.num(o, 'lon', -180, 180, 'lon_out_of_range')
  c.nullIsland(lat, lon, lim.rejectNullIsland)
  // Negative speed/heading/accuracy/battery mean "unknown" (stored as null), as in Traccar.
  const speed = c.measurement(o, 'speed', FLOAT32_MAX)
  const heading = c.measurement(o, 'heading', 360)
  const accuracy = c.measurement(o, 'accuracy', FLOAT32_MAX)
  const altitude = c.opt(o, 'altitude', -FLOAT32_MAX, FLOAT32_MAX)
  const battery = c.measurement(o, 'battery', 100)
  const seq = c.opt(o, 'seq', 0, Number.MAX_SAFE_INTEGER, true)
  if (c.reason !== null) return null
  return newFix(unitId, ts, receivedAt, lat, lon, cellFor(lat, lon, lim.h3Resolution),
    speed, heading, accuracy, altitude, battery, seq, 'native', topic)
}
