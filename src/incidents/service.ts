// The incidents stage at run time: the I/O edge around the pure parts. It stores incidents in
// ClickHouse, runs the resource search on creation, recomputes hotspots (on a schedule and after
// new incidents) and hands them with the patrol levels to the rule engine as coverage overrides,
// ticks the plan board, persists levels and active plans under <data_dir>/incidents, and returns
// every event to the caller's publish() (webhooks, MQTT, the live stream).
import { readFileSync, existsSync } from 'node:fs'
import { ensurePrivateDir, writePrivateFileSync } from '../private-files.js'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { HexpatrolError } from '../errors.js'
import type { Deployment } from '../rules/deployment.js'
import type { RuleEngine } from '../rules/engine.js'
import type { IncidentsSetup } from './compile.js'
import type { OutboundEvent } from './events.js'
import { hotspotsByZone, type Hotspot, type ZoneCells } from './hotspots.js'
import { parseIncident, type Incident, type IncidentInput } from './incident.js'
import { PatrolLevels, type LevelChange } from './levels.js'
import { coverageOverrides } from './overrides.js'
import { PlanBoard, type UnitPosition } from './plans.js'
import { RateWatch } from './rate-watch.js'
import { etaSeconds, searchUnits, type Candidate, type Proposal } from './resource-search.js'
import type { IncidentStore } from './store.js'

/** Cells fetched from ClickHouse before the per-zone top N is taken. */
const HOTSPOT_FETCH = 5000

export interface IncidentServiceOptions {
  setup: IncidentsSetup
  dep: Deployment
  rules: RuleEngine
  /** null while ClickHouse is not migrated: incidents are refused with 503, plans and levels work. */
  store: () => IncidentStore | null
  dir: string
  now: () => number
  logger: Logger
  publish: (e: OutboundEvent) => void
}

export interface CreateResult {
  id: string
  status: 'created' | 'exists' | 'rejected'
  reason?: string
  zone?: string | null
  resources?: Proposal[]
}

export class IncidentService {
  readonly levels: PatrolLevels
  readonly board: PlanBoard
  private readonly o: IncidentServiceOptions
  private readonly rate: RateWatch
  private hotspots = new Map<string, Hotspot[]>()
  private readonly zoneCells: ZoneCells[]
  hotspotsAt: number | null = null
  /** The rate window rebuilt from ClickHouse (once per process); null until first needed. */
  private rateRestored: Promise<void> | null = null
  /** ClickHouse work started in the background (hotspots, plan events); idle() waits for it. */
  private readonly pending = new Set<Promise<unknown>>()

  constructor(o: IncidentServiceOptions) {
    this.o = o
    this.levels = new PatrolLevels(o.setup.ladder, o.setup.baseLevels)
    this.board = new PlanBoard((d, kind) => etaSeconds(d, kind, o.setup.search))
    this.rate = new RateWatch(o.setup.rate.windowMs, o.setup.rate.threshold)
    this.zoneCells = o.dep.zones.map((z) => ({ id: z.id, resolution: z.resolution, cells: new Set(z.coverage.cells) }))
    ensurePrivateDir(o.dir)
    this.levels.restore(this.read('levels.json'))
    this.board.restore(this.read('plans.json'), (id) => o.setup.plans.has(id))
    o.rules.setCoverageOverrides(coverageOverrides(this.levels, () => this.hotspots, o.setup.hotspots.maxIntervalMs))
  }

  private read(name: string): unknown {
    const p = join(this.o.dir, name)
    if (!existsSync(p)) return null
    try {
      return JSON.parse(readFileSync(p, 'utf8'))
    } catch {
      this.o.logger.warn({ file: p }, 'Incidents state file is unreadable; starting without it.')
      return null
    }
  }

  private write(name: string, value: unknown): void {
    const p = join(this.o.dir, name)
    writePrivateFileSync(p, JSON.stringify(value))
  }

  zoneOf(lat: number, lon: number): string | null {
    return this.o.dep.zones.find((z) => z.polygon.contains(lat, lon))?.id ?? null
  }

  /** Live, not silent units with a position. */
  private live(now: number): Array<Candidate & { kind: string }> {
    const out: Candidate[] = []
    for (const u of this.o.rules.units(now)) {
      if (u.lastFix === null || u.silent) continue
      out.push({ id: u.id, name: u.name, kind: u.kind, lat: u.lastFix.lat, lon: u.lastFix.lon, ts: u.lastFix.ts, post: u.post, zone: u.zone })
    }
    return out
  }

