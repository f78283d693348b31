// Assembles the report document from the query results: per unit (track figures, alert spans,
// score), per zone (coverage series, gaps, priority cells, who patrolled it, map) and per post
// (its units, time with no unit in its radius), then the headline. Pure; sorted worst first.
import { UNKNOWN_KIND } from '../rules/unit-state.js'
import type { Deployment } from '../rules/deployment.js'
import { EARTH_RADIUS_M, haversineM } from '../geo/distance.js'
import { cellFor } from '../geo/h3-index.js'
import { addSpan, noSpans, priorityFigures, seriesStats, unionMs, type SpanStats } from './aggregate.js'
import { mean, score, unitAssessment, type Weights } from './assessment.js'
import { levelAt, levelSpans, type LevelChangeRow } from './levels.js'
import { hotspotsByZone, type CellScore, type Hotspot, type HotspotSpec } from '../incidents/hotspots.js'
import { hotspotName } from '../incidents/overrides.js'
import type { AlertSpanRow, CellFreshness, CellSnapshots, UnitBuckets, ZoneSample } from './report-queries.js'
import { analyseTrack, type Bucket, type Interval, type TrackFigures } from './track.js'
import type { PostRow, Report, UnitDetail, UnitRow, ZoneRow } from './model.js'

export interface ReportSettings {
  dep: Deployment
  timezone: string
  stopRadiusM: number
  stopMinMs: number
  noiseM: number
  maxAccuracyM: number
  weights: Weights
  /** Moving share of duty time that earns full patrol credit. */
  movingTarget: number
  /** Patrol levels: each level's min_ratio (when it sets one) and each zone's base level. */
  levels: { minRatio: ReadonlyMap<string, number | undefined>; base: ReadonlyMap<string, string> }
  /** Hotspots as the live engine computes them (null: off), and each level's hotspot_interval. */
  hotspots: (HotspotSpec & { maxIntervalMs: number; stepMs: number; intervalByLevel: ReadonlyMap<string, number | undefined> }) | null
  /** Posts that ask for a stationed watch (posts[].watch): their units are assessed in watch mode. */
  watchPosts: ReadonlySet<string>
  /** Coverage snapshot spacing; a sample stands for at most 3× this. */
  snapshotIntervalMs: number
}

export interface ReportInputs {
  buckets: UnitBuckets[]
  spans: AlertSpanRow[]
  series: ZoneSample[]
  priority: CellSnapshots[]
  freshness: CellFreshness[]
  /** Stored patrol level changes before the period's end (queries.levelChanges). */
  levels: LevelChangeRow[]
  /** Hotspot scores at instants through the period (queries via IncidentStore.hotspotScores). */
  hotspots?: Array<{ at: number; scores: CellScore[] }>
}

export interface ReportMeta { kind: Report['kind']; period: string; from: number; to: number; generatedAt: number }

const MINUTE = 60_000
const RAD = Math.PI / 180

/** Buckets and silence settings reach a little past the period so intervals across its ends clip exactly. */
export function paddingMs(s: ReportSettings): number {
  let max = Math.max(s.dep.rules.silentAfterMs, s.dep.livenessOf(UNKNOWN_KIND).capMs)
  for (const u of s.dep.units.values()) max = Math.max(max, u.silentAfterMs, u.liveness.capMs)
  return max + MINUTE
}

