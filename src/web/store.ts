// The page's one store: loads the initial state from the GeoJSON endpoints, then follows the SSE
// stream (snapshot, position, alert, coverage; incident, plan and patrol_level go to its
// operations part, `ops`; patrol_task and anything else to onOther's listeners). Views subscribe; they never fetch live state themselves. Changes are
// reported as sets of ids so a view redraws only what changed. close() ends the stream and every
// timer the store started (logout, page unload).
import { localName } from './i18n.js'
import { api } from './api.js'
import { toAlert, toUnit, type Alert, type Cell, type Unit, type ZoneInfo } from './model.js'
import { Operations } from './operations.js'

export const TRAIL_POINTS = 20
/** Used when the API does not say a cell's max interval (the config default). */
const DEFAULT_MAX_INTERVAL_MS = 30 * 60_000
const RECONNECT_MS = 2000

let onStreamUnauthorized: () => void = () => undefined
export function setStreamUnauthorized(f: () => void): void {
  onStreamUnauthorized = f
}

export interface Post { id: string; name: string; lat: number; lon: number; radiusM: number }
export interface ZoneShape { info: ZoneInfo; geometry: GeoJSON.Geometry }

export type StoreEvent =
  | { type: 'units'; ids: Set<string> }
  | { type: 'alerts'; opened: Alert[] }
  | { type: 'coverage'; cells: Set<string> }
  | { type: 'zones' }
  | { type: 'connection'; live: boolean }
  | { type: 'loaded' }

type Obj = Record<string, unknown>
type FeatureCollection = { type: 'FeatureCollection'; features: Array<{ type: 'Feature'; id?: string | number; geometry: GeoJSON.Geometry; properties: Obj | null }> }
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

export class Store {
  readonly units = new Map<string, Unit>()
  readonly trails = new Map<string, Array<[number, number]>>()
  readonly alerts = new Map<string, Alert>()
  readonly zones = new Map<string, ZoneShape>()
  readonly cells = new Map<string, Cell>()
  readonly posts = new Map<string, Post>()
  /** Incidents, hotspots, patrol levels and active plans (the incidents stage's part of the page). */
  readonly ops = new Operations()
  /** While a replay runs, the stream's positions are not applied (the replay drives the units). */
  paused = false
  connected = false
  private readonly listeners: Array<(e: StoreEvent) => void> = []
  private abort: AbortController | null = null
  private readonly others: Array<(type: string, data: Obj) => void> = []

  subscribe(f: (e: StoreEvent) => void): void {
    this.listeners.push(f)
  }

  emit(e: StoreEvent): void {
    for (const f of this.listeners) f(e)
  }

  /** Loads everything the page shows; the operations part may finish after `loaded`. */
  async load(): Promise<void> {
    await Promise.all([this.loadMap(), this.ops.load()])
  }

  private async loadMap(): Promise<void> {
    const [zones, posts, units, alerts] = await Promise.all([
      api.get<FeatureCollection>('/api/v1/zones.geojson'),
      api.get<FeatureCollection>('/api/v1/posts.geojson'),
      api.get<FeatureCollection>('/api/v1/units.geojson'),
      api.get<unknown>('/api/v1/alerts?state=open&limit=500'),
    ])
    for (const f of zones.features) {
      const p = f.properties ?? {}
      const id = String(p.id ?? f.id)
      this.zones.set(id, { geometry: f.geometry, info: zoneInfo(id, p) })
    }
    for (const f of posts.features) {
      const p = f.properties ?? {}
      const c = (f.geometry as GeoJSON.Point).coordinates
      const id = String(p.id ?? f.id)
      this.posts.set(id, { id, name: localName(String(p.name ?? id), p.nameEn), lon: c[0]!, lat: c[1]!, radiusM: num(p.radiusM) ?? num(p.radius_m) ?? 0 })
    }
    this.applyUnits(units.features)
    this.applyAlerts(listOf(alerts, 'alerts'), false)
    await Promise.all([...this.zones.keys()].map((z) => this.loadCells(z)))
    this.emit({ type: 'loaded' })
  }

  private async loadCells(zone: string): Promise<void> {
    const fc = await api.get<FeatureCollection>(`/api/v1/zones/${encodeURIComponent(zone)}/cells?format=geojson&state=all`)
    for (const f of fc.features) {
      const p = f.properties ?? {}
      const id = String(p.cell ?? p.id ?? f.id)
      const ring = (f.geometry as GeoJSON.Polygon).coordinates[0]!.map(([lon, lat]) => [lat!, lon!] as [number, number])
      const maxI = num(p.maxIntervalMs) ?? num(p.max_interval_ms) ?? num(p.maxInterval) ?? DEFAULT_MAX_INTERVAL_MS
      this.cells.set(id, { id, zone, ring, lastVisit: num(p.lastVisit), priority: p.priority === true, maxIntervalMs: maxI })
    }
  }

  /**
   * Follows the live stream. A streamed fetch, not EventSource: one read hands over many events,
   * where EventSource dispatches each of 5,000 positions a second as its own task. Reconnects
   * with Last-Event-ID (a fetch may set it), so nothing sent meanwhile is missed.
   */
  connect(): void {
    this.abort = new AbortController()
    void this.follow(this.abort.signal)
    this.ops.startPolling()
  }

