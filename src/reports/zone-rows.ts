// Per zone: coverage series (below the min_ratio in force), gaps, priority cells, the units that
// patrolled it and their share of its time, cell freshness, levels and the zone's score. Pure.
import type { ZoneSpec } from '../rules/deployment.js'
import { seriesStats, type SeriesStats, type SpanStats } from './aggregate.js'
import { score, type Weights } from './assessment.js'
import { levelAt, levelSpans, type LevelChangeRow } from './levels.js'
import type { Score, ZoneRow } from './model.js'
import { cellKey, priorityCells, type HotCell } from './priority-cells.js'
import type { SpanLookup } from './alert-spans.js'
import type { CellFreshness, CellSnapshots, ZoneSample } from './report-queries.js'
import type { Interval, TrackFigures } from './track.js'

const MINUTE = 60_000

/** The report settings a zone row reads. */
export interface ZoneSettings {
  weights: Weights
  levels: { minRatio: ReadonlyMap<string, number | undefined>; base: ReadonlyMap<string, string> }
  hotspots: { maxIntervalMs: number; intervalByLevel: ReadonlyMap<string, number | undefined> } | null
  snapshotIntervalMs: number
}

export interface ZoneInputs { series: ZoneSample[]; priority: CellSnapshots[]; freshness: CellFreshness[]; levels: LevelChangeRow[] }

/** What the earlier steps found: tracks, alert spans, hotspot cells by zone; the period and its "now". */
export interface ZoneFacts { period: Interval; openUntil: number; tracks: ReadonlyMap<string, TrackFigures>; spans: SpanLookup; hot: ReadonlyMap<string, HotCell[]> }

export function zoneRows(zones: readonly ZoneSpec[], s: ZoneSettings, inp: ZoneInputs, f: ZoneFacts): ZoneRow[] {
  const series = group(inp.series, (x) => x.zone_id)
  const freshness = group(inp.freshness, (x) => x.zone_id)
  const snapshots = new Map(inp.priority.map((p) => [cellKey(p.zone_id, p.cell), p.s]))
  const capMs = 3 * s.snapshotIntervalMs
  // A hotspot's max_interval: its level's hotspot_interval when it became one, else incidents.hotspots.max_interval.
  const hotInterval = (level: string): number => {
    const h = s.hotspots as NonNullable<ZoneSettings['hotspots']>
    return h.intervalByLevel.get(level) ?? h.maxIntervalMs
  }
  return zones.map((z) => {
    const levels = levelSpans(s.levels.base.get(z.id) as string, inp.levels.filter((c) => c.zone_id === z.id), f.period)
    // Below min against the ratio in force: a level that sets min_ratio replaces the zone's.
    const st = seriesStats(series.get(z.id) ?? [], (at) => s.levels.minRatio.get(levelAt(levels, at, '')) ?? z.minRatio, f.period, capMs)
    const gaps = f.spans('coverage_gap', z.id)
    return {
      zoneId: z.id,
      name: z.name,
      minRatio: z.minRatio,
      coverage: { samples: st.samples, mean: st.mean, min: st.min, belowMinMs: st.belowMinMs },
      response: { mean: st.responseMean, min: st.responseMin },
      gaps,
      responseGaps: f.spans('response_gap', z.id),
      priorityCells: priorityCells(z, f.hot.get(z.id) ?? [], { snapshots, levels, hotInterval, period: f.period, capMs }),
      units: unitShares(zoneMinutes(z.polygon, f.tracks)),
      cells: (freshness.get(z.id) ?? []).map((c) => ({ cell: c.cell, fresh: Math.round(c.fresh * 10_000) / 10_000 })),
      levels,
      assessment: zoneScore(st, gaps, f.openUntil - f.period.from, s.weights),
    }
  })
}

/** Time each unit's track segments spent inside the zone, in track order; units with none are left out. */
export function zoneMinutes(polygon: Pick<ZoneSpec['polygon'], 'contains'>, tracks: ReadonlyMap<string, Pick<TrackFigures, 'segments'>>): Map<string, number> {
  const minutes = new Map<string, number>()
  for (const [id, t] of tracks) {
    let ms = 0
    for (const seg of t.segments) if (polygon.contains(seg.lat, seg.lon)) ms += seg.to - seg.from
    if (ms > 0) minutes.set(id, ms)
  }
  return minutes
}

/** Each unit's whole minutes in the zone and share of all units' time there, largest share first. */
export function unitShares(ms: ReadonlyMap<string, number>): ZoneRow['units'] {
  const total = [...ms.values()].reduce((a, b) => a + b, 0)
  return [...ms].map(([unitId, x]) => ({ unitId, minutes: Math.round(x / MINUTE), share: Math.round((x / total) * 10_000) / 10_000 })).sort((a, b) => b.share - a.share || (a.unitId < b.unitId ? -1 : 1))
}

/**
 * The zone's score over the time elapsed: mean coverage, presence (time not below min) and
 * breaches (time without a coverage gap). No coverage snapshot: no data (null), not a perfect zone.
 */
export function zoneScore(st: Pick<SeriesStats, 'samples' | 'mean' | 'belowMinMs'>, gaps: Pick<SpanStats, 'totalMs'>, elapsedMs: number, weights: Weights): Score {
  return score(st.samples === 0
    ? { coverage: null, presence: null, breaches: null }
    : { coverage: st.mean, presence: 1 - st.belowMinMs / elapsedMs, breaches: 1 - gaps.totalMs / elapsedMs }, weights)
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
