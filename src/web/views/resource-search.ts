// Automatic resource search: a map click (in search mode) or typed coordinates → the k nearest
// available units from `GET /units/nearest`, listed with distance and ringed on the map.
import { api } from '../api.js'
import { h, clear } from '../dom.js'
import { label, t } from '../i18n.js'
import { toUnit } from '../model.js'
import { unitLabel } from '../unit-finder.js'
import type { MapView } from './map-layers.js'

const K = 5

export class ResourceSearch {
  readonly el = h('section', { class: 'panel search', id: 'search' })
  private readonly input = h('input', { id: 'search-coords', type: 'text', 'data-i18n-placeholder': 'search.coords', autocomplete: 'off' })
  private readonly mode = h('input', { id: 'search-mode', type: 'checkbox' })
  private readonly results = h('ol', { class: 'search-results', id: 'search-results' })

  constructor(private readonly map: MapView) {
    this.input.placeholder = t('search.coords')
    const go = label(h('button', { type: 'button', id: 'search-go' }), 'search.go')
    const form = h('form', { class: 'row' }, this.input, go)
    form.onsubmit = (e) => {
      e.preventDefault()
      this.fromInput()
    }
    go.onclick = () => this.fromInput()
    this.el.append(label(h('h2'), 'search.title'), label(h('p', { class: 'hint' }), 'search.hint'), form,
      h('label', {}, this.mode, ' ', label(h('span'), 'search.mode')), this.results)
    map.onMapClick = (lat, lon) => {
      if (this.mode.checked) void this.search(lat, lon)
    }
  }

  private fromInput(): void {
    const m = /^\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$/.exec(this.input.value)
    if (m === null) return
    void this.search(Number(m[1]), Number(m[2]))
  }

  async search(lat: number, lon: number): Promise<void> {
    this.input.value = `${lat.toFixed(5)}, ${lon.toFixed(5)}`
    clear(this.results)
    try {
      const res = await api.get<{ units?: unknown[] } | unknown[]>(`/api/v1/units/nearest?lat=${lat}&lon=${lon}&k=${K}`)
      const list = Array.isArray(res) ? res : res.units ?? []
      const found: string[] = []
      for (const raw of list) {
        const u = toUnit(raw)
        if (u === null) continue
        const d = (raw as { distanceM?: number; distance_m?: number }).distanceM ?? (raw as { distance_m?: number }).distance_m ?? 0
        found.push(u.id)
        const li = h('li', { 'data-unit': u.id }, h('strong', {}, unitLabel(u)), ` (${u.id}) · `, h('span', { class: 'distance' }, t('search.distance', { m: Math.round(d) })))
        li.onclick = () => {
          if (u.lat !== null && u.lon !== null) this.map.focus(u.lat, u.lon)
          this.map.onUnitClick(u.id)
        }
        this.results.append(li)
      }
      if (found.length === 0) this.results.append(h('li', { class: 'empty' }, t('search.none')))
      this.map.highlight([lat, lon], found)
    } catch (err) {
      this.results.append(h('li', { class: 'error' }, t('common.error', { message: (err as Error).message })))
    }
  }
}
