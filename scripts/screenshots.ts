// `npm run screenshots`: starts the engine on the sample deployment (config/hexpatrol.yaml) with
// its embedded broker and ClickHouse, drives a simulated shift over MQTT (40 minutes of patrol
// history, one car out of its post radius, one silent officer), and photographs the map's main
// views into docs/ with headless Chromium: login, overview, Chinese labels with the alert panel,
// unit details with its track, nearest-unit search, replay, and incident-guided patrol (past
// incidents and their hotspots, a zone at a raised patrol level, a live robbery with an active
// plan: one checkpoint manned, one missed, one with its unit on the way); the console's unit
// list with a unit found by callsign (labels at street level), an acknowledgement with its note,
// and the wall screen. The overview and the dispatcher's console (the live robbery assigned to its
// nearest unit with a line to the scene, the active plan with its checkpoints and ETAs, the zones'
// level controls, make-up patrols) are taken in both languages: English from an English browser,
// Chinese (the sample deployment's locale) from a second browser context set to zh-CN, so names
// and labels are Chinese from the first load, not switched afterwards.
import { join } from 'node:path'
import { readConfigFile } from '../src/config/load.js'
import { startEngine, waitFor } from '../test/helpers/harness.js'
import { connect, publishAll } from '../test/helpers/publisher.js'
import { rng } from '../test/helpers/workload.js'
import { buildWeb, chromiumPath, openPage } from '../test/helpers/browser.js'

const root = join(import.meta.dirname, '..')
const docs = join(root, 'docs')
const TOKEN = 'screenshot-token-0123456789'

if (chromiumPath() === null) {
  console.error('No Chromium binary (/usr/bin/chromium): cannot take screenshots.')
  process.exit(1)
}
buildWeb()
const raw = readConfigFile(join(root, 'config', 'hexpatrol.yaml'))
delete raw.webhooks
// The shift is published anonymously on loopback: not with the sample's example device logins.
delete raw.broker
delete raw.http_ingest
raw.log_level = 'warn'
raw.api = { tokens: [{ name: 'sgt.wang', scope: 'operate', token_env: 'SHOT_TOKEN' }] }
raw.rules = { ...(raw.rules as object), allowed_lateness: '0s', tick: '1s', coverage_snapshot_interval: '10s' }

