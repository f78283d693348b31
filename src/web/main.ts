// Entry point: checks the session, shows the login page or the operations map (or, with
// `?view=wall` / `#wall`, the wall screen: read-only, no controls, alerts and coverage large,
// reloaded now and then), wires the views to the store and the store to the stream. A test build (scripts/build-web.mjs --probes) also
// exposes `window.hexpatrol`, read-only probes into what the map draws on canvas (marker positions,
// cell colours) for the browser tests and benchmarks; a production build compiles it out.
import { api, canOperate, setUnauthorizedHandler, type Session } from './api.js'
import { h } from './dom.js'
import { label, onLangChange, relabel, t } from './i18n.js'
import { Store, setStreamUnauthorized } from './store.js'
import { MapView, type PageSettings } from './views/map-layers.js'
import { loadDatumShift } from './datum.js'
import { AlertPanel } from './views/alert-panel.js'
import { UnitDetails } from './views/unit-details.js'
import { ResourceSearch } from './views/resource-search.js'
import { Replay } from './views/replay.js'
import { ZoneSummary } from './views/zone-summary.js'
import { langSelect, showLogin } from './views/login.js'
import { OpsLayers } from './views/ops-layers.js'
import { OpsPanel } from './views/ops-panel.js'
import { UnitList } from './views/unit-list.js'
import { AlertHistory } from './views/alert-history.js'
import { ReportLinks } from './views/report-links.js'
import { startWall, isWall } from './views/wall.js'
import { unitLabel } from './unit-finder.js'
import { LevelControls } from './views/level-controls.js'
import { PlanControls } from './views/plan-controls.js'
import { IncidentForm } from './views/incident-form.js'
import { IncidentActions } from './views/incident-actions.js'
import { IncidentLines } from './views/incident-lines.js'
import { PatrolTaskBoard } from './patrol-task-board.js'
import { PatrolTaskLayers } from './views/patrol-task-layers.js'
import { PatrolTasksPanel } from './views/patrol-tasks.js'

declare global {
  interface Window { hexpatrol?: Record<string, unknown> }
}
/** Set by the bundler: true only in a test build. */
declare const __HEXP_PROBES__: boolean

function settings(): PageSettings {
  const el = document.getElementById('hexp-settings')
  try {
    return { tiles: null, ...(JSON.parse(el?.textContent ?? '{}') as Partial<PageSettings>) }
  } catch {
    return { tiles: null }
  }
}

async function boot(): Promise<void> {
  const root = document.getElementById('app')!
  document.title = t('app.title')
  onLangChange(() => { document.title = t('app.title') })
  relabel(document)
  let session: Session | null = null
  try {
    session = await api.get<Session>('/api/v1/session')
  } catch {
    session = null
  }
  const wall = isWall(location)
  if (session === null || location.pathname === '/login') {
    showLogin(root, () => location.assign(wall ? '/?view=wall' : '/'))
    if (__HEXP_PROBES__) window.hexpatrol = { view: 'login' }
    return
  }
  const relogin = wall ? '/?view=wall' : '/login'
  setUnauthorizedHandler(() => location.assign(relogin))
  setStreamUnauthorized(() => location.assign(relogin))
  if (wall) {
    const w = await startWall(root, settings())
    if (__HEXP_PROBES__) window.hexpatrol = { view: 'wall', store: w.store, map: w.map }
  } else await startMap(root, session)
}

