// Per unit: the track's figures, its radius-breach, zone-exit and silence spans, the coverage it
// earned in its zone and its assessment (watch mode at a post that asks for a watch). Pure.
import type { Deployment, PostSpec, UnitSpec } from '../rules/deployment.js'
import { haversineM } from '../geo/distance.js'
import { cellFor } from '../geo/h3-index.js'
import { unitAssessment, type Weights } from './assessment.js'
import type { SpanLookup } from './alert-spans.js'
import type { UnitDetail, UnitRow } from './model.js'
import type { Interval, TrackFigures } from './track.js'

/** The report settings a unit row reads. */
export interface UnitSettings { weights: Weights; movingTarget: number; watchPosts: ReadonlySet<string> }

/** A zone's coverage cells at its resolution. */
export interface ZoneCells { cells: ReadonlySet<string>; resolution: number }

/** Every unit's row with its stop, trip and silence lists, in track order. */
export function unitDetails(dep: Deployment, s: UnitSettings, tracks: ReadonlyMap<string, TrackFigures>, cellsVisited: ReadonlyMap<string, number>, spans: SpanLookup): Map<string, UnitDetail> {
  const zoneCells = new Map(dep.zones.map((z) => [z.id, { cells: new Set(z.coverage.cells) as ReadonlySet<string>, resolution: z.coverage.resolution }]))
  const details = new Map<string, UnitDetail>()
  for (const [id, t] of tracks) {
    const spec = dep.units.get(id)
    const post = spec?.postId == null ? undefined : dep.posts.get(spec.postId)
    const zone = spec?.zoneId == null ? undefined : zoneCells.get(spec.zoneId)
    const row = unitRow(id, spec, t, { post, zone, cellsVisited: cellsVisited.get(id) ?? 0, spans }, s)
    details.set(id, { ...row, stopList: t.stops, tripList: t.trips, silentPeriods: t.silent.periods })
  }
  return details
}

/** A detail without its lists: the row the report shows. */
export function withoutLists({ stopList: _s, tripList: _t, silentPeriods: _p, ...row }: UnitDetail): UnitRow {
  return row
}

export function unitRow(id: string, spec: UnitSpec | undefined, t: TrackFigures, at: { post: PostSpec | undefined; zone: ZoneCells | undefined; cellsVisited: number; spans: SpanLookup }, s: UnitSettings): UnitRow {
  const breaches = at.spans('radius_breach', id)
  const exits = at.spans('zone_exit', id)
  return {
    unitId: id,
    name: spec?.name ?? id,
    kind: spec?.kind ?? 'unknown',
    postId: spec?.postId ?? null,
    zoneId: spec?.zoneId ?? null,
    fixes: t.fixes,
    firstFixAt: t.firstFixAt,
    lastFixAt: t.lastFixAt,
    distanceKm: t.distanceKm,
    reportingMs: t.reportingMs,
    movingMs: t.movingMs,
    stationaryMs: t.stationaryMs,
    inRadiusMs: t.inRadiusMs,
    inZoneMs: t.inZoneMs,
    cellsVisited: at.cellsVisited,
    stops: t.stops.length,
    trips: t.trips.length,
    breaches: { count: breaches.count, totalMs: breaches.totalMs },
    zoneExits: { count: exits.count, totalMs: exits.totalMs },
    silent: { count: t.silent.count, totalMs: t.silent.totalMs },
    assessment: unitAssessment({
      mode: spec?.postId != null && s.watchPosts.has(spec.postId) ? 'watch' : 'patrol',
      reportingMs: t.reportingMs,
      silentMs: t.silent.totalMs,
      movingMs: t.movingMs,
      watchMs: watchMs(t, at.post),
      ...earned(t, at.zone),
      inZoneMs: t.inZoneMs,
      inRadiusMs: t.inRadiusMs,
      breachMs: breaches.totalMs + exits.totalMs,
    }, s.weights, s.movingTarget),
  }
}

/**
 * The coverage a unit earned: its zone's cells it passed through, on the filtered track (a stay
 * counts as its centre, so a parked phone's scatter earns no cells), over the zone's cell count.
 */
export function earned(t: Pick<TrackFigures, 'segments' | 'stops'>, zone: ZoneCells | undefined): { cellsVisited: number; zoneCells: number | null } {
  if (zone === undefined) return { cellsVisited: 0, zoneCells: null }
  const seen = new Set<string>()
  let k = 0
  for (const seg of t.segments) {
    while (k < t.stops.length && (t.stops[k] as Interval).to <= seg.from) k++
    const st = t.stops[k]
    const p = st !== undefined && st.from <= seg.from ? st : seg
    const c = cellFor(p.lat, p.lon, zone.resolution)
    if (zone.cells.has(c)) seen.add(c)
  }
  return { cellsVisited: seen.size, zoneCells: zone.cells.size }
}

/** Stationary time within the post's radius: the unit's stops there (null without a post). */
export function watchMs(t: Pick<TrackFigures, 'stops'>, post: { lat: number; lon: number; radiusM: number } | undefined): number | null {
  if (post === undefined) return null
  let ms = 0
  for (const st of t.stops) if (haversineM(post.lat, post.lon, st.lat, st.lon) <= post.radiusM) ms += st.durationMs
  return ms
}