interface U { id: string; kind: string; post?: string }
const posts = new Map((raw.posts as Array<{ id: string; lat: number; lon: number }>).map((p) => [p.id, p]))
const r = rng(7)
const now = Date.now()
const messages: Array<{ topic: string; payload: string }> = []
const STEP = 20_000
for (const u of raw.units as U[]) {
  const post = posts.get(u.post ?? '')
  if (post === undefined) continue
  const speed = u.kind === 'officer' ? 1.4 : 9
  let lat = post.lat + (r() - 0.5) * 0.01
  let lon = post.lon + (r() - 0.5) * 0.012
  let heading = r() * Math.PI * 2
  const silent = u.id === 'O-136'
  const breach = u.id === 'P-003'
  const parked = u.id === 'P-008' || u.id === 'P-015'
  const end = silent ? now - 10 * 60_000 : now - 2000
  for (let ts = now - 40 * 60_000; ts <= end; ts += STEP) {
    const last = ts + STEP > end
    if (breach && ts > now - 4 * 60_000) {
      // Drives 2.3 km north-east of its post and stays there.
      lat = post.lat + 0.016 + (r() - 0.5) * 0.0004
      lon = post.lon + 0.012 + (r() - 0.5) * 0.0004
    } else if (!(parked && ts > now - 15 * 60_000)) {
      heading += (r() - 0.5) * 0.9
      const d = speed * STEP / 1000 / 111_000
      lat += Math.cos(heading) * d
      lon += Math.sin(heading) * d / Math.cos(lat * Math.PI / 180)
      // Stay within ~1.3 km of the post: turn back towards it.
      if (Math.hypot(lat - post.lat, (lon - post.lon) * 0.8) > 0.011) heading = Math.atan2(post.lon - lon, post.lat - lat)
    }
    const moving = !(parked && ts > now - 15 * 60_000)
    messages.push({ topic: `fleet/${u.id}/position`, payload: JSON.stringify({ ts, lat: +lat.toFixed(6), lon: +lon.toFixed(6), accuracy: 5 + Math.round(r() * 10), speed: moving || last ? (moving ? speed : 0) : 0, battery: 40 + Math.round(r() * 60) }) })
  }
}
// Where each unit ends up: the robbery plan's checkpoints are placed around them.
const lastAt = new Map<string, { lat: number; lon: number }>()
for (const m of messages) lastAt.set(m.topic.split('/')[1]!, JSON.parse(m.payload) as { lat: number; lon: number })
const P1 = lastAt.get('P-001')!
const P2 = lastAt.get('P-002')!
const O123 = lastAt.get('O-123')!
const SCENE = { lat: (P1.lat + P2.lat + O123.lat) / 3, lon: (P1.lon + P2.lon + O123.lon) / 3 }
raw.plans = [{ id: 'robbery-ring', name: '抢劫案外围封控', name_en: 'Robbery ring', positions: 'absolute', dwell: '2s', checkpoints: [
  { name: '北出口', name_en: 'North exit', lat: P1.lat + 0.0005, lon: P1.lon, units: ['P-001'], arrive_within: '10m', radius_m: 100 },
  { name: '东桥', name_en: 'East bridge', lat: P2.lat + 0.004, lon: P2.lon + 0.006, units: ['P-002'], arrive_within: '5s', radius_m: 100 },
  { name: '学校门口', name_en: 'School gate', lat: O123.lat - 0.003, lon: O123.lon + 0.002, units: ['O-123'], arrive_within: '15m', radius_m: 60 },
] }]
raw.incidents = { hotspots: { top_per_zone: 4, min_score: 1 } }
const h = await startEngine(raw, { env: { SHOT_TOKEN: TOKEN } })
messages.sort((a, b) => (JSON.parse(a.payload) as { ts: number }).ts - (JSON.parse(b.payload) as { ts: number }).ts)
const pub = await connect(h.mqttUrl, { clientId: 'screenshots' })
await publishAll(pub, messages, 100)
await waitFor(() => h.engine.testHandle().rules!.openAlerts().some((a) => a.kind === 'radius_breach'), 30_000)
// A coverage snapshot and the positions in ClickHouse, for the replay view.
await new Promise((res) => setTimeout(res, 12_000))

const s = await openPage(h.httpUrl, { width: 1500, height: 900 })
const { page } = s
const shot = async (name: string) => {
  await page.waitForTimeout(600)
  await page.screenshot({ path: join(docs, name) })
  console.log(`docs/${name}`)
}
await page.goto(`${h.httpUrl}/`)
await page.waitForSelector('#login-token')
await shot('map-login.png')
await page.fill('#login-token', TOKEN)
await page.click('#login-submit')
await page.waitForSelector('#conn.live', { timeout: 20_000 })
await page.waitForTimeout(1500)
await shot('map-overview.png')

// The same overview from a Chinese browser (a second session, signed in the same way).
const signedIn = async (locale: string) => {
  const ctx = await s.browser.newContext({ viewport: { width: 1500, height: 900 }, locale })
  const p = await ctx.newPage()
  await p.goto(`${h.httpUrl}/`)
  await p.fill('#login-token', TOKEN)
  await p.click('#login-submit')
  await p.waitForSelector('#conn.live', { timeout: 20_000 })
  return { ctx, p }
}
{
  const zh = await signedIn('zh-CN')
  await zh.p.waitForTimeout(2500)
  await zh.p.screenshot({ path: join(docs, 'map-overview-zh.png') })
  console.log('docs/map-overview-zh.png')
  await zh.ctx.close()
}

// Finding a unit: its callsign typed in the unit list, Enter: the map is on it, labelled.
await page.fill('#unit-search', '巡 101')
await page.waitForTimeout(300)
await page.press('#unit-search', 'Enter')
await page.waitForSelector('#unit-details:not([hidden])')
await page.waitForTimeout(1000)
await shot('map-units.png')
await page.fill('#unit-search', '')
await page.click('#unit-details button.close')

// An acknowledgement with a note: the alert moves to the acknowledged section.
const ackItem = '#alerts-open li.alert[data-kind="zone_exit"]'
if ((await page.$(ackItem)) !== null) {
  await page.fill(`${ackItem} input.ack-note`, 'Called by radio: following a suspect vehicle, back in 10 min')
  await page.click(`${ackItem} button.ack`)
  await page.waitForSelector('#alerts-acked li.alert')
  await shot('map-ack-note.png')
}