async function startMap(root: HTMLElement, session: Session): Promise<void> {
  const store = new Store()
  // The store's stream and timers end with the page (or before the redirect to the login page).
  addEventListener('pagehide', () => store.close())
  const mapEl = h('div', { id: 'map' })
  const left = h('aside', { class: 'side left' })
  const right = h('aside', { class: 'side right' })
  const conn = h('span', { class: 'conn', id: 'conn' })
  const logout = label(h('button', { type: 'button', id: 'logout' }), 'app.logout')
  logout.onclick = () => {
    store.close()
    void api.del('/api/v1/session').finally(() => location.assign('/login'))
  }
  const user = h('span', { class: 'user', id: 'user' })
  const renderUser = () => { user.textContent = t('app.user', { name: session.name, scope: session.scope }) }
  renderUser()
  onLangChange(renderUser)
  const wall = label(h('a', { id: 'wall-link', href: '/?view=wall', target: '_blank', rel: 'noopener' }), 'wall.link')
  const header = h('header', {}, h('h1', { 'data-i18n': 'app.title' }, t('app.title')), conn, h('span', { class: 'spacer' }), new ReportLinks().el, wall, user, langSelect(), logout)
  root.replaceChildren(header, h('main', {}, left, mapEl, right))

  const s = settings()
  const map = new MapView(mapEl, store, s, await loadDatumShift(s.datum))
  const alerts = new AlertPanel(store, map, session)
  const details = new UnitDetails(store, map)
  const search = new ResourceSearch(map)
  const replay = new Replay(store, map)
  const ops = store.ops
  const opsLayers = new OpsLayers(map, store, ops)
  // A unit as the page calls it (in the page's language); `given`, the name the engine sent, for one the page does not know.
  const nameOf = (id: string, given?: string) => {
    const u = store.units.get(id)
    return u === undefined ? given ?? id : unitLabel(u)
  }
  const opsPanel = new OpsPanel(ops, map, opsLayers, (text) => alerts.flash(text), nameOf)
  onLangChange(() => opsLayers.relabel())
  const zones = new ZoneSummary(store, map, ops)
  const history = new AlertHistory(store, alerts)
  const units = new UnitList(store, map, (id) => void details.show(id))
  map.onUnitClick = (id) => void details.show(id)
  left.append(alerts.el, history.el, opsPanel.el, zones.el)
  left.append(new PlanControls(ops, session, (text) => alerts.flash(text), nameOf).el)
  // Make-up patrols: proposals and tasks, polled and refreshed on patrol_task events.
  const tasks = new PatrolTaskBoard()
  addEventListener('pagehide', () => tasks.stop())
  store.onOther((type) => tasks.onEvent(type))
  const taskLayers = new PatrolTaskLayers(map, store, tasks)
  const taskPanel = new PatrolTasksPanel(tasks, store, map, session, (text) => alerts.flash(text), taskLayers.layer)
  left.append(taskPanel.el)
  right.append(details.el, units.el, search.el, replay.el)
  // Patrol level controls and suggestions: operate sessions only (suggestions first on the page).
  if (canOperate(session)) {
    const levels = new LevelControls(store, ops)
    left.prepend(levels.banner)
    left.append(levels.el)
  }
  const renderConn = () => {
    conn.className = `conn ${store.connected ? 'live' : 'down'}`
    conn.textContent = store.connected ? t('app.live') : t('app.disconnected')
  }
  store.subscribe((e) => { if (e.type === 'connection') renderConn() })
  onLangChange(renderConn)
  renderConn()
  // Dispatch: the card for everyone, the form only with operate scope; after the search (map clicks chain).
  const incidentActions = new IncidentActions(ops, map, canOperate(session), nameOf)
  const incidentLines = new IncidentLines(map, store, ops)
  if (canOperate(session)) opsPanel.el.after(new IncidentForm(map, (id) => void ops.loadIncident(id).then(() => incidentActions.select(id))).el, incidentActions.el)
  else opsPanel.el.after(incidentActions.el)
  relabel(document)

  // Test builds only (scripts/build-web.mjs --probes): read-only probes into the canvas layers.
  if (__HEXP_PROBES__) {
    window.hexpatrol = {
      view: 'map',
      store,
      map,
      markerOf: (id: string) => map.markerOf(id),
      labelOf: (id: string) => map.labelOf(id),
      cellColour: (id: string) => map.cellColour(id),
      search: (lat: number, lon: number) => search.search(lat, lon),
      replay,
      ops,
      opsProbe: opsLayers.probe(),
      incidentLines: (id: string) => incidentLines.linesTo(id),
      tasks,
      tasksProbe: taskLayers.probe(),
      /** Benchmark probe: records (unit, fix time, time drawn) for every marker update. */
      recordMoves: () => {
        const moves: Array<[string, number, number]> = []
        map.onMarkerMoved = (id, ts) => { if (ts !== null) moves.push([id, ts, Date.now()]) }
        return moves
      },
    }
  }
  store.load().then(() => {
    store.connect()
    tasks.start()
  }).catch((err: Error) => {
    alerts.el.append(h('p', { class: 'error' }, t('common.error', { message: err.message })))
  })
}

void boot()
