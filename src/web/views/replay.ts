// Replay of a period from ClickHouse (`/api/v1/replay/positions` and `/replay/coverage`): live
// positions are paused, a replay clock runs at the chosen speed and moves the units; the
// coverage cells take the state of the latest snapshot at the replay time. "Back to live" reloads.
import { api } from '../api.js'
import { h, fmtTime } from '../dom.js'
import { label, t } from '../i18n.js'
import type { Store } from '../store.js'
import type { MapView } from './map-layers.js'

interface Pos { unitId: string; ts: number; lat: number; lon: number; speed: number | null }
interface CoverageAt { snapshotAt: number | null; zones: Array<{ zone: string; ratio: number; responseRatio: number | null }>; cells: Array<{ cell: string; lastVisit: number | null }> }

const SPEEDS = [1, 10, 60, 300, 1800]
/** Rows asked for; longer periods are thinned to one fix per unit per step. */
const MAX_ROWS = 200_000
/** Coverage is re-read at most this often in wall time. */
const COVERAGE_EVERY_MS = 1000

const toLocalInput = (ms: number) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000)
  return d.toISOString().slice(0, 16)
}

export class Replay {
  readonly el = h('section', { class: 'panel replay', id: 'replay' })
  private readonly from = h('input', { type: 'datetime-local', id: 'replay-from' })
  private readonly to = h('input', { type: 'datetime-local', id: 'replay-to' })
  private readonly speed = h('select', { id: 'replay-speed' })
  private readonly play = label(h('button', { type: 'button', id: 'replay-play' }), 'replay.play')
  private readonly stop = label(h('button', { type: 'button', id: 'replay-stop', disabled: '' }), 'replay.stop')
  private readonly status = h('div', { class: 'replay-status', id: 'replay-status' })
  private positions: Pos[] = []
  private next = 0
  private clock = 0
  private end = 0
  private running = false
  private lastWall = 0
  private lastCoverage = 0
  private coverageBusy = false
  private noCoverage = false

  constructor(private readonly store: Store, private readonly map: MapView) {
    const now = Date.now()
    this.from.value = toLocalInput(now - 3_600_000)
    this.to.value = toLocalInput(now)
    for (const s of SPEEDS) this.speed.append(h('option', { value: String(s) }, `${s}×`))
    this.speed.value = '60'
    this.el.append(label(h('h2'), 'replay.title'),
      h('div', { class: 'row' }, label(h('label', { for: 'replay-from' }), 'replay.from'), this.from),
      h('div', { class: 'row' }, label(h('label', { for: 'replay-to' }), 'replay.to'), this.to),
      h('div', { class: 'row' }, label(h('label', { for: 'replay-speed' }), 'replay.speed'), this.speed, this.play, this.stop),
      this.status)
    this.play.onclick = () => void this.toggle()
    this.stop.onclick = () => void this.backToLive()
  }

  get active(): boolean {
    return this.store.paused
  }

  private async toggle(): Promise<void> {
    if (this.running) {
      this.running = false
      this.play.dataset.i18n = 'replay.play'
      this.play.textContent = t('replay.play')
      return
    }
    if (!this.store.paused) await this.load()
    this.running = true
    this.lastWall = performance.now()
    this.play.dataset.i18n = 'replay.pause'
    this.play.textContent = t('replay.pause')
    requestAnimationFrame(() => this.step())
  }

  async load(): Promise<void> {
    const from = new Date(this.from.value).getTime()
    const to = new Date(this.to.value).getTime()
    const units = Math.max(1, this.store.units.size)
    // One fix per unit per step keeps the rows under MAX_ROWS whatever the period.
    const stepMs = Math.max(0, Math.ceil(((to - from) * units) / MAX_ROWS / 1000) * 1000)
    const res = await api.get<{ positions: Pos[] }>(`/api/v1/replay/positions?from=${from}&to=${to}&step_ms=${stepMs}`)
    this.positions = res.positions
    this.next = 0
    this.clock = from
    this.end = to
    this.store.paused = true
    this.stop.disabled = false
    this.map.now = () => this.clock
    for (const tr of this.store.trails.values()) tr.length = 0
    this.status.textContent = t('replay.loaded', { n: res.positions.length })
    await this.loadCoverage()
  }

  private step(): void {
    if (!this.running) return
    const wall = performance.now()
    this.clock = Math.min(this.end, this.clock + (wall - this.lastWall) * Number(this.speed.value))
    this.lastWall = wall
    const moved = []
    while (this.next < this.positions.length && this.positions[this.next]!.ts <= this.clock) moved.push(this.positions[this.next++]!)
    if (moved.length > 0) {
      const raw = moved.map((p) => {
        const u = this.store.units.get(p.unitId)
        return { ...u, id: p.unitId, lat: p.lat, lon: p.lon, ts: p.ts, speed: p.speed, silent: false, inBreach: false, outsideZone: false }
      })
      this.store.applyUnits(raw)
    }
    this.status.textContent = t('replay.at', { time: fmtTime(this.clock) }) + (this.noCoverage ? ` · ${t('replay.noCoverage')}` : '')
    if (wall - this.lastCoverage > COVERAGE_EVERY_MS) void this.loadCoverage()
    if (this.clock >= this.end) {
      this.running = false
      this.play.textContent = t('replay.play')
      return
    }
    requestAnimationFrame(() => this.step())
  }

  private async loadCoverage(): Promise<void> {
    if (this.coverageBusy) return
    this.coverageBusy = true
    this.lastCoverage = performance.now()
    try {
      const c = await api.get<CoverageAt>(`/api/v1/replay/coverage?at=${Math.round(this.clock)}`)
      // No snapshot that early: the cells keep what they show rather than claim "never visited".
      this.noCoverage = c.snapshotAt === null
      if (this.noCoverage) return
      const seen = new Set(c.cells.map((x) => x.cell))
      for (const cell of this.store.cells.values()) if (!seen.has(cell.id)) cell.lastVisit = null
      for (const z of c.zones) this.store.applyCoverage({ zone: z.zone, ratio: z.ratio, responseRatio: z.responseRatio, changed: [] })
      this.store.applyCoverage({ changed: c.cells })
      this.map.recolourCells()
    } finally {
      this.coverageBusy = false
    }
  }

  async backToLive(): Promise<void> {
    this.running = false
    this.play.textContent = t('replay.play')
    this.stop.disabled = true
    this.store.paused = false
    this.map.now = () => Date.now()
    this.status.textContent = ''
    await this.store.load()
  }
}