await page.selectOption('#lang', 'zh-CN')
await page.click('li.alert[data-kind="radius_breach"]')
await shot('map-alerts-zh.png')
await page.selectOption('#lang', 'en')

await page.evaluate(() => (window as unknown as { hexpatrol: { map: { onUnitClick(id: string): void } } }).hexpatrol.map.onUnitClick('P-005'))
await page.waitForSelector('#unit-details:not([hidden]) button.track')
await page.click('#unit-details button.track')
await page.waitForTimeout(1500)
await shot('map-unit-track.png')
await page.click('#unit-details button.close')

await page.fill('#search-coords', '36.4850, 117.8400')
await page.click('#search-go')
await page.waitForSelector('#search-results li[data-unit]')
await page.evaluate(() => { (window as unknown as { hexpatrol: { map: { map: { setView(ll: [number, number], z: number): void } } } }).hexpatrol.map.map.setView([36.485, 117.84], 14) })
await shot('map-search.png')

const local = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
await page.fill('#replay-from', local(now - 40 * 60_000))
await page.selectOption('#replay-speed', '300')
await page.click('#replay-play')
await page.waitForFunction(() => /Replaying/.test(document.querySelector('#replay-status')?.textContent ?? ''), undefined, { timeout: 20_000 })
await page.evaluate(() => { (window as unknown as { hexpatrol: { map: { map: { setView(ll: [number, number], z: number): void } } } }).hexpatrol.map.map.setView([36.485, 117.86], 13) })
await page.waitForTimeout(4000)
await shot('map-replay.png')

await page.click('#replay-stop')
await page.waitForFunction(() => (window as unknown as { hexpatrol: { store: { paused: boolean } } }).hexpatrol.store.paused === false)
const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${h.httpUrl}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return res.json() as Promise<Record<string, unknown>>
}
// A series of robberies and snatch thefts over the last day, clustered near the scene.
const types = ['robbery', 'snatch_theft', 'burglary', 'theft']
await call('POST', '/api/v1/incidents', Array.from({ length: 14 }, (_, i) => ({
  id: `CAD-${1000 + i}`, type: types[i % 4], priority: 2 + (i % 3), time: new Date(now - (i + 1) * 80 * 60_000).toISOString(),
  lat: SCENE.lat + 0.002 + (r() - 0.5) * 0.004, lon: SCENE.lon - 0.003 + (r() - 0.5) * 0.004, address: `经十路 ${10 + i} 号`,
})))
await waitFor(async () => ((await call('GET', '/api/v1/hotspots')).features as unknown[]).length > 0, 30_000)
await call('PUT', '/api/v1/zones/grid-1/level', { level: 'high', reason: 'robbery series' })
await call('POST', '/api/v1/incidents', { id: 'CAD-2001', type: 'robbery', priority: 1, lat: SCENE.lat, lon: SCENE.lon, address: '经十路农贸市场' })
await call('POST', '/api/v1/plans/robbery-ring/activate', { incident_id: 'CAD-2001' })
// P-001 drives to its checkpoint and stays past the dwell (real-time fixes: the tracker reads each tick).
for (let i = 0; i < 6; i++) {
  await pub.publishAsync('fleet/P-001/position', JSON.stringify({ ts: Date.now(), lat: P1.lat + 0.0005 + (i % 2) * 0.00002, lon: P1.lon, accuracy: 5, speed: 0 }), { qos: 1 })
  await new Promise((res) => setTimeout(res, 700))
}
await waitFor(async () => {
  const cps = ((await call('GET', '/api/v1/plans/robbery-ring')).active as { checkpoints: Array<{ state: string }> }).checkpoints
  return cps[0]!.state === 'reached' && cps[1]!.state === 'missed'
}, 30_000)
await page.waitForSelector('#plan-list li[data-checkpoint="0"][data-state="reached"]', { timeout: 20_000 })
// The imported incidents show with the page's next poll (every 30 s).
await page.waitForFunction(() => document.querySelectorAll('#incident-list li[data-incident]').length >= 15, undefined, { timeout: 45_000 })
await page.waitForSelector('#plan-list li[data-checkpoint="1"][data-state="missed"]', { timeout: 20_000 })
// Without the coverage cells and the search rings, so incidents, hotspots and the plan stand out.
await page.evaluate(([lat, lon]) => {
  const m = (window as unknown as { hexpatrol: { map: { highlight(p: null, ids: string[]): void; map: { setView(ll: [number, number], z: number): void } } } }).hexpatrol.map
  m.highlight(null, [])
  ;(m as unknown as { setLayerVisible(name: string, on: boolean): void }).setLayerVisible('cells', false)
  document.querySelector('#ops')?.scrollIntoView()
  m.map.setView([lat!, lon!], 15)
}, [SCENE.lat + 0.001, SCENE.lon])
await page.waitForTimeout(1500)
await shot('map-incidents.png')

