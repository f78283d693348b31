// The incidents-and-plans panel: recent incidents (newest first, type, priority, nearest units
// from the engine's resource search; a click focuses the map), active plans with each
// checkpoint's state and who is on the way (distance, ETA; units by callsign or name), and the
// switches of those layers. Plan, checkpoint and unit names in the page's language (local(),
// nameOf: the page's registry, the name the engine sent for a unit it does not know).
import { h, clear, fmtTime } from '../dom.js'
import { label, onLangChange, t } from '../i18n.js'
import type { Operations } from '../operations.js'
import type { MapView } from './map-layers.js'
import { fmtDistance } from '../alert-text.js'
import { local } from '../plan-names.js'
import { incidentLabel, labelOr, type OpsLayers } from './ops-layers.js'

const SHOWN_INCIDENTS = 30

export class OpsPanel {
  readonly el = h('section', { class: 'panel ops', id: 'ops' })
  private readonly incidents = h('ul', { class: 'incident-list', id: 'incident-list' })
  private readonly plans = h('div', { class: 'plan-list', id: 'plan-list' })
  private readonly hotspots = h('div', { class: 'hint', id: 'hotspot-count' })

  constructor(private readonly ops: Operations, private readonly map: MapView, layers: OpsLayers, announce: (text: string) => void, private readonly nameOf: (unitId: string, given?: string) => string = (id, given) => given ?? id) {
    const toggles = h('div', { class: 'toggles' })
    for (const [name, layer] of Object.entries(layers.layers()) as Array<['incidents' | 'hotspots' | 'plans', L.LayerGroup]>) {
      const cb = h('input', { type: 'checkbox', id: `layer-${name}` })
      cb.checked = true
      cb.onchange = () => { if (cb.checked) layer.addTo(map.map); else layer.remove() }
      toggles.append(h('label', {}, cb, ' ', label(h('span'), `layers.${name}`)))
    }
    this.el.append(label(h('h2'), 'ops.title'), label(h('h3'), 'ops.plans'), this.plans, label(h('h3'), 'ops.incidents'), this.incidents, this.hotspots, toggles)
    ops.subscribe((e) => {
      if (e.type === 'incidents') {
        this.renderIncidents()
        for (const i of e.opened) announce(t('ops.newIncident', { label: incidentLabel(i, this.nameOf) }))
      } else if (e.type === 'plans') this.renderPlans()
      else if (e.type === 'hotspots') this.renderHotspots()
    })
    onLangChange(() => this.render())
    this.render()
  }

  render(): void {
    this.renderIncidents()
    this.renderPlans()
    this.renderHotspots()
  }

  private renderHotspots(): void {
    this.hotspots.textContent = t('ops.hotspots', { n: this.ops.hotspots.size })
  }

  private renderIncidents(): void {
    clear(this.incidents)
    const list = [...this.ops.incidents.values()].sort((a, b) => b.ts - a.ts).slice(0, SHOWN_INCIDENTS)
    if (list.length === 0) this.incidents.append(h('li', { class: 'empty' }, t('ops.noIncidents')))
    for (const i of list) {
      const li = h('li', { class: `incident p${Math.min(i.priority, 5)}`, 'data-incident': i.id, 'data-type': i.type },
        h('div', { class: 'incident-kind' }, `${labelOr('incidentType', i.type)} · ${t('ops.priority', { p: i.priority })}`),
        h('div', { class: 'alert-time' }, `${fmtTime(i.ts)}${i.address === '' ? '' : ` · ${i.address}`}`))
      if (i.resources.length > 0) li.append(h('div', { class: 'incident-units' }, i.resources.slice(0, 3).map((r) => t('ops.unitOnWay', { unit: this.nameOf(r.unitId, r.name), distance: fmtDistance(r.distanceM), eta: Math.ceil(r.etaS / 60) })).join('; ')))
      li.onclick = () => this.map.focus(i.lat, i.lon)
      this.incidents.append(li)
    }
  }

  private renderPlans(): void {
    clear(this.plans)
    if (this.ops.plans.size === 0) this.plans.append(h('p', { class: 'empty' }, t('ops.noPlans')))
    for (const p of this.ops.plans.values()) {
      const ul = h('ul', { class: 'checkpoints' })
      for (const c of p.checkpoints) {
        const who = c.state === 'reached'
          ? t('ops.reachedBy', { unit: c.reachedBy === null ? '?' : this.nameOf(c.reachedBy) })
          : c.units.map((u) => (u.distanceM === null ? t('ops.unitNoFix', { unit: this.nameOf(u.unitId) }) : t('ops.unitOnWay', { unit: this.nameOf(u.unitId), distance: fmtDistance(u.distanceM), eta: Math.ceil((u.etaS ?? 0) / 60) }))).join('; ')
        const li = h('li', { class: `checkpoint ${c.state}`, 'data-checkpoint': String(c.index), 'data-state': c.state },
          h('span', { class: 'cp-name' }, local(c)), ' · ', h('span', { class: 'cp-state' }, t(`checkpoint.${c.state}`)), h('div', { class: 'hint' }, who))
        li.onclick = () => this.map.focus(c.lat, c.lon)
        ul.append(li)
      }
      const title = h('div', { class: 'plan-name' }, local(p), p.completedAt === null ? '' : ` · ${t('ops.completed')}`)
      this.plans.append(h('div', { class: 'plan', 'data-plan': p.id }, title, h('div', { class: 'alert-time' }, fmtTime(p.activatedAt)), ul))
    }
  }
}
