// One unit's details (callsign, last fix age, speed, accuracy, battery, post and zone by name, open alerts) from
// `GET /units/{id}`, and its track of the last hours from the track API, drawn on the map; below,
// its patrol integrity signals (unit-integrity.ts).
import { api } from '../api.js'
import { h, clear, fmtTime } from '../dom.js'
import { label, onLangChange, t } from '../i18n.js'
import type { MessageKey } from '../messages/en.js'
import { toUnit, unitStatus, type Unit } from '../model.js'
import type { Store } from '../store.js'
import type { MapView } from './map-layers.js'
import { UnitIntegrity } from './unit-integrity.js'

const TRACK_HOURS = 4

export class UnitDetails {
  readonly el = h('section', { class: 'panel details', id: 'unit-details', hidden: '' })
  private unitId: string | null = null
  private detail: Record<string, unknown> = {}
  private note = ''
  private readonly integrity = new UnitIntegrity()

  constructor(private readonly store: Store, private readonly map: MapView) {
    store.subscribe((e) => {
      if (e.type === 'units' && this.unitId !== null && e.ids.has(this.unitId)) this.render()
    })
    onLangChange(() => this.render())
    setInterval(() => this.render(), 1000)
  }

  async show(id: string): Promise<void> {
    this.unitId = id
    this.detail = {}
    this.note = ''
    this.el.hidden = false
    this.render()
    void this.integrity.load(id)
    try {
      this.detail = await api.get<Record<string, unknown>>(`/api/v1/units/${encodeURIComponent(id)}`)
      const u = toUnit(this.detail)
      const known = this.store.units.get(id)
      if (u !== null && (known === undefined || (known.ts ?? 0) <= (u.ts ?? 0))) this.store.setUnit({ ...known, ...u })
    } catch {
      this.detail = {}
    }
    this.render()
  }

  hide(): void {
    this.unitId = null
    void this.integrity.load(null)
    this.el.hidden = true
    this.map.showTrack(null)
  }

  private async loadTrack(id: string): Promise<void> {
    const to = Date.now()
    const from = to - TRACK_HOURS * 3_600_000
    const g = await api.get<GeoJSON.GeoJsonObject & { features?: unknown[]; coordinates?: unknown[] }>(`/api/v1/units/${encodeURIComponent(id)}/track?format=geojson&from=${from}&to=${to}`)
    const empty = (g.features !== undefined && g.features.length === 0) || (g.coordinates !== undefined && g.coordinates.length === 0)
    this.note = empty ? t('unit.noTrack') : ''
    this.render()
    this.map.showTrack(empty ? null : g)
  }

  private render(): void {
    if (this.unitId === null) return
    const u: Unit | undefined = this.store.units.get(this.unitId)
    clear(this.el)
    const close = h('button', { class: 'close', type: 'button', title: t('unit.close') }, '×')
    close.onclick = () => this.hide()
    this.el.append(close, h('h2', {}, t('unit.title', { id: this.unitId }), u !== undefined && u.name !== u.id ? ` · ${u.name}` : ''))
    if (u === undefined) return
    const age = u.ts === null ? null : Math.max(0, Math.round((Date.now() - u.ts) / 1000))
    const battery = u.battery ?? (typeof this.detail.battery === 'number' ? this.detail.battery : null)
    const openAlerts = [...this.store.alerts.values()].filter((a) => a.unitId === u.id || a.subject.includes(`unit:${u.id}`))
    const rows: Array<[MessageKey, string]> = [
      ['unit.callsign', u.callsign ?? '—'],
      ['unit.kind', kindLabel(u.kind)],
      ['unit.status', t(`status.${unitStatus(u)}`)],
      ['unit.lastFix', `${fmtTime(u.ts)}${age === null ? '' : ` (${t('unit.age', { n: age })})`}`],
      ['unit.speed', u.speed === null ? '—' : `${(u.speed * 3.6).toFixed(0)} km/h`],
      ['unit.accuracy', u.accuracy === null ? '—' : `${u.accuracy.toFixed(0)} m`],
      ['unit.battery', battery === null ? '—' : `${Number(battery).toFixed(0)} %`],
      ['unit.post', u.post === null ? '—' : this.store.posts.get(u.post)?.name ?? u.post],
      ['unit.zone', u.zone === null ? '—' : this.store.zones.get(u.zone)?.info.name ?? u.zone],
      ['unit.distance', u.distanceFromPostM === null ? '—' : `${u.distanceFromPostM.toFixed(0)} m`],
      ['unit.alerts', openAlerts.length === 0 ? '—' : openAlerts.map((a) => t(`alert.${a.kind}` as MessageKey)).join(', ')],
    ]
    const dl = h('dl')
    for (const [k, v] of rows) dl.append(label(h('dt'), k), h('dd', { 'data-field': k }, v))
    const track = h('button', { type: 'button', class: 'track' }, t('unit.track', { h: TRACK_HOURS }))
    track.onclick = () => void this.loadTrack(u.id).catch((err: Error) => {
      this.note = t('common.error', { message: err.message })
      this.render()
    })
    this.el.append(dl, track, h('div', { class: 'track-note' }, this.note), this.integrity.el)
  }
}

function kindLabel(kind: string): string {
  const known = ['vehicle', 'officer', 'armoured', 'motorcycle']
  return known.includes(kind) ? t(`kind.${kind}` as MessageKey) : kind
}