// The dispatcher's console: the live robbery picked in the incident card and assigned from the
// page to the first (nearest) candidate: a line from the unit to the scene.
await page.selectOption('#incident-select', 'CAD-2001')
await page.waitForSelector('#incident-candidates li[data-unit]', { timeout: 30_000 })
await page.check('#incident-candidates li[data-unit] input')
await page.click('#incident-assign')
await page.waitForSelector('#incident-assigned li[data-unit]', { timeout: 30_000 })
// Each language from a fresh session (no track, replay or search left on the map), the left
// column scrolled to the dispatch card: the whole console, then each dispatcher panel on its own.
for (const [lang, locale] of [['en', 'en-GB'], ['zh', 'zh-CN']] as const) {
  const { ctx, p } = await signedIn(locale)
  await p.waitForFunction(() => document.querySelectorAll('#incident-list li[data-incident]').length >= 15, undefined, { timeout: 45_000 })
  await p.waitForSelector('#plan-list li[data-checkpoint="2"]', { timeout: 30_000 })
  await p.selectOption('#incident-select', 'CAD-2001')
  await p.waitForSelector('#incident-assigned li[data-unit]', { timeout: 30_000 })
  await p.evaluate(([lat, lon]) => {
    const m = (window as unknown as { hexpatrol: { map: { map: { setView(ll: [number, number], z: number): void } } } }).hexpatrol.map
    ;(m as unknown as { setLayerVisible(name: string, on: boolean): void }).setLayerVisible('cells', false)
    document.querySelector('#incident-dispatch')?.scrollIntoView()
    m.map.setView([lat!, lon!], 15)
  }, [SCENE.lat + 0.001, SCENE.lon])
  await p.waitForTimeout(2000)
  await p.screenshot({ path: join(docs, `map-console-${lang}.png`) })
  console.log(`docs/map-console-${lang}.png`)
  for (const [sel, name] of [['#incident-dispatch', 'incident'], ['#plan-list', 'plan'], ['#level-controls', 'levels']] as const) {
    const el = await p.$(sel)
    if (el === null || !(await el.isVisible())) continue
    await el.scrollIntoViewIfNeeded()
    await el.screenshot({ path: join(docs, `panel-${name}-${lang}.png`) })
    console.log(`docs/panel-${name}-${lang}.png`)
  }
  // Recording an incident by a place's name: the sample's gazetteer answers "人民广场".
  await p.fill('#incident-address', '人民广场')
  await p.click('#incident-find')
  await p.waitForSelector('#incident-places li.place', { timeout: 15_000 })
  const record = (await p.$('#incident-record'))!
  await record.scrollIntoViewIfNeeded()
  await record.screenshot({ path: join(docs, `panel-place-${lang}.png`) })
  console.log(`docs/panel-place-${lang}.png`)
  // Make-up patrols: only when the sample's shift has proposed or assigned any.
  if ((await p.$$('#patrol-tasks li:not(.empty)')).length > 0) {
    await (await p.$('#patrol-tasks'))!.screenshot({ path: join(docs, `panel-tasks-${lang}.png`) })
    console.log(`docs/panel-tasks-${lang}.png`)
  }
  await ctx.close()
}

// The wall screen: read-only, large, nothing to press (a read token is enough; this one operates).
const wall = await s.browser.newContext({ viewport: { width: 1920, height: 1080 } })
const wp = await wall.newPage()
await wp.goto(`${h.httpUrl}/?view=wall`)
await wp.fill('#login-token', TOKEN)
await wp.click('#login-submit')
await wp.waitForSelector('#conn.live', { timeout: 20_000 })
await wp.waitForTimeout(2000)
await wp.screenshot({ path: join(docs, 'map-wall.png') })
console.log('docs/map-wall.png')
await wall.close()

if (s.external.length > 0) console.error('requests left the machine:', s.external)
await s.close()
pub.end(true)
await h.engine.stop()