  private positions(now: number): Map<string, UnitPosition> {
    return new Map(this.live(now).map((c) => [c.id, { lat: c.lat, lon: c.lon, ts: c.ts, kind: c.kind }]))
  }

  search(lat: number, lon: number, now: number, k?: number): Proposal[] {
    const s = this.o.setup.search
    return searchUnits(this.live(now), lat, lon, k === undefined ? s : { ...s, k }, this.board.committedUnits())
  }

  private storeOrThrow(): IncidentStore {
    const s = this.o.store()
    if (s === null) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'ClickHouse is not ready; incidents cannot be stored yet.')
    return s
  }

  /**
   * Stores new incidents (ids already stored are reported as `exists`, nothing else happens).
   * Live incidents (`search`) get the resource search and an incident.opened event; a bulk import
   * of past incidents does not, but feeds the hotspots all the same.
   */
  async add(inputs: readonly IncidentInput[], opts: { source: string; search: boolean; by: string }): Promise<CreateResult[]> {
    const store = this.storeOrThrow()
    await this.restoreRate(store)
    const now = this.o.now()
    const results: CreateResult[] = []
    const fresh: Array<{ incident: Incident; zone: string | null }> = []
    const seen = new Set<string>()
    for (const input of inputs) {
      const i = parseIncident(input, now)
      if (typeof i === 'string') results.push({ id: typeof input.id === 'string' ? input.id : '', status: 'rejected', reason: i })
      else if (seen.has(i.id)) results.push({ id: i.id, status: 'exists' })
      else {
        seen.add(i.id)
        fresh.push({ incident: i, zone: this.zoneOf(i.lat, i.lon) })
      }
    }
    const have = await store.existing(fresh.map((f) => f.incident.id))
    const insert = fresh.filter((f) => !have.has(f.incident.id))
    await store.insert(insert, opts.source, now)
    const byId = new Map(insert.map((f) => [f.incident.id, f]))
    for (const f of fresh) {
      const created = byId.get(f.incident.id)
      if (created === undefined) {
        results.push({ id: f.incident.id, status: 'exists' })
        continue
      }
      const r: CreateResult = { id: f.incident.id, status: 'created', zone: f.zone }
      if (opts.search) {
        r.resources = this.search(f.incident.lat, f.incident.lon, now)
        this.o.publish(openedEvent(f.incident, f.zone, r.resources, now))
      }
      if (f.zone !== null) this.watchRate(f.zone, f.incident.id, f.incident.ts, now)
      results.push(r)
    }
    if (insert.length > 0) await this.recomputeHotspots()
    return results
  }

  query(q: Parameters<IncidentStore['query']>[0]) {
    return this.storeOrThrow().query(q)
  }

  incident(id: string) {
    return this.storeOrThrow().get(id)
  }

  /**
   * The rate window survives a restart: before the first incident of this process is counted,
   * the window is rebuilt from the `incidents` table (every add() waits for it, so none is counted
   * before the history). A failed query fails that add() before anything is stored; the next
   * add() tries again.
   */
  private restoreRate(store: IncidentStore): Promise<void> {
    const rate = this.o.setup.rate
    if (rate.threshold <= 0) return Promise.resolve()
    this.rateRestored ??= this.track((async () => {
      const now = this.o.now()
      const rows = await store.zonedSince(now - rate.windowMs)
      this.rate.restore(rows, now)
      this.o.logger.info({ incidents: rows.length, windowMs: rate.windowMs }, 'Incident rate window rebuilt from ClickHouse.')
    })().catch((err: Error) => {
      this.rateRestored = null
      throw new HexpatrolError('HEXP_ERR_CLICKHOUSE_UNAVAILABLE', `The incident rate window could not be read from ClickHouse: ${err.message.split('\n')[0]}`, { cause: err })
    }))
    return this.rateRestored
  }

  private watchRate(zoneId: string, id: string, ts: number, now: number): void {
    const rate = this.o.setup.rate
    this.rate.add(zoneId, id, ts, now)
    if (!this.rate.shouldSuggest(zoneId, now)) return
    const current = this.levels.effective(zoneId, now)
    const target = this.levels.spec(rate.suggestLevel)!
    if (current.rank >= target.rank) return
    const count = this.rate.count(zoneId, now)
    const windowH = Math.round(rate.windowMs / 3_600_000)
    const summary = `${zoneId}: ${count} incidents within ${windowH} h; suggest raising the patrol level from ${current.name} to ${target.name}`
    this.o.publish({ id: `patrol_level.suggested.${zoneId}.${ts}`, type: 'patrol_level.suggested', at: now, subject: `zone:${zoneId}`, summary, data: { zoneId, from: current.name, to: target.name, incidents: count, windowMs: rate.windowMs, autoApplied: rate.autoApply } })
    if (rate.autoApply) this.setLevel(zoneId, target.name, { reason: `automatic: ${count} incidents within ${windowH} h`, by: 'hexpatrol', expiresAt: now + rate.autoExpiryMs })
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p)
    // then(done, done), not finally(): a derived promise must not re-raise the rejection unhandled.
    const done = () => this.pending.delete(p)
    p.then(done, done)
    return p
  }

  /** Resolves when no ClickHouse work of this stage is in flight (before the client is closed). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }

  /** Never throws: on failure the previous hotspots stay in force (logged); false then. */
  recomputeHotspots(): Promise<boolean> {
    return this.track(this.computeHotspots())
  }

  private async computeHotspots(): Promise<boolean> {
    const h = this.o.setup.hotspots
    const store = this.o.store()
    if (!h.enabled || store === null) return false
    const now = this.o.now()
    try {
      const scores = await store.hotspotScores(h, now, HOTSPOT_FETCH)
      this.hotspots = hotspotsByZone(h, scores, this.zoneCells)
      this.hotspotsAt = now
      return true
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'Hotspot recomputation failed; the previous hotspots stay in force.')
      return false
    }
  }

  hotspotList(zoneId?: string): Hotspot[] {
    return [...this.hotspots.values()].flat().filter((h) => zoneId === undefined || h.zoneId === zoneId)
  }

  /** Changes a zone's level; effective at the next rule tick. Null when nothing changed. */
  setLevel(zoneId: string, level: string, o: { reason: string; by: string; expiresAt: number | null }): LevelChange | null {
    const change = this.levels.set(zoneId, level, o, this.o.now())
    if (change !== null) this.levelChanged(change)
    return change
  }

  private levelChanged(c: LevelChange): void {
    this.write('levels.json', this.levels.toJSON())
    const until = c.expiresAt === null ? '' : ` until ${new Date(c.expiresAt).toISOString().slice(0, 16)}Z`
    this.o.publish({
      id: `patrol_level.${c.zoneId}.${c.at}.${c.to}`,
      type: 'patrol_level.changed',
      at: c.at,
      subject: `zone:${c.zoneId}`,
      summary: `${c.zoneId}: patrol level ${c.from} → ${c.to}${until} (${c.by}: ${c.reason})`,
      data: { ...c },
    })
  }

  planSpecs() {
    return [...this.o.setup.plans.values()]
  }

  activate(planId: string, o: { by: string; incidentId: string | null; centre: { lat: number; lon: number } | null }) {
    const spec = this.o.setup.plans.get(planId)
    if (spec === undefined) return null
    const r = this.board.activate(spec, o, this.o.now())
    this.planEvents(r.events)
    return r.activation
  }

  deactivate(planId: string, by: string) {
    const r = this.board.deactivate(planId, by, this.o.now())
    this.planEvents(r.events)
    return r.activation
  }

  planStatus(planId: string) {
    const now = this.o.now()
    return this.board.status(planId, now, this.positions(now))
  }

  private planEvents(events: OutboundEvent[]): void {
    if (events.length === 0) return
    this.write('plans.json', this.board.toJSON())
    for (const e of events) this.o.publish(e)
    const store = this.o.store()
    if (store !== null) void this.track(store.insertPlanEvents(events)).catch((err: Error) => this.o.logger.warn({ err: err.message, events: events.length }, 'Plan events could not be stored in ClickHouse; they were delivered.'))
  }

  /** Per rule tick: level expiries, plan tracking. */
  tick(now: number): void {
    for (const c of this.levels.expire(now)) this.levelChanged(c)
    if (this.board.list().length === 0) return
    this.planEvents(this.board.tick(now, this.positions(now)))
  }
}

export function openedEvent(i: Incident, zone: string | null, resources: Proposal[], now: number): OutboundEvent {
  const first = resources[0]
  const nearest = first === undefined ? 'no available unit' : `nearest ${first.unitId} at ${first.distanceM} m, ETA ${Math.ceil(first.etaS / 60)} min`
  return {
    id: `incident.${i.id}.opened`,
    type: 'incident.opened',
    at: now,
    subject: `incident:${i.id}`,
    summary: `Incident ${i.id} (${i.type}, priority ${i.priority})${zone === null ? '' : ` in ${zone}`}: ${nearest}`,
    data: { incident: { ...i, zone }, resources },
  }
}
