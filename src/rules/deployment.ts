// Everything the rule engine needs that depends only on config, computed once at start-up:
// units, posts and zones by id, compiled polygons, coverage cells and the cell → zones index,
// so the per-fix path costs a few Map lookups however many zones and posts there are.
import { createHash } from 'node:crypto'
import { cellToParent, getResolution, isValidCell, latLngToCell } from 'h3-js'
import type { Config } from '../config/schema.js'
import { compilePolygon, type CompiledPolygon, type ZoneGeometry } from '../geo/polygon.js'
import { polygonCells } from '../geo/cells.js'
import type { CoverageZoneSpec } from './coverage.js'
import type { LivenessPolicy } from './silent-unit.js'
import { alertTexts, type AlertTexts } from '../i18n/alert-texts.js'
import type { Locale } from '../i18n/locale.js'

export interface UnitSpec {
  id: string
  kind: string
  /** Display name in the configured locale (name_en with locale: en); the id when the config gives none. */
  name: string
  /** Radio callsign, or null when the config gives none. */
  callsign: string | null
  /** The configured English name (name_en), for the live map in English. */
  nameEn?: string
  postId: string | null
  zoneId: string | null
  silentAfterMs: number
  /** When the unit counts as silent: silent_after, its reporting interval and the liveness settings. */
  liveness: LivenessPolicy
}

export interface PostSpec {
  id: string
  name: string
  /** The configured English name (name_en), for the live map in English. */
  nameEn?: string
  lat: number
  lon: number
  radiusM: number
}

export interface ZoneSpec {
  id: string
  name: string
  /** The configured English name (name_en), for the live map in English. */
  nameEn?: string
  /** Position in Deployment.zones; the values of the cell index. */
  index: number
  polygon: CompiledPolygon
  /** Fingerprint of the geometry: a zone-exit state computed against other geometry starts over. */
  geometryKey: string
  /** What ZoneCoverage is built from: polyfill cells, priority cells, intervals, threshold. */
  coverage: CoverageZoneSpec
  resolution: number
  minRatio: number
  maxIntervalMs: number
  responseRadiusM: number | null
  credit: 'own' | 'any'
}

export interface RuleSettings {
  radius: { dwellMs: number; hysteresisM: number; maxAccuracyM: number }
  zone: { dwellMs: number; hysteresisM: number; maxAccuracyM: number }
  silentAfterMs: number
  allowedLatenessMs: number
  pathMaxGapMs: number
  pathMaxDistanceM: number
  tickMs: number
  coverageGap: { dwellMs: number; hysteresis: number }
  responseGap: { dwellMs: number; hysteresis: number }
  /** Fixes with accuracy above this earn no coverage credit and no path fill. */
  coverageMaxAccuracyM: number
  futureToleranceMs: number
  maxUnknownUnits: number
  unknownIdleMs: number
}

export interface Deployment {
  /** H3 resolution of Fix.h3 (config h3.resolution). */
  ingestResolution: number
  units: ReadonlyMap<string, UnitSpec>
  posts: ReadonlyMap<string, PostSpec>
  zones: readonly ZoneSpec[]
  zonesById: ReadonlyMap<string, ZoneSpec>
  /** Distinct coverage resolutions, each with its cell → zone indices index. */
  cellIndex: ReadonlyArray<{ resolution: number; zonesOfCell: ReadonlyMap<string, readonly number[]> }>
  rules: RuleSettings
  /** Max plausible speed for a unit kind, m/s (rules.max_speed_kmh, key `default` as fallback). */
  maxSpeedMps(kind: string): number
  /** The liveness policy of a unit of this kind (configured units carry their own in UnitSpec.liveness). */
  livenessOf(kind: string): LivenessPolicy
  /** Ceiling for a mode change (an officer boarding a car): the fastest configured kind, m/s. */
  modeSpeedMps: number
  /** Alert summaries in the configured locale, times in reports.timezone. */
  texts: AlertTexts
}

/** The name people read in the configured locale: name_en in English where given, else name. */
export function displayName(name: string | undefined, nameEn: string | undefined, locale: Locale): string | undefined {
  return locale === 'en' ? (nameEn ?? name) : name
}

