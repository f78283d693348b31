// Assembles the report document from the query results, as a list of named steps (each pure, in
// its own module): alert spans per subject, every unit's track, per zone (coverage series, gaps,
// priority cells, who patrolled it, map), per unit (figures, spans, score), per post (its units,
// time with no unit in its radius), then the headline. Pure; rows sorted worst first.
import { UNKNOWN_KIND } from '../rules/unit-state.js'
import type { Deployment } from '../rules/deployment.js'
import { hotspotsByZone, type CellScore, type HotspotSpec } from '../incidents/hotspots.js'
import { alertSpanTotals } from './alert-spans.js'
import type { Weights } from './assessment.js'
import { headline } from './headline.js'
import type { LevelChangeRow } from './levels.js'
import type { Report, UnitDetail } from './model.js'
import { postRows } from './post-rows.js'
import type { HotCell } from './priority-cells.js'
import type { AlertSpanRow, CellFreshness, CellSnapshots, UnitBuckets, ZoneSample } from './report-queries.js'
import type { Interval } from './track.js'
import { unitDetails, withoutLists } from './unit-rows.js'
import { unitTracks } from './unit-tracks.js'
import { zoneRows } from './zone-rows.js'

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

/** Buckets and silence settings reach a little past the period so intervals across its ends clip exactly. */
export function paddingMs(s: ReportSettings): number {
  let max = Math.max(s.dep.rules.silentAfterMs, s.dep.livenessOf(UNKNOWN_KIND).capMs)
  for (const u of s.dep.units.values()) max = Math.max(max, u.silentAfterMs, u.liveness.capMs)
  return max + MINUTE
}

export function buildReport(s: ReportSettings, inp: ReportInputs, meta: ReportMeta): { report: Report; details: Map<string, UnitDetail> } {
  const period = { from: meta.from, to: meta.to }
  const now = openUntil(meta)
  const spans = alertSpanTotals(inp.spans, period, now)
  const tracks = unitTracks(s.dep, s, inp.buckets, period)
  // Zones before units: a post's score uses its units' zone coverage.
  const zones = zoneRows(s.dep.zones, s, inp, { period, openUntil: now, tracks, spans, hot: hotspotCells(s, inp.hotspots ?? [], period) })
  const details = unitDetails(s.dep, s, tracks, new Map(inp.buckets.map((b) => [b.unitId, b.cells])), spans)
  const units = [...details.values()].map(withoutLists)
  const posts = postRows(s.dep.posts.values(), tracks, units, zones, period, s.weights)
  // The headline sums the rows in configuration order, before they are sorted.
  const head = headline(s.dep, units, zones)
  const report: Report = {
    kind: meta.kind,
    period: meta.period,
    from: meta.from,
    to: meta.to,
    timezone: s.timezone,
    generatedAt: meta.generatedAt,
    headline: head,
    units: worstFirst(units, (u) => u.unitId),
    zones: worstFirst(zones, (z) => z.zoneId),
    posts: worstFirst(posts, (p) => p.postId),
  }
  return { report, details }
}

/**
 * "Now" for a period that has not ended (intraday): an alert still open counts until now, not to
 * the period's end, and zone shares are over the time elapsed. A clock before the period is no
 * "now" inside it.
 */
export function openUntil(meta: Pick<ReportMeta, 'from' | 'to' | 'generatedAt'>): number {
  return meta.generatedAt <= meta.from ? meta.to : Math.min(meta.to, meta.generatedAt)
}

/** Sorts in place: no data first (it needs looking at), then the lowest score, then by id. */
export function worstFirst<T extends { assessment: { score: number | null } }>(xs: T[], id: (x: T) => string): T[] {
  const rank = (x: number | null): number => x ?? -1
  return xs.sort((a, b) => rank(a.assessment.score) - rank(b.assessment.score) || (id(a) < id(b) ? -1 : 1))
}

/** Per zone, the hotspot cells in force at some instant of the period: when (instant to next) and their latest figures. */
export function hotspotCells(s: Pick<ReportSettings, 'dep' | 'hotspots'>, at: ReadonlyArray<{ at: number; scores: CellScore[] }>, period: Interval): Map<string, HotCell[]> {
  const out = new Map<string, Map<string, HotCell>>()
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
