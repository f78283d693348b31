// Runs the report queries (through ReportQueries, implemented by the storage module) and assembles
// the document: the one place the reports stage does I/O for a report. Queries of one report run concurrently.
import type { Config } from '../config/schema.js'
import type { Deployment } from '../rules/deployment.js'
import { buildReport, hotspotCells, paddingMs, type ReportMeta, type ReportSettings } from './build.js'
import type { Report, UnitDetail } from './model.js'
import type { EventRow, ReportQueries, RoutePoint } from './report-queries.js'
import { planSection, type PlansSection } from './plans.js'
import { integritySection, MAX_INTEGRITY_SIGNALS } from './integrity.js'
import { makeUpSection } from './make-up.js'
import { compileIncidents, type IncidentsSetup } from '../incidents/compile.js'
import type { CellScore } from '../incidents/hotspots.js'

/** Hotspots are recomputed at most this many times per report period (and at the live cadence at most). */
const HOTSPOT_INSTANTS = 24
/** As many hotspot cells as the live engine fetches. */
const HOTSPOT_FETCH = 2000

/** `incidents`: the setup compiled at boot (compiled here when a tool or test gives none). */
export function reportSettings(config: Config, dep: Deployment, incidents: IncidentsSetup = compileIncidents(config)): ReportSettings {
  const r = config.reports
  return {
    dep,
    timezone: r.timezone,
    stopRadiusM: r.stop_radius_m,
    stopMinMs: r.stop_min_duration,
    noiseM: r.noise_m,
    maxAccuracyM: r.max_accuracy_m,
    weights: { ...r.weights },
    movingTarget: r.patrol_moving_share,
    levels: {
      minRatio: new Map(config.patrol_levels.ladder.map((l) => [l.name, l.min_ratio])),
      base: new Map(config.zones.map((z) => [z.id, config.patrol_levels.zones[z.id] ?? (config.patrol_levels.ladder[0] as { name: string }).name])),
    },
    hotspots: ((h) => (h.enabled ? { ...h, stepMs: h.recomputeEveryMs, intervalByLevel: new Map(config.patrol_levels.ladder.map((l) => [l.name, l.hotspot_interval])) } : null))(incidents.hotspots),
    watchPosts: new Set(config.posts.filter((p) => p.watch).map((p) => p.id)),
    snapshotIntervalMs: config.rules.coverage_snapshot_interval,
  }
}

export class ReportService {
  constructor(private readonly queries: ReportQueries, readonly settings: ReportSettings, private readonly now: () => number = Date.now) {}

  private async compute(meta: Omit<ReportMeta, 'generatedAt'>, units?: string[]): Promise<{ report: Report; details: Map<string, UnitDetail> }> {
    const s = this.settings
    const pad = paddingMs(s)
    const p = { from: meta.from, to: meta.to }
    const hotspots = await this.hotspotHistory(meta)
    const hotCells = [...hotspotCells(s, hotspots, meta).values()].flat().map((h) => h.last.zoneCell)
    const priorityCells = [...new Set([...s.dep.zones.flatMap((z) => z.coverage.priority.map((c) => c.cell)), ...hotCells])]
    const [buckets, spans, series, priority, freshness, plans, levels, integrity, tasks] = await Promise.all([
      this.queries.unitBuckets({ from: meta.from - pad, to: meta.to + pad, cellsFrom: meta.from, cellsTo: meta.to, maxAccuracyM: s.maxAccuracyM, ...(units === undefined ? {} : { units }) }),
      this.queries.alertSpans(p),
      this.queries.zoneSeries(p),
      this.queries.prioritySnapshots({ ...p, cells: priorityCells }),
      this.queries.cellFreshness(p),
      units === undefined ? this.queries.planEvents(p) : [],
      this.queries.levelChanges(p),
      units === undefined ? this.queries.integritySignals({ ...p, limit: MAX_INTEGRITY_SIGNALS }) : [],
      units === undefined ? this.queries.patrolTasks(p) : [],
    ])
    const built = buildReport(s, { buckets, spans, series, priority, freshness, levels, hotspots }, { ...meta, generatedAt: this.now() })
    built.report.plans = planSection(plans)
    built.report.integrity = integritySection(integrity, (id) => s.dep.units.get(id)?.name ?? id)
    const zoneNames = new Map(s.dep.zones.map((z) => [z.id, z.name]))
    built.report.makeUp = makeUpSection(tasks, (z) => zoneNames.get(z) ?? z)
    return built
  }

  /** Hotspot scores at instants through the period, as the live engine would have computed them then. */
  private async hotspotHistory(meta: { from: number; to: number }): Promise<Array<{ at: number; scores: CellScore[] }>> {
    const h = this.settings.hotspots
    if (h === null) return []
    const step = Math.max(h.stepMs, Math.ceil((meta.to - meta.from) / HOTSPOT_INSTANTS))
    const out: Array<{ at: number; scores: CellScore[] }> = []
    // One at a time: a report must not crowd out the engine's own queries.
    for (let at = meta.from; at < meta.to; at += step) out.push({ at, scores: await this.queries.hotspotScores(h, at, HOTSPOT_FETCH) })
    return out
  }

  /** The whole report (every unit, zone and post) for a period. */
  async report(meta: Omit<ReportMeta, 'generatedAt'>): Promise<Report> {
    return (await this.compute(meta)).report
  }

  /** One unit's figures with its stops, trips and silent periods (Traccar's summary/stops/trips). */
  async unit(unitId: string, from: number, to: number): Promise<UnitDetail | null> {
    const { details } = await this.compute({ kind: 'custom', period: '', from, to }, [unitId])
    return details.get(unitId) ?? null
  }

  /** Plan activations that started in [from, to), optionally of one plan: time to man each checkpoint. */
  async plans(from: number, to: number, planId?: string): Promise<PlansSection> {
    return planSection(await this.queries.planEvents({ from, to }), planId)
  }

  route(unitId: string, from: number, to: number, limit: number): Promise<RoutePoint[]> {
    return this.queries.route({ unit: unitId, from, to, limit })
  }

  events(from: number, to: number, limit: number, unitId?: string): Promise<EventRow[]> {
    return this.queries.events({ from, to, limit, ...(unitId === undefined ? {} : { unit: unitId }) })
  }
}