export function buildReport(s: ReportSettings, inp: ReportInputs, meta: ReportMeta): { report: Report; details: Map<string, UnitDetail> } {
  const { dep } = s
  const period = { from: meta.from, to: meta.to }
  // "Now" for a period that has not ended (intraday): an alert still open counts until now, not
  // to the period's end, and zone shares are over the time elapsed. A clock before the period is
  // no "now" inside it.
  const openUntil = meta.generatedAt <= meta.from ? meta.to : Math.min(meta.to, meta.generatedAt)
  const capMs = 3 * s.snapshotIntervalMs

  // Zones first: a unit's score uses its zone's coverage.
  const seriesBy = group(inp.series, (x) => x.zone_id)
  const prioBy = new Map(inp.priority.map((p) => [`${p.zone_id}\n${p.cell}`, p.s]))
  const freshBy = group(inp.freshness, (x) => x.zone_id)
  const spanBy = new Map<string, SpanStats>()
  const span = (key: string): SpanStats => {
    let x = spanBy.get(key)
    if (x === undefined) spanBy.set(key, (x = noSpans()))
    return x
  }
  for (const a of inp.spans) {
    const key = a.k === 'coverage_gap' || a.k === 'response_gap' ? `${a.k}\n${a.zone}` : `${a.k}\n${a.unit}`
    addSpan(span(key), a.opened_ms, a.resolved_ms ?? openUntil, period)
  }

  // Units.
  const bucketsBy = new Map(inp.buckets.map((b) => [b.unitId, b.buckets]))
  const cellsBy = new Map(inp.buckets.map((b) => [b.unitId, b.cells]))
  const ids = new Set([...dep.units.keys(), ...bucketsBy.keys()])
  const tracks = new Map<string, TrackFigures>()
  for (const id of ids) {
    const spec = dep.units.get(id)
    const post = spec?.postId == null ? null : dep.posts.get(spec.postId) ?? null
    const zone = spec?.zoneId == null ? null : dep.zonesById.get(spec.zoneId) ?? null
    tracks.set(id, analyseTrack(bucketsBy.get(id) ?? ([] as Bucket[]), {
      ...period,
      silentAfterMs: spec?.silentAfterMs ?? dep.rules.silentAfterMs,
      liveness: spec?.liveness ?? dep.livenessOf(UNKNOWN_KIND),
      stopRadiusM: s.stopRadiusM,
      stopMinMs: s.stopMinMs,
      noiseM: s.noiseM,
      post: post === null ? null : { lat: post.lat, lon: post.lon, radiusM: post.radiusM },
      zone: zone?.polygon ?? null,
    }))
  }

  const hot = hotspotCells(s, inp.hotspots ?? [], period)
  // A hotspot's max_interval: its level's hotspot_interval when it became one, else incidents.hotspots.max_interval.
  const hotInterval = (level: string): number => {
    const h = s.hotspots as NonNullable<ReportSettings['hotspots']>
    return h.intervalByLevel.get(level) ?? h.maxIntervalMs
  }
  const zoneRows: ZoneRow[] = dep.zones.map((z) => {
    const levels = levelSpans(s.levels.base.get(z.id) as string, inp.levels.filter((c) => c.zone_id === z.id), period)
    // Below min against the ratio in force: a level that sets min_ratio replaces the zone's.
    const st = seriesStats(seriesBy.get(z.id) ?? [], (at) => s.levels.minRatio.get(levelAt(levels, at, '')) ?? z.minRatio, period, capMs)
    const minutes = new Map<string, number>()
    for (const [id, t] of tracks) {
      let ms = 0
      for (const seg of t.segments) if (z.polygon.contains(seg.lat, seg.lon)) ms += seg.to - seg.from
      if (ms > 0) minutes.set(id, ms)
    }
    const total = [...minutes.values()].reduce((a, b) => a + b, 0)
    const gaps = span(`coverage_gap\n${z.id}`)
    return {
      zoneId: z.id,
      name: z.name,
      minRatio: z.minRatio,
      coverage: { samples: st.samples, mean: st.mean, min: st.min, belowMinMs: st.belowMinMs },
      response: { mean: st.responseMean, min: st.responseMin },
      gaps,
      responseGaps: span(`response_gap\n${z.id}`),
      priorityCells: [
        ...z.coverage.priority.map((p) => priorityFigures({ cell: p.cell, name: p.name ?? null, maxIntervalMs: p.maxIntervalMs }, prioBy.get(`${z.id}\n${p.cell}`) ?? [], period, capMs)),
        // Hotspot cells in force during the period, judged only over the snapshots while they were.
        ...(hot.get(z.id) ?? []).map((h) => priorityFigures(
          { cell: h.last.zoneCell, name: hotspotName(h.last), maxIntervalMs: hotInterval(levelAt(levels, (h.spans[0] as Interval).from, '')) },
          (prioBy.get(`${z.id}\n${h.last.zoneCell}`) ?? []).filter(([at]) => h.spans.some((sp) => at >= sp.from && at < sp.to)), period, capMs)),
      ],
      units: [...minutes].map(([unitId, ms]) => ({ unitId, minutes: Math.round(ms / MINUTE), share: Math.round((ms / total) * 10_000) / 10_000 })).sort((a, b) => b.share - a.share || (a.unitId < b.unitId ? -1 : 1)),
      cells: (freshBy.get(z.id) ?? []).map((c) => ({ cell: c.cell, fresh: Math.round(c.fresh * 10_000) / 10_000 })),
      levels,
      // No coverage snapshot in the period: no data (null inputs, null score), not a perfect zone.
      assessment: score(st.samples === 0
        ? { coverage: null, presence: null, breaches: null }
        : { coverage: st.mean, presence: 1 - st.belowMinMs / (openUntil - meta.from), breaches: 1 - gaps.totalMs / (openUntil - meta.from) }, s.weights),
    }
  })

  const cellSets = new Map(dep.zones.map((z) => [z.id, { cells: new Set(z.coverage.cells) as ReadonlySet<string>, resolution: z.coverage.resolution }]))
  const details = new Map<string, UnitDetail>()
  for (const [id, t] of tracks) {
    const spec = dep.units.get(id)
    const breaches = span(`radius_breach\n${id}`)
    const exits = span(`zone_exit\n${id}`)
    const zoneId = spec?.zoneId ?? null
    const row: UnitRow = {
      unitId: id,
      name: spec?.name ?? id,
      kind: spec?.kind ?? 'unknown',
      postId: spec?.postId ?? null,
      zoneId,
      fixes: t.fixes,
      firstFixAt: t.firstFixAt,
      lastFixAt: t.lastFixAt,
      distanceKm: t.distanceKm,
      reportingMs: t.reportingMs,
      movingMs: t.movingMs,
      stationaryMs: t.stationaryMs,
      inRadiusMs: t.inRadiusMs,
      inZoneMs: t.inZoneMs,
      cellsVisited: cellsBy.get(id) ?? 0,
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
        watchMs: watchMs(t, spec?.postId == null ? undefined : dep.posts.get(spec.postId)),
        ...earned(t, zoneId === null ? undefined : cellSets.get(zoneId)),
        inZoneMs: t.inZoneMs,
        inRadiusMs: t.inRadiusMs,
        breachMs: breaches.totalMs + exits.totalMs,
      }, s.weights, s.movingTarget),
    }
    details.set(id, { ...row, stopList: t.stops, tripList: t.trips, silentPeriods: t.silent.periods })
  }
  const unitRows = [...details.values()].map(({ stopList: _s, tripList: _t, silentPeriods: _p, ...row }) => row)

  const postRows: PostRow[] = [...dep.posts.values()].map((p) => {
    const near: Interval[] = []
    // A great-circle distance is at least R·|Δlatitude|: most segments are ruled out without the
    // haversine (the margin keeps floating-point rounding from ruling out one it would admit).
    const maxDLat = (p.radiusM + 1) / EARTH_RADIUS_M / RAD
    for (const t of tracks.values()) {
      for (const seg of t.segments) if (Math.abs(seg.lat - p.lat) <= maxDLat && haversineM(p.lat, p.lon, seg.lat, seg.lon) <= p.radiusM) near.push(seg)
    }
    const uncovered = meta.to - meta.from - unionMs(near, period)
    const mine = unitRows.filter((u) => u.postId === p.id)
    return {
      postId: p.id,
      name: p.name,
      radiusM: p.radiusM,
      units: mine.map((u) => u.unitId).sort(),
      uncoveredMs: uncovered,
      assessment: score({
        coverage: mean(mine.map((u) => (u.zoneId === null ? null : zoneRows.find((z) => z.zoneId === u.zoneId)?.coverage.mean ?? null))),
        presence: 1 - uncovered / (meta.to - meta.from),
        breaches: mean(mine.map((u) => u.assessment.inputs.breaches ?? null)),
        silences: mean(mine.map((u) => u.assessment.inputs.silences ?? null)),
      }, s.weights),
    }
  })

  // No data first (it needs looking at), then the lowest score.
  const rank = (x: number | null): number => x ?? -1
  const worst = <T extends { assessment: { score: number | null } }>(xs: T[], id: (x: T) => string): T[] => xs.sort((a, b) => rank(a.assessment.score) - rank(b.assessment.score) || (id(a) < id(b) ? -1 : 1))
  const covMeans = zoneRows.map((z) => z.coverage.mean)
  const report: Report = {
    kind: meta.kind,
    period: meta.period,
    from: meta.from,
    to: meta.to,
    timezone: s.timezone,
    generatedAt: meta.generatedAt,
    headline: {
      unitsConfigured: dep.units.size,
      unitsReporting: unitRows.filter((u) => u.fixes > 0 && dep.units.has(u.unitId)).length,
      unknownUnitsReporting: unitRows.filter((u) => u.fixes > 0 && !dep.units.has(u.unitId)).length,
      distanceKm: Math.round(unitRows.reduce((a, u) => a + u.distanceKm, 0) * 10) / 10,
      coverageMean: round4(mean(covMeans)),
      zonesBelowMin: zoneRows.filter((z) => z.coverage.belowMinMs > 0).length,
      coverageGaps: zoneRows.reduce((a, z) => a + z.gaps.count, 0),
      breaches: unitRows.reduce((a, u) => a + u.breaches.count, 0),
      zoneExits: unitRows.reduce((a, u) => a + u.zoneExits.count, 0),
      silences: unitRows.reduce((a, u) => a + u.silent.count, 0),
      meanUnitScore: round1(mean(unitRows.filter((u) => dep.units.has(u.unitId)).map((u) => u.assessment.score))),
    },
    units: worst(unitRows, (u) => u.unitId),
    zones: worst(zoneRows, (z) => z.zoneId),
    posts: worst(postRows, (p) => p.postId),
  }
  return { report, details }
}