function keyError(key: string, message: string): Error {
  return new Error(`${key}: ${message}`)
}

function resolvePriorityCell(
  p: Config['zones'][number]['coverage']['priority_cells'][number],
  resolution: number,
  key: string,
): string {
  if (p.cell !== undefined) {
    if (!isValidCell(p.cell)) throw keyError(`${key}.cell`, `"${p.cell}" is not a valid H3 cell id`)
    const res = getResolution(p.cell)
    if (res < resolution) throw keyError(`${key}.cell`, `cell is at resolution ${res}, coarser than the zone's coverage resolution ${resolution}; give a cell at resolution ${resolution} or lat/lon`)
    return res === resolution ? p.cell : cellToParent(p.cell, resolution)
  }
  // validateConfig guarantees lat and lon when cell is absent.
  return latLngToCell(p.lat as number, p.lon as number, resolution)
}

function compileZone(z: Config['zones'][number], index: number, locale: Locale): ZoneSpec {
  const key = `zones.${z.id}`
  const geometry = z.geometry as unknown as ZoneGeometry
  let polygon: CompiledPolygon
  let cells: string[]
  try {
    polygon = compilePolygon(geometry)
    cells = polygonCells(geometry, z.coverage.resolution)
  } catch (err) {
    // polygon.ts messages start with the path inside the geometry (`geometry.coordinates[0]: …`).
    const msg = (err as Error).message
    throw msg.startsWith('geometry') ? new Error(`${key}.${msg}`) : keyError(`${key}.geometry`, msg)
  }
  const c = z.coverage
  if (cells.length === 0) {
    throw keyError(`${key}.coverage.resolution`, `the zone holds no H3 cell centre at resolution ${c.resolution}; use a finer resolution`)
  }
  const priority = c.priority_cells.map((p, i) => {
    const cell = resolvePriorityCell(p, c.resolution, `${key}.coverage.priority_cells.${i}`)
    const name = displayName(p.name, p.name_en, locale)
    return { cell, ...(name === undefined ? {} : { name }), maxIntervalMs: p.max_interval }
  })
  return {
    id: z.id,
    name: displayName(z.name, z.name_en, locale) ?? z.id,
    ...(z.name_en === undefined ? {} : { nameEn: z.name_en }),
    index,
    polygon,
    geometryKey: createHash('sha256').update(JSON.stringify(z.geometry)).digest('hex').slice(0, 16),
    coverage: { id: z.id, cells, resolution: c.resolution, maxIntervalMs: c.max_interval, minRatio: c.min_ratio, priority },
    resolution: c.resolution,
    minRatio: c.min_ratio,
    maxIntervalMs: c.max_interval,
    responseRadiusM: c.response_radius_m ?? null,
    credit: c.credit,
  }
}

/** The alert summaries of the configured locale; the time zone is checked here as it is first used. */
function textsOf(config: Config): AlertTexts {
  try {
    return alertTexts(config.locale, config.reports.timezone)
  } catch {
    throw keyError('reports.timezone', `"${config.reports.timezone}" is not a known IANA time zone (e.g. Asia/Shanghai, UTC)`)
  }
}

/**
 * Compiles the deployment: call it once per start (src/boot.ts does) and pass the result on.
 * Throws an Error naming the config key on bad geometry or cells.
 */
export function compileDeployment(config: Config): Deployment {
  return compile(config)
}

