// "Record incident" (operate scope only): type (the known types or a free one), priority 1-5,
// description, address text and coordinates, typed, picked with a click on the map ("pick on
// map" mode), or found by the address: "Find" (or Enter in the field) lists the places of that
// name (place-lookup.ts) and choosing one sets the coordinates as a click does, keeping its name
// as the address. Submits POST /api/v1/incidents with a fresh id; the engine answers with the nearest
// units and announces incident.opened, which the operations model shows. onRecorded hands the new
// id to the dispatch card.
import { api } from '../api.js'
import { h } from '../dom.js'
import { label, onLangChange, t } from '../i18n.js'
import type { MessageKey } from '../messages/en.js'
import type { MapView } from './map-layers.js'
import { PlaceLookup } from './place-lookup.js'

/** The incident types the catalogue names (incidentType.*); any other is typed in as free text. */
export const KNOWN_TYPES = ['robbery', 'snatch_theft', 'burglary', 'theft', 'assault', 'fight', 'fraud', 'traffic'] as const
const FREE = '__free'

/** A new incident id: INC-<UTC yyyymmddhhmmss>-<4 random base-36 characters>. */
export function newIncidentId(now: Date = new Date(), rnd: () => number = Math.random): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14)
  return `INC-${stamp}-${Math.floor(rnd() * 36 ** 4).toString(36).padStart(4, '0')}`
}

/** "lat, lon" (comma or space) → numbers, or null. */
export function parseCoords(text: string): { lat: number; lon: number } | null {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$/.exec(text)
  if (m === null) return null
  const lat = Number(m[1])
  const lon = Number(m[2])
  return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? { lat, lon } : null
}

export class IncidentForm {
  readonly el = h('section', { class: 'panel incident-record', id: 'incident-record' })
  private readonly type = h('select', { id: 'incident-type' })
  private readonly freeType = h('input', { id: 'incident-type-free', type: 'text', autocomplete: 'off', pattern: '[a-z0-9_]{1,64}' })
  private readonly priority = h('select', { id: 'incident-priority' })
  private readonly description = h('textarea', { id: 'incident-description', rows: '2', maxlength: '4000' })
  private readonly address = h('input', { id: 'incident-address', type: 'text', autocomplete: 'off', maxlength: '500' })
  private readonly coords = h('input', { id: 'incident-coords', type: 'text', autocomplete: 'off', 'data-i18n-placeholder': 'incident.coords' })
  private readonly pick = h('input', { id: 'incident-pick', type: 'checkbox' })
  private readonly status = h('p', { class: 'hint', id: 'incident-form-status', role: 'status' })

  constructor(private readonly map: MapView, private readonly onRecorded: (id: string) => void) {
    this.fillTypes()
    for (let p = 1; p <= 5; p++) this.priority.append(h('option', { value: String(p) }, String(p)))
    this.priority.value = '3'
    this.coords.placeholder = t('incident.coords')
    this.freeType.hidden = true
    this.type.onchange = () => { this.freeType.hidden = this.type.value !== FREE }
    const submit = label(h('button', { type: 'submit', id: 'incident-submit' }), 'incident.record')
    const lookup = new PlaceLookup(this.address, (p) => {
      this.address.value = p.name
      this.setPoint(p.lat, p.lon)
      this.map.focus(p.lat, p.lon)
    })
    const form = h('form', { class: 'incident-form' },
      this.row('incident.type', this.type, this.freeType),
      this.row('incident.priority', this.priority),
      this.row('incident.description', this.description),
      this.row('incident.address', h('span', { class: 'address-row' }, this.address, lookup.button)),
      lookup.list,
      this.row('incident.coordinates', this.coords),
      h('label', {}, this.pick, ' ', label(h('span'), 'incident.pick')),
      submit, this.status)
    form.onsubmit = (e) => {
      e.preventDefault()
      void this.submit()
    }
    this.el.append(label(h('h2'), 'incident.recordTitle'), form)
    // Chained: the resource search keeps its own map clicks while this mode is off.
    const previous = map.onMapClick
    map.onMapClick = (lat, lon) => {
      if (!this.pick.checked) return previous(lat, lon)
      this.pick.checked = false
      this.setPoint(lat, lon)
    }
    onLangChange(() => this.fillTypes())
  }

  /** The scene's coordinates in the field and the pick marker on the map. */
  private setPoint(lat: number, lon: number): void {
    this.coords.value = `${lat.toFixed(6)}, ${lon.toFixed(6)}`
    this.map.highlight([lat, lon], [])
  }

  private row(key: MessageKey, ...inputs: HTMLElement[]): HTMLElement {
    return h('label', { class: 'field' }, label(h('span'), key), ...inputs)
  }

  private fillTypes(): void {
    const was = this.type.value
    this.type.replaceChildren(...KNOWN_TYPES.map((ty) => h('option', { value: ty }, t(`incidentType.${ty}` as MessageKey))), h('option', { value: FREE }, t('incident.otherType')))
    if (was !== '') this.type.value = was
  }

  private async submit(): Promise<void> {
    const at = parseCoords(this.coords.value)
    if (at === null) {
      this.status.textContent = t('incident.needCoords')
      return
    }
    const type = this.type.value === FREE ? this.freeType.value.trim().toLowerCase() : this.type.value
    const id = newIncidentId()
    try {
      await api.post('/api/v1/incidents', { id, type, priority: Number(this.priority.value), lat: at.lat, lon: at.lon, address: this.address.value, description: this.description.value })
      this.status.textContent = t('incident.recorded', { id })
      this.description.value = ''
      this.address.value = ''
      this.coords.value = ''
      this.onRecorded(id)
    } catch (err) {
      this.status.textContent = t('common.error', { message: (err as Error).message })
    }
  }
}
