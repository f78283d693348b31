// Shared builders for the rule-engine scenario tests: a small deployment around 36.49N 117.86E,
// synthetic fixes, and a feed() that classifies then ingests like the pipeline does.
import { latLngToCell } from 'h3-js'
import { validateConfig } from '../../src/config/load.js'
import type { Config } from '../../src/config/schema.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import type { Fix } from '../../src/decode/fix.js'
import { metresPerDegree } from '../../src/geo/distance.js'
import type { RuleEngine } from '../../src/rules/engine.js'

export const BASE = { lat: 36.49, lon: 117.86 }
export const T0 = Date.UTC(2025, 2, 1, 14, 0, 0)

/** The point `north` and `east` metres from (lat, lon). */
export function offset(p: { lat: number; lon: number }, north: number, east: number): { lat: number; lon: number } {
  const { perLat, perLon } = metresPerDegree(p.lat)
  return { lat: p.lat + north / perLat, lon: p.lon + east / perLon }
}

/** A square polygon of half-side `half` metres centred on p (GeoJSON, [lon, lat]). */
export function square(p: { lat: number; lon: number }, half: number): { type: 'Polygon'; coordinates: number[][][] } {
  const sw = offset(p, -half, -half)
  const ne = offset(p, half, half)
  return {
    type: 'Polygon',
    coordinates: [[[sw.lon, sw.lat], [ne.lon, sw.lat], [ne.lon, ne.lat], [sw.lon, ne.lat], [sw.lon, sw.lat]]],
  }
}

export function config(raw: Record<string, unknown> = {}): Config {
  return validateConfig(raw)
}

/**
 * The standard test deployment: one post (1500 m), one 1 km zone, two units. Override any part.
 * Summaries in English with UTC wall-clock times (14:02:11Z), as the assertions read them.
 */
export function standardRaw(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    locale: 'en',
    reports: { timezone: 'UTC' },
    units: [
      { id: 'P-017', kind: 'vehicle', name: 'Patrol car 17', post: 'station-03', zone: 'grid-2' },
      { id: 'O-003', kind: 'officer', name: 'Officer 3', zone: 'grid-2', silent_after: '120s' },
      { id: 'P-020', kind: 'vehicle', post: 'station-03' },
    ],
    posts: [{ id: 'station-03', name: 'Chengxi station', lat: BASE.lat, lon: BASE.lon, radius_m: 1500 }],
    zones: [{ id: 'grid-2', name: 'Grid 2', geometry: square(BASE, 1000), coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.8 } }],
    rules: { allowed_lateness: '0s' },
    ...over,
  }
}

export function fix(unitId: string, ts: number, p: { lat: number; lon: number }, extra: Partial<Fix> = {}): Fix {
  return {
    unitId,
    ts,
    receivedAt: ts,
    lat: p.lat,
    lon: p.lon,
    h3: latLngToCell(p.lat, p.lon, 9),
    speed: null,
    heading: null,
    accuracy: 10,
    altitude: null,
    battery: null,
    seq: null,
    source: 'native',
    topic: `fleet/${unitId}/position`,
    flags: 0,
    ...extra,
  }
}

/** classify() then ingest(), as the pipeline does. */
export function feed(engine: RuleEngine, f: Fix, now = f.receivedAt): AlertEvent[] {
  f.flags = engine.classify(f)
  return engine.ingest(f, now)
}

export const types = (evs: AlertEvent[]) => evs.map((e) => e.type)
export const ofKind = (evs: AlertEvent[], kind: string) => evs.filter((e) => e.kind === kind)