function compile(config: Config): Deployment {
  const r = config.rules
  const rules: RuleSettings = {
    radius: { dwellMs: r.radius.dwell, hysteresisM: r.radius.hysteresis_m, maxAccuracyM: r.radius.max_accuracy_m },
    zone: { dwellMs: r.zone.dwell, hysteresisM: r.zone.hysteresis_m, maxAccuracyM: r.zone.max_accuracy_m },
    silentAfterMs: r.silent_after,
    allowedLatenessMs: r.allowed_lateness,
    pathMaxGapMs: r.path_max_gap,
    pathMaxDistanceM: r.path_max_distance_m,
    tickMs: r.tick,
    coverageGap: { dwellMs: r.coverage_gap.dwell, hysteresis: r.coverage_gap.hysteresis },
    responseGap: { dwellMs: r.response_gap.dwell, hysteresis: r.response_gap.hysteresis },
    coverageMaxAccuracyM: r.coverage_max_accuracy_m,
    futureToleranceMs: r.future_tolerance,
    maxUnknownUnits: r.max_unknown_units,
    unknownIdleMs: r.unknown_idle_after,
  }
  const lv = r.liveness
  const livenessOf = (kind: string, silentAfter = r.silent_after, intervalMs: number | null = null): LivenessPolicy => ({
    floorMs: silentAfter,
    capMs: Math.max(silentAfter, lv.max_silent_after),
    factor: lv.cadence_factor,
    stationaryFactor: lv.stationary_factor,
    expectedMs: intervalMs ?? lv.report_interval[kind] ?? null,
  })
  const units = new Map<string, UnitSpec>()
  for (const u of config.units) {
    units.set(u.id, {
      id: u.id,
      kind: u.kind,
      callsign: u.callsign ?? null,
      name: displayName(u.name, u.name_en, config.locale) ?? u.id,
      ...(u.name_en === undefined ? {} : { nameEn: u.name_en }),
      postId: u.post ?? null,
      zoneId: u.zone ?? null,
      silentAfterMs: u.silent_after ?? r.silent_after,
      liveness: livenessOf(u.kind, u.silent_after ?? r.silent_after, u.report_interval ?? null),
    })
  }
  const posts = new Map<string, PostSpec>()
  for (const p of config.posts) posts.set(p.id, { id: p.id, name: displayName(p.name, p.name_en, config.locale) ?? p.id, ...(p.name_en === undefined ? {} : { nameEn: p.name_en }), lat: p.lat, lon: p.lon, radiusM: p.radius_m })

  const zones = config.zones.map((z, i) => compileZone(z, i, config.locale))
  const zonesById = new Map(zones.map((z) => [z.id, z]))
  // validateConfig checks these too; the engine relies on them, so a hand-built config is checked here.
  for (const u of units.values()) {
    if (u.postId !== null && !posts.has(u.postId)) throw keyError(`units.${u.id}.post`, `no post with id "${u.postId}"`)
    if (u.zoneId !== null && !zonesById.has(u.zoneId)) throw keyError(`units.${u.id}.zone`, `no zone with id "${u.zoneId}"`)
  }
  const byRes = new Map<number, Map<string, number[]>>()
  for (const z of zones) {
    let m = byRes.get(z.resolution)
    if (m === undefined) byRes.set(z.resolution, (m = new Map()))
    // Priority cells may lie just outside the polyfill (a checkpoint over the boundary): index them too.
    const tracked = new Set([...z.coverage.cells, ...z.coverage.priority.map((p) => p.cell)])
    for (const cell of tracked) {
      const list = m.get(cell)
      if (list === undefined) m.set(cell, [z.index])
      else list.push(z.index)
    }
  }
  const cellIndex = [...byRes.entries()].sort((a, b) => a[0] - b[0]).map(([resolution, zonesOfCell]) => ({ resolution, zonesOfCell }))

  const speeds = r.max_speed_kmh
  const fallbackKmh = speeds.default ?? 250
  const speedCache = new Map<string, number>()
  const maxSpeedMps = (kind: string): number => {
    let v = speedCache.get(kind)
    if (v === undefined) speedCache.set(kind, (v = (speeds[kind] ?? fallbackKmh) / 3.6))
    return v
  }

  const modeSpeedMps = Math.max(fallbackKmh, ...Object.values(speeds)) / 3.6
  const kindLiveness = new Map<string, LivenessPolicy>()
  const livenessOfKind = (kind: string): LivenessPolicy => {
    let p = kindLiveness.get(kind)
    if (p === undefined) kindLiveness.set(kind, (p = livenessOf(kind)))
    return p
  }
  return { ingestResolution: config.h3.resolution, units, posts, zones, zonesById, cellIndex, rules, maxSpeedMps, modeSpeedMps, livenessOf: livenessOfKind, texts: textsOf(config) }
}