  private async follow(signal: AbortSignal): Promise<void> {
    let lastId: string | null = null
    while (!signal.aborted) {
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' }
        if (lastId !== null) headers['last-event-id'] = lastId
        const res = await fetch('/api/v1/stream?types=positions,alerts,coverage,incident,plan,patrol_level,patrol_task', { credentials: 'same-origin', headers, signal })
        if (res.status === 401) return onStreamUnauthorized()
        if (!res.ok || res.body === null) throw new Error(`stream answered ${res.status}`)
        this.setConnected(true)
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
        let buf = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buf += value
          let end: number
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, end)
            buf = buf.slice(end + 2)
            let type = 'message'
            let data = ''
            for (const line of frame.split('\n')) {
              if (line.startsWith('event:')) type = line.slice(6).trim()
              else if (line.startsWith('data:')) data += (data === '' ? '' : '\n') + line.slice(5).replace(/^ /, '')
              else if (line.startsWith('id:')) lastId = line.slice(3).trim()
            }
            if (data !== '') this.onEvent(type, data)
          }
        }
      } catch {
        // Network error or aborted: retried below unless closed.
      }
      this.setConnected(false)
      if (!signal.aborted) await new Promise((r) => setTimeout(r, RECONNECT_MS))
    }
  }

  private onEvent(type: string, data: string): void {
    if (type === 'snapshot') {
      const d = JSON.parse(data) as Obj
      if (!this.paused) this.applyUnits(listOf(d.units, 'units'))
      this.applyAlerts(listOf(d.alerts, 'alerts'), false, true)
      for (const z of listOf(d.zones, 'zones')) this.applyZoneRatios(z as Obj)
      this.emit({ type: 'zones' })
    } else if (type === 'position') {
      if (!this.paused) this.applyUnits([JSON.parse(data)])
    } else if (type === 'alert') this.applyAlerts([JSON.parse(data)], true)
    else if (type === 'coverage') this.applyCoverage(JSON.parse(data) as Obj)
    else {
      const d = JSON.parse(data) as Obj
      this.ops.onEvent(type, d)
      for (const f of this.others) f(type, d)
    }
  }

  /** Other parts of the page that follow stream events the store does not hold (e.g. patrol_task). */
  onOther(f: (type: string, data: Obj) => void): void {
    this.others.push(f)
  }

  /** Ends the stream and stops polling; connect() starts both again. */
  close(): void {
    this.abort?.abort()
    this.abort = null
    this.ops.stop()
  }

  private setConnected(live: boolean): void {
    if (live === this.connected) return
    this.connected = live
    this.emit({ type: 'connection', live })
  }

  applyUnits(raw: unknown[]): void {
    const ids = new Set<string>()
    for (const r of raw) {
      const u = toUnit(r)
      if (u === null) continue
      this.setUnit(u)
      ids.add(u.id)
    }
    if (ids.size > 0) this.emit({ type: 'units', ids })
  }

  setUnit(u: Unit): void {
    const prev = this.units.get(u.id)
    this.units.set(u.id, u)
    if (u.lat === null || u.lon === null) return
    let trail = this.trails.get(u.id)
    if (trail === undefined) this.trails.set(u.id, (trail = []))
    if (prev?.lat !== u.lat || prev?.lon !== u.lon) {
      trail.push([u.lat, u.lon])
      if (trail.length > TRAIL_POINTS) trail.shift()
    }
  }

  /** announce: alerts that newly opened are reported as `opened` (the panel announces them). */
  applyAlerts(raw: unknown[], announce: boolean, replaceAll = false): void {
    const opened: Alert[] = []
    if (replaceAll) this.alerts.clear()
    for (const r of raw) {
      const a = toAlert(r)
      if (a === null) continue
      if (a.state === 'resolved') {
        this.alerts.delete(a.id)
        continue
      }
      if (announce && a.state === 'opened' && !this.alerts.has(a.id)) opened.push(a)
      this.alerts.set(a.id, { ...this.alerts.get(a.id), ...a })
    }
    this.emit({ type: 'alerts', opened })
  }

  applyCoverage(d: Obj): void {
    this.applyZoneRatios(d)
    const changed = new Set<string>()
    for (const c of listOf(d.changed, 'changed') as Obj[]) {
      const cell = this.cells.get(String(c.cell))
      if (cell === undefined) continue
      cell.lastVisit = num(c.lastVisit)
      changed.add(cell.id)
    }
    this.emit({ type: 'zones' })
    if (changed.size > 0) this.emit({ type: 'coverage', cells: changed })
  }

  private applyZoneRatios(d: Obj): void {
    const z = this.zones.get(String(d.zone ?? d.id))
    if (z === undefined) return
    if (num(d.ratio) !== null) z.info.ratio = num(d.ratio)
    if ('responseRatio' in d) z.info.responseRatio = num(d.responseRatio)
  }
}

function zoneInfo(id: string, p: Obj): ZoneInfo {
  return { id, name: localName(String(p.name ?? id), p.nameEn), ratio: num(p.ratio) ?? num(p.coverageRatio), responseRatio: num(p.responseRatio), minRatio: num(p.minRatio) }
}

/** `[…]` or `{ key: […] }` or a FeatureCollection. */
function listOf(v: unknown, key: string): unknown[] {
  if (Array.isArray(v)) return v
  if (typeof v === 'object' && v !== null) {
    const o = v as Obj
    if (Array.isArray(o[key])) return o[key] as unknown[]
    if (Array.isArray(o.features)) return o.features as unknown[]
  }
  return []
}
