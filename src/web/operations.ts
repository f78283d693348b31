// Incident-guided patrol on the page (issue 14), from the public API only: incidents
// (GET /incidents?format=geojson, SSE `incident`; incident.assigned / incident.closed re-read that
// incident's status and assignments from GET /incidents/{id}), hotspots (GET /hotspots), patrol
// levels with their overrides and open suggestions (GET /levels, re-read on SSE `patrol_level`) and
// active plans (GET /plans, GET /plans/{id}, SSE `plan`: each plan event refetches that plan's
// status, the one source of checkpoint states). Views subscribe; a deployment without the
// incidents stage simply shows none of it. Not a store of its own: the page's one Store holds it
// (store.ops), feeds it the stream's events and starts and stops its polling with the stream.
import { api } from './api.js'
import { localIfSame, named, type Named } from './plan-names.js'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)

export interface Resource { unitId: string; name: string; distanceM: number; etaS: number }
export interface Assigned { unitId: string; by: string; at: number; distanceM: number | null; etaS: number | null }
export interface Incident {
  id: string; type: string; priority: number; ts: number; lat: number; lon: number; address: string; zone: string | null; resources: Resource[]
  /** Dispatch (GET /incidents, incident.assigned / incident.closed): open or closed, the units assigned, the outcome. */
  status: 'open' | 'closed'; assignments: Assigned[]; outcome: string | null
}
export interface Hotspot { id: string; zone: string; cell: string; score: number; incidents: number; ring: Array<[number, number]> }
export interface CheckpointUnit { unitId: string; live: boolean; distanceM: number | null; etaS: number | null }
export type CheckpointState = 'pending' | 'missed' | 'reached'
/** name / nameEn: as the engine sent them (engine locale, configured English name); views pick with local(). */
export interface Checkpoint extends Named { index: number; lat: number; lon: number; radiusM: number; deadline: number; state: CheckpointState; reachedBy: string | null; units: CheckpointUnit[] }
export interface ActivePlan extends Named { id: string; activationId: string; incidentId: string | null; activatedAt: number; completedAt: number | null; checkpoints: Checkpoint[] }
export interface ZoneLevel { zone: string; level: string; base: string; rung: number }
/** A zone's level as GET /levels gives it: the override in force (who, why, until), if any. */
export interface LevelOverride { level: string; reason: string; by: string; at: number; expiresAt: number | null }
/** An open patrol_level.suggested proposal (GET /levels `suggestions`). */
export interface LevelSuggestion { id: string; zone: string; from: string; to: string; incidents: number; windowMs: number; at: number }

export type OpsEvent = { type: 'incidents'; opened: Incident[] } | { type: 'hotspots' } | { type: 'plans' } | { type: 'levels' }

/** How long ago incidents are loaded from; the stream adds new ones. */
const INCIDENT_WINDOW_MS = 24 * 3_600_000
const INCIDENT_LIMIT = 500
/** Hotspots are recomputed on the engine's schedule and after imports: polled this often (and incidents with them). */
const HOTSPOT_POLL_MS = 30_000
/** Units' distance and ETA to their checkpoint change with every fix: active plans are re-read this often. */
const PLAN_POLL_MS = 5_000

export function toIncident(raw: unknown, resources: unknown = []): Incident | null {
  if (!isObj(raw)) return null
  let p = raw
  let lat = num(raw.lat)
  let lon = num(raw.lon)
  if (raw.type === 'Feature') {
    p = isObj(raw.properties) ? raw.properties : {}
    const c = isObj(raw.geometry) && Array.isArray(raw.geometry.coordinates) ? raw.geometry.coordinates : []
    lon = num(c[0])
    lat = num(c[1])
  }
  const id = str(p.id)
  if (id === null || lat === null || lon === null) return null
  return {
    id,
    type: str(p.type) ?? 'other',
    priority: num(p.priority) ?? 3,
    ts: num(p.ts) ?? 0,
    lat,
    lon,
    address: str(p.address) ?? '',
    zone: str(p.zone),
    resources: (Array.isArray(resources) ? resources : []).filter(isObj).map((r) => ({ unitId: String(r.unitId), name: str(r.name) ?? String(r.unitId), distanceM: num(r.distanceM) ?? 0, etaS: num(r.etaS) ?? 0 })),
    status: p.status === 'closed' ? 'closed' : 'open',
    assignments: (Array.isArray(p.assignments) ? p.assignments : []).filter(isObj).map((a) => ({ unitId: String(a.unitId), by: str(a.by) ?? '', at: num(a.at) ?? 0, distanceM: num(a.distanceM), etaS: num(a.etaS) })),
    outcome: str(p.outcome),
  }
}

/** A plan's names and its checkpoints' (by index), from GET /plans or GET /plans/{id}. */
interface PlanNames extends Named { checkpoints: Named[] }

