// The unit list: search by id, name or callsign, filter by kind, status, zone and post (names, not
// ids, in the choices); a click focuses the map on the unit, rings it and opens its details.
// Redrawn at most once a second while units stream in (5,000 units report every second).
import { h, clear } from '../dom.js'
import { label, onLangChange, t } from '../i18n.js'
import type { MessageKey } from '../messages/en.js'
import { STATUS_COLOURS, unitStatus, type Unit, type UnitStatus } from '../model.js'
import type { Store } from '../store.js'
import { NO_QUERY, findUnits, unitFullName, unitLabel, type UnitQuery } from '../unit-finder.js'
import type { MapView } from './map-layers.js'

const REDRAW_MS = 1000
const SHOWN = 100
/** The status filter's choices, in the legend's order (STATUS_COLOURS holds every status once). */
const STATUSES = Object.keys(STATUS_COLOURS) as UnitStatus[]

export class UnitList {
  readonly el = h('section', { class: 'panel units', id: 'unit-list' })
  private readonly text = h('input', { type: 'search', id: 'unit-search', maxlength: '64', 'data-i18n-placeholder': 'units.search', 'aria-label': '' })
  private readonly kind = h('select', { id: 'unit-kind' })
  private readonly status = h('select', { id: 'unit-status' })
  private readonly zone = h('select', { id: 'unit-zone' })
  private readonly post = h('select', { id: 'unit-post' })
  private readonly count = h('div', { class: 'hint', id: 'unit-count' })
  private readonly list = h('ul', { class: 'unit-list' })
  private dirty = false
  private timer = 0

  constructor(private readonly store: Store, private readonly map: MapView, private readonly onPick: (id: string) => void) {
    this.text.placeholder = t('units.search')
    this.text.setAttribute('aria-label', t('units.search'))
    this.el.append(label(h('h2'), 'units.title'), this.text, h('div', { class: 'filters' }, this.kind, this.status, this.zone, this.post), this.count, this.list)
    this.text.oninput = () => this.render()
    // Enter picks the first match: type a callsign, press Enter, the map is on the unit.
    this.text.onkeydown = (e) => {
      if (e.key !== 'Enter') return
      const first = findUnits(this.store.units.values(), this.query(), 1)[0]
      if (first !== undefined) this.pick(first)
    }
    for (const s of [this.kind, this.status, this.zone, this.post]) s.onchange = () => this.render()
    store.subscribe((e) => {
      if (e.type === 'loaded') this.render()
      else if (e.type === 'units') this.later()
    })
    onLangChange(() => {
      this.text.setAttribute('aria-label', t('units.search'))
      this.render()
    })
  }

  private later(): void {
    this.dirty = true
    if (this.timer !== 0) return
    this.timer = window.setTimeout(() => {
      this.timer = 0
      if (this.dirty) this.render()
    }, REDRAW_MS)
  }

  private query(): UnitQuery {
    return { ...NO_QUERY, text: this.text.value, kind: this.kind.value, status: this.status.value as UnitStatus | '', zone: this.zone.value, post: this.post.value }
  }

  private fillFilters(): void {
    const fill = (sel: HTMLSelectElement, all: MessageKey, options: Array<[string, string]>) => {
      const keep = sel.value
      clear(sel)
      sel.append(h('option', { value: '' }, t(all)), ...options.map(([v, text]) => h('option', { value: v }, text)))
      sel.value = options.some(([v]) => v === keep) ? keep : ''
    }
    const kinds = [...new Set([...this.store.units.values()].map((u) => u.kind))].sort()
    fill(this.kind, 'units.allKinds', kinds.map((k) => [k, kindName(k)]))
    fill(this.status, 'units.allStatuses', STATUSES.map((s) => [s, t(`status.${s}`)]))
    fill(this.zone, 'alerts.allZones', [...this.store.zones.values()].map((z) => [z.info.id, z.info.name]))
    fill(this.post, 'units.allPosts', [...this.store.posts.values()].map((p) => [p.id, p.name]))
  }

  render(): void {
    this.dirty = false
    this.fillFilters()
    const q = this.query()
    const found = findUnits(this.store.units.values(), q, SHOWN + 1)
    clear(this.list)
    this.count.textContent = found.length > SHOWN ? t('units.more', { n: SHOWN }) : t('units.count', { n: found.length })
    for (const u of found.slice(0, SHOWN)) this.list.append(this.item(u))
  }

  private item(u: Unit): HTMLLIElement {
    const st = unitStatus(u)
    const where = [u.post === null ? null : this.store.posts.get(u.post)?.name ?? u.post, u.zone === null ? null : this.store.zones.get(u.zone)?.info.name ?? u.zone].filter((x) => x !== null).join(' · ')
    const li = h('li', { class: `unit-item ${st}`, 'data-unit': u.id, tabindex: '0', title: unitFullName(u) },
      h('i', { class: 'sw', style: `background:${STATUS_COLOURS[st]}` }),
      h('span', { class: 'unit-label' }, unitLabel(u)),
      h('span', { class: 'unit-sub' }, u.callsign !== null && u.name !== u.id ? `${u.name} · ${u.id}` : u.id),
      h('span', { class: 'unit-where' }, where),
    )
    li.onclick = () => this.pick(u)
    li.onkeydown = (e) => { if (e.key === 'Enter') this.pick(u) }
    return li
  }

  private pick(u: Unit): void {
    const now = this.store.units.get(u.id) ?? u
    if (now.lat !== null && now.lon !== null) {
      this.map.focus(now.lat, now.lon, 16)
      this.map.highlight(null, [u.id])
    }
    this.onPick(u.id)
  }
}

function kindName(kind: string): string {
  return ['vehicle', 'officer', 'armoured', 'motorcycle'].includes(kind) ? t(`kind.${kind}` as MessageKey) : kind
}
