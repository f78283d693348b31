// The wall screen (`/?view=wall` or `/#wall`): the map, open and acknowledged alerts and each
// grid's coverage, large, for a control room's wall. Read-only and without controls (no filters,
// buttons, layer switches or zoom buttons), so a read token's session is all it needs. Live from
// the stream like the console; reloaded every WALL_RELOAD_MS in case the screen runs for days
// (new config, a new page version). `?lang=zh-CN` picks the language, there is no switch.
import { h } from '../dom.js'
import { fmtTime } from '../dom.js'
import { label, onLangChange, setLang, t } from '../i18n.js'
import { Store } from '../store.js'
import { AlertPanel } from './alert-panel.js'
import { MapView, type PageSettings } from './map-layers.js'
import { loadDatumShift } from '../datum.js'
import { ZoneSummary } from './zone-summary.js'

export const WALL_RELOAD_MS = 30 * 60_000

export function isWall(loc: Pick<Location, 'search' | 'hash'>): boolean {
  return new URLSearchParams(loc.search).get('view') === 'wall' || loc.hash === '#wall'
}

export async function startWall(root: HTMLElement, settings: PageSettings): Promise<{ store: Store; map: MapView }> {
  const lang = new URLSearchParams(location.search).get('lang')
  if (lang === 'en' || lang === 'zh-CN') setLang(lang)
  document.body.classList.add('wall')
  const store = new Store()
  addEventListener('pagehide', () => store.close())
  const conn = h('span', { class: 'conn', id: 'conn' })
  const updated = h('span', { class: 'updated', id: 'wall-updated' })
  let last = 0
  const renderConn = () => {
    conn.className = `conn ${store.connected ? 'live' : 'down'}`
    conn.textContent = store.connected ? t('app.live') : t('app.disconnected')
    updated.textContent = last === 0 ? '' : t('wall.updated', { time: fmtTime(last) })
  }
  const mapEl = h('div', { id: 'map' })
  const left = h('aside', { class: 'side left' })
  const right = h('aside', { class: 'side right' })
  root.replaceChildren(h('header', {}, label(h('h1'), 'app.title'), conn, h('span', { class: 'spacer' }), updated), h('main', {}, left, mapEl, right))
  const map = new MapView(mapEl, store, settings, await loadDatumShift(settings.datum), { controls: false })
  const alerts = new AlertPanel(store, map, null, true)
  const zones = new ZoneSummary(store, map, store.ops, true)
  left.append(alerts.el)
  right.append(zones.el)
  store.subscribe((e) => {
    if (e.type !== 'connection') last = Date.now()
    renderConn()
  })
  onLangChange(renderConn)
  renderConn()
  setTimeout(() => location.reload(), WALL_RELOAD_MS)
  store.load().then(() => store.connect()).catch((err: Error) => {
    alerts.el.append(h('p', { class: 'error' }, t('common.error', { message: err.message })))
  })
  return { store, map }
}