function toPlanNames(p: Obj): PlanNames {
  const id = String(p.id)
  return { ...named(p, id), checkpoints: (Array.isArray(p.checkpoints) ? p.checkpoints.filter(isObj) : []).map((c) => named(c, '')) }
}

function toPlan(id: string, names: Named, s: Obj): ActivePlan {
  const cps = Array.isArray(s.checkpoints) ? s.checkpoints.filter(isObj) : []
  return {
    id,
    ...names,
    activationId: String(s.activationId),
    incidentId: str(s.incidentId),
    activatedAt: num(s.activatedAt) ?? 0,
    completedAt: num(s.completedAt),
    checkpoints: cps.map((c) => ({
      index: num(c.index) ?? 0,
      ...named(c, ''),
      lat: num(c.lat) ?? 0,
      lon: num(c.lon) ?? 0,
      radiusM: num(c.radiusM) ?? 0,
      deadline: num(c.deadline) ?? 0,
      state: c.state === 'reached' || c.state === 'missed' ? c.state : 'pending',
      reachedBy: str(c.reachedBy),
      units: (Array.isArray(c.units) ? c.units.filter(isObj) : []).map((u) => ({ unitId: String(u.unitId), live: u.live === true, distanceM: num(u.distanceM), etaS: num(u.etaS) })),
    })),
  }
}

export class Operations {
  readonly incidents = new Map<string, Incident>()
  readonly hotspots = new Map<string, Hotspot>()
  readonly plans = new Map<string, ActivePlan>()
  readonly levels = new Map<string, ZoneLevel>()
  /** Zone → the override in force (GET /levels; re-read on every patrol_level.* event). */
  readonly overrides = new Map<string, LevelOverride>()
  /** Open level suggestions, oldest first. */
  suggestions: LevelSuggestion[] = []
  /** Plan id → its names and its checkpoints' names, for every plan defined (config or API). */
  private readonly planNames = new Map<string, PlanNames>()
  private ladder: string[] = []
  private readonly listeners: Array<(e: OpsEvent) => void> = []
  /** The polling intervals and the pending hotspot re-reads: owned here, cleared by stop(). */
  private polls: Array<ReturnType<typeof setInterval>> = []
  private readonly pending = new Set<ReturnType<typeof setTimeout>>()

  subscribe(f: (e: OpsEvent) => void): void {
    this.listeners.push(f)
  }

  private emit(e: OpsEvent): void {
    for (const f of this.listeners) f(e)
  }

  async load(): Promise<void> {
    await Promise.all([this.loadIncidents(), this.loadHotspots(), this.loadLevels(), this.loadPlans()])
  }

  /** Starts polling what the stream does not carry (idempotent: a second call changes nothing). */
  startPolling(): void {
    if (this.polls.length > 0) return
    this.polls = [
      // Imports of past incidents announce nothing: they show with the next poll, like their hotspots.
      setInterval(() => void Promise.all([this.loadHotspots(), this.loadIncidents()]), HOTSPOT_POLL_MS),
      setInterval(() => { for (const id of this.plans.keys()) void this.loadPlan(id) }, PLAN_POLL_MS),
    ]
  }

  /** Stops every timer this started (logout, page unload). */
  stop(): void {
    for (const h of this.polls) clearInterval(h)
    this.polls = []
    for (const h of this.pending) clearTimeout(h)
    this.pending.clear()
  }

  /** Any of these may be absent (no incidents stage, ClickHouse not ready): the map works without. */
  private async quiet<T>(path: string): Promise<T | null> {
    try {
      return await api.get<T>(path)
    } catch {
      return null
    }
  }

  private async loadIncidents(): Promise<void> {
    const from = Date.now() - INCIDENT_WINDOW_MS
    const fc = await this.quiet<{ features?: unknown[] }>(`/api/v1/incidents?format=geojson&from=${from}&limit=${INCIDENT_LIMIT}`)
    for (const f of fc?.features ?? []) {
      const i = toIncident(f)
      if (i !== null) this.incidents.set(i.id, { ...i, resources: this.incidents.get(i.id)?.resources ?? [] })
    }
    this.emit({ type: 'incidents', opened: [] })
  }

  async loadHotspots(): Promise<void> {
    const fc = await this.quiet<{ features?: unknown[] }>('/api/v1/hotspots')
    if (fc === null) return
    this.hotspots.clear()
    for (const f of (fc.features ?? []).filter(isObj)) {
      const p = isObj(f.properties) ? f.properties : {}
      const ring = isObj(f.geometry) && Array.isArray(f.geometry.coordinates) ? (f.geometry.coordinates[0] as Array<[number, number]>) : []
      const id = `${String(p.zone)}:${String(p.cell)}`
      this.hotspots.set(id, { id, zone: String(p.zone), cell: String(p.cell), score: num(p.score) ?? 0, incidents: num(p.incidents) ?? 0, ring: ring.map(([lon, lat]) => [lat, lon]) })
    }
    this.emit({ type: 'hotspots' })
  }

