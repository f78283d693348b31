// Coverage and response-coverage ratio of every patrol grid (live from the stream), the layer
// switches and the legend. A click on a zone fits the map to it. Without the switches on the wall screen.
import { h, clear } from '../dom.js'
import { label, onLangChange, t } from '../i18n.js'
import type { MessageKey } from '../messages/en.js'
import { FRESHNESS_COLOURS, STATUS_COLOURS, formatPercent } from '../model.js'
import type { Store } from '../store.js'
import type { MapView } from './map-layers.js'
import type { Operations } from '../operations.js'
import { labelOr } from './ops-layers.js'

export class ZoneSummary {
  readonly el = h('section', { class: 'panel zones', id: 'zones' })
  private readonly table = h('table', { class: 'zone-table' })

  constructor(private readonly store: Store, private readonly map: MapView, private readonly ops: Operations, readOnly = false) {
    const toggles = h('div', { class: 'toggles' })
    for (const name of ['units', 'trails', 'zones', 'cells', 'posts'] as const) {
      const cb = h('input', { type: 'checkbox', id: `layer-${name}` })
      cb.checked = true
      cb.onchange = () => map.setLayerVisible(name, cb.checked)
      toggles.append(h('label', {}, cb, ' ', label(h('span'), `layers.${name}`)))
    }
    const legend = h('div', { class: 'legend' }, label(h('h3'), 'legend.title'))
    for (const [k, c] of Object.entries(STATUS_COLOURS)) legend.append(h('div', {}, h('i', { class: 'sw', style: `background:${c}` }), label(h('span'), `status.${k}` as MessageKey)))
    for (const [k, c] of Object.entries(FRESHNESS_COLOURS)) legend.append(h('div', {}, h('i', { class: 'sw cell', style: `background:${c}` }), label(h('span'), `legend.${k}` as MessageKey)))
    legend.append(h('div', {}, h('i', { class: 'sw cell priority' }), label(h('span'), 'legend.priority')))
    legend.append(h('div', { class: 'kinds' }, ...(['vehicle', 'officer', 'armoured', 'motorcycle'] as const).map((k) => h('span', { class: `kind ${k}` }, label(h('span'), `kind.${k}`)))))
    this.el.append(label(h('h2'), 'zones.title'), this.table, ...(readOnly ? [] : [toggles]), legend)
    store.subscribe((e) => {
      if (e.type === 'zones' || e.type === 'loaded') this.render()
    })
    ops.subscribe((e) => { if (e.type === 'levels') this.render() })
    onLangChange(() => this.render())
  }

  render(): void {
    clear(this.table)
    this.table.append(h('tr', {}, h('th', {}, ''), h('th', {}, t('zones.coverage')), h('th', {}, t('zones.response'))))
    for (const z of this.store.zones.values()) {
      const low = z.info.ratio !== null && z.info.minRatio !== null && z.info.ratio < z.info.minRatio
      const tr = h('tr', { 'data-zone': z.info.id, class: low ? 'low' : '' },
        h('td', {}, z.info.name, h('div', { class: 'level', title: t('zones.level') }, this.levelOf(z.info.id))), h('td', { class: 'ratio' }, formatPercent(z.info.ratio)), h('td', { class: 'response' }, formatPercent(z.info.responseRatio)))
      tr.onclick = () => this.map.focusZone(z.info.id)
      this.table.append(tr)
    }
  }

  private levelOf(zone: string): string {
    const l = this.ops.levels.get(zone)
    return l === undefined ? '—' : labelOr('level', l.level)
  }
}
