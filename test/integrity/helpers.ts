// Hand-made fixes for the integrity detectors' unit tests: a unit at a point offset (metres) from
// a base, at a fix time in seconds from T0.
import { FixFlag, type Fix } from '../../src/decode/fix.js'
import { offsetM } from '../helpers/gps-realism.js'
import { DEFAULT_OPTIONS } from '../helpers/integrity-scenarios.js'

export const T0 = Date.UTC(2026, 10, 2, 8, 0, 0)
export const BASE = { lat: 36.65, lon: 117.0 }
export const O = DEFAULT_OPTIONS

export function at(unitId: string, s: number, north = 0, east = 0, extra: Partial<Fix> = {}): Fix {
  const p = offsetM(BASE, north, east)
  return {
    unitId, ts: T0 + s * 1000, receivedAt: T0 + s * 1000, lat: p.lat, lon: p.lon, h3: '', speed: null, heading: null,
    accuracy: 10, altitude: null, battery: null, seq: null, source: 'osmand', topic: 'http:osmand', flags: 0, ...extra,
  }
}

export const mock = (f: Fix): Fix => ({ ...f, flags: f.flags | FixFlag.Mock })