  /** The ladder's level names, lowest first. */
  levelNames(): readonly string[] {
    return this.ladder
  }

  async loadLevels(): Promise<void> {
    const r = await this.quiet<{ ladder?: Array<{ name: string }>; zones?: Obj[]; suggestions?: unknown[] }>('/api/v1/levels')
    if (r === null) return
    this.ladder = (r.ladder ?? []).map((l) => l.name)
    this.overrides.clear()
    for (const z of r.zones ?? []) {
      this.setLevel(String(z.zoneId), String(z.level), String(z.base))
      const o = isObj(z.override) ? z.override : null
      if (o !== null) this.overrides.set(String(z.zoneId), { level: String(o.level), reason: String(o.reason), by: String(o.by), at: num(o.at) ?? 0, expiresAt: num(o.expiresAt) })
    }
    this.suggestions = (r.suggestions ?? []).filter(isObj).map((x) => ({ id: String(x.id), zone: String(x.zoneId), from: String(x.from), to: String(x.to), incidents: num(x.incidents) ?? 0, windowMs: num(x.windowMs) ?? 0, at: num(x.at) ?? 0 }))
    this.emit({ type: 'levels' })
  }

  private setLevel(zone: string, level: string, base: string): void {
    this.levels.set(zone, { zone, level, base, rung: Math.max(0, this.ladder.indexOf(level)) })
  }

  private async loadPlans(): Promise<void> {
    const r = await this.quiet<{ plans?: Obj[] }>('/api/v1/plans')
    for (const p of r?.plans ?? []) this.planNames.set(String(p.id), toPlanNames(p))
    await Promise.all([...(r?.plans ?? [])].filter((p) => p.active === true).map((p) => this.loadPlan(String(p.id))))
    this.emit({ type: 'plans' })
  }

  async loadPlan(id: string): Promise<void> {
    const r = await this.quiet<Obj>(`/api/v1/plans/${encodeURIComponent(id)}`)
    if (r === null) return
    if (str(r.name) !== null) this.planNames.set(id, toPlanNames({ ...r, id }))
    const names = this.planNames.get(id) ?? { name: id, nameEn: null }
    if (isObj(r.active)) this.plans.set(id, toPlan(id, { name: names.name, nameEn: names.nameEn }, r.active))
    else this.plans.delete(id)
    this.emit({ type: 'plans' })
  }

  /** A plan's name in the page's language, if the page knows the plan (still) called `given` (see plan-names.ts). */
  planName(id: string, given: string | null): string | undefined {
    return localIfSame([this.planNames.get(id)], given)
  }

  /** A checkpoint's name in the page's language: the active plan's checkpoint first, else the plan's definition. */
  checkpointName(planId: string, index: number, given: string | null): string | undefined {
    const active = this.plans.get(planId)?.checkpoints.find((c) => c.index === index)
    return localIfSame([active, this.planNames.get(planId)?.checkpoints[index]], given)
  }

  /** A stream event of type incident, plan or patrol_level (the OutboundEvent as `data`). */
  onEvent(type: string, e: Obj): void {
    const d = isObj(e.data) ? e.data : {}
    if (type === 'incident' && e.type === 'incident.opened') {
      const i = toIncident(d.incident, d.resources)
      if (i === null) return
      const isNew = !this.incidents.has(i.id)
      this.incidents.set(i.id, i)
      this.emit({ type: 'incidents', opened: isNew ? [i] : [] })
      // A new incident may make or move a hotspot (the engine recomputes after adding it).
      const h = setTimeout(() => {
        this.pending.delete(h)
        void this.loadHotspots()
      }, 1500)
      this.pending.add(h)
    } else if (type === 'incident' && (e.type === 'incident.assigned' || e.type === 'incident.closed') && typeof d.incidentId === 'string') {
      void this.loadIncident(d.incidentId)
    } else if (type === 'plan' && typeof d.planId === 'string') {
      void this.loadPlan(d.planId)
    } else if (type === 'patrol_level' && e.type === 'patrol_level.changed' && typeof d.zoneId === 'string') {
      this.setLevel(d.zoneId, String(d.to), this.levels.get(d.zoneId)?.base ?? String(d.from))
      this.emit({ type: 'levels' })
    }
    // Overrides and suggestions (suggested, accepted, dismissed) are re-read whole: small, and
    // every dispatcher's page then shows the same.
    if (type === 'patrol_level') void this.loadLevels()
  }

  /** Re-reads one incident (its status and assignments changed): GET /incidents/{id}. */
  async loadIncident(id: string): Promise<void> {
    const r = await this.quiet<Obj>(`/api/v1/incidents/${encodeURIComponent(id)}`)
    const i = r === null ? null : toIncident(r)
    if (i === null) return
    this.incidents.set(i.id, { ...i, resources: this.incidents.get(i.id)?.resources ?? [] })
    this.emit({ type: 'incidents', opened: [] })
  }
}