/** Per zone, the hotspot cells in force at some instant of the period: when (instant to next) and their latest figures. */
export function hotspotCells(s: Pick<ReportSettings, 'dep' | 'hotspots'>, at: ReadonlyArray<{ at: number; scores: CellScore[] }>, period: Interval): Map<string, Array<{ last: Hotspot; spans: Interval[] }>> {
  const out = new Map<string, Map<string, { last: Hotspot; spans: Interval[] }>>()
  if (s.hotspots === null) return new Map()
  const zones = s.dep.zones.map((z) => ({ id: z.id, resolution: z.coverage.resolution, cells: new Set(z.coverage.cells) }))
  at.forEach(({ at: t, scores }, i) => {
    const span = { from: t, to: at[i + 1]?.at ?? period.to }
    for (const [zoneId, hs] of hotspotsByZone(s.hotspots as HotspotSpec, scores, zones)) {
      let m = out.get(zoneId)
      if (m === undefined) out.set(zoneId, (m = new Map()))
      for (const h of hs) {
        const have = m.get(h.zoneCell)
        if (have === undefined) m.set(h.zoneCell, { last: h, spans: [span] })
        else {
          have.last = h
          have.spans.push(span)
        }
      }
    }
  })
  return new Map([...out].map(([z, m]) => [z, [...m.values()]]))
}

/**
 * The coverage a unit earned: its zone's cells it passed through, on the filtered track (a stay
 * counts as its centre, so a parked phone's scatter earns no cells), over the zone's cell count.
 */
function earned(t: TrackFigures, zone: { cells: ReadonlySet<string>; resolution: number } | undefined): { cellsVisited: number; zoneCells: number | null } {
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
function watchMs(t: TrackFigures, post: { lat: number; lon: number; radiusM: number } | undefined): number | null {
  if (post === undefined) return null
  let ms = 0
  for (const st of t.stops) if (haversineM(post.lat, post.lon, st.lat, st.lon) <= post.radiusM) ms += st.durationMs
  return ms
}

function group<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>()
  for (const x of xs) {
    const k = key(x)
    const list = m.get(k)
    if (list === undefined) m.set(k, [x])
    else list.push(x)
  }
  return m
}

const round4 = (x: number | null): number | null => (x === null ? null : Math.round(x * 10_000) / 10_000)
const round1 = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10)
