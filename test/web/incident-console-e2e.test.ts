// The dispatcher records, assigns and closes an incident from the map, in headless Chromium
// against a real engine (embedded broker and ClickHouse): pick the scene with a map click, record
// it, see the nearest available units, assign one (a line from the unit to the scene), reload
// (the assignment is still there), close with an outcome (the line goes); with a read token the
// card has no controls and there is no form, and follows another dispatcher's assignment live.
import t from 'tap'
import { waitFor } from '../helpers/harness.js'
import { connect } from '../helpers/publisher.js'
import { consoleTokens, logIn, requireChromium, signIn } from '../helpers/browser.js'
import { apiCall, startConsole, pickOnMap, type ConsoleProbe } from '../helpers/console.js'

requireChromium(t, "the dispatch console's browser test")

const { operate: OPERATE, read: READ } = consoleTokens
const SCENE = { lat: 36.492, lon: 117.865 }
const config = {
  units: [
    { id: 'V-1', kind: 'vehicle', name: 'Car 1', zone: 'grid-a' },
    { id: 'V-2', kind: 'vehicle', name: 'Car 2', zone: 'grid-a' },
  ],
  zones: [{ id: 'grid-a', name: 'Grid A', geometry: { type: 'Polygon', coordinates: [[[117.845, 36.48], [117.89, 36.48], [117.89, 36.51], [117.845, 36.51], [117.845, 36.48]]] }, coverage: { resolution: 9, max_interval: '30m', min_ratio: 0 } }],
  rules: { allowed_lateness: '0s', tick: '250ms' },
}

const { h, s } = await startConsole(t, config)
const { page } = s
const pub = await connect(h.mqttUrl, { clientId: 'incident-console-e2e' })
t.teardown(() => pub.end(true))

const get = <T>(path: string) => apiCall<T>(h.httpUrl, OPERATE, 'GET', path)
type Probe = ConsoleProbe

const now = Date.now()
for (const [unit, lat, lon] of [['V-1', SCENE.lat - 0.003, SCENE.lon], ['V-2', SCENE.lat + 0.006, SCENE.lon - 0.006]] as const) {
  await pub.publishAsync(`fleet/${unit}/position`, JSON.stringify({ ts: now, lat, lon, accuracy: 6, speed: 8 }), { qos: 1 })
}
// ClickHouse (embedded) may still be starting: the incidents list answers partial until it is ready.
await waitFor(async () => { const r = await get<{ partial?: true }>('/api/v1/incidents'); return r.status === 200 && r.body.partial === undefined }, 60_000, 500)

await logIn(page, h.httpUrl, OPERATE)

let id = ''

t.test('record by a map click, see the candidates, assign one: a line to the scene', async (t) => {
  await page.waitForSelector('#incident-record #incident-submit')
  await pickOnMap(page, SCENE.lat, SCENE.lon)
  const coords = await page.inputValue('#incident-coords')
  const [lat, lon] = coords.split(',').map(Number)
  t.ok(Math.abs(lat! - SCENE.lat) < 0.0005 && Math.abs(lon! - SCENE.lon) < 0.0005, `the click gave the scene's coordinates (${coords})`)
  t.notOk(await page.isChecked('#incident-pick'), 'pick mode ends after one click')
  await page.selectOption('#incident-type', 'robbery')
  await page.selectOption('#incident-priority', '1')
  await page.fill('#incident-description', 'bag snatched, suspect on foot')
  await page.fill('#incident-address', '12 Jingshi Rd')
  await page.click('#incident-submit')
  await page.waitForSelector('#incident-card[data-status="open"]', { timeout: 30_000 })
  id = await page.getAttribute('#incident-card', 'data-incident') ?? ''
  t.match(id, /^INC-\d{14}-[0-9a-z]{4}$/)
  await page.waitForSelector('#incident-candidates li[data-unit="V-1"]', { timeout: 30_000 })
  t.same(await page.$$eval('#incident-candidates li[data-unit]', (els) => els.map((e) => e.getAttribute('data-unit'))), ['V-1', 'V-2'], 'nearest first')
  t.match(await page.textContent('#incident-candidates li[data-unit="V-1"]'), /^ Car 1 · 3\d\d m, ETA \d+ min$/)
  await page.check('#incident-candidates input[data-unit="V-1"]')
  await page.click('#incident-assign')
  await page.waitForSelector('#incident-assigned li[data-unit="V-1"]', { timeout: 30_000 })
  await page.waitForFunction((i) => (window as unknown as { hexpatrol: Probe }).hexpatrol.incidentLines(i) === 1, id, { timeout: 30_000 })
  t.pass('a line from V-1 to the scene')
  await page.waitForFunction(() => !document.querySelector('#incident-candidates li[data-unit="V-1"]'), undefined, { timeout: 30_000 })
  t.pass('V-1 is no longer a candidate')
})

t.test('a reload keeps the assignment; closing with an outcome ends it', async (t) => {
  await page.reload()
  await page.waitForSelector('#conn.live', { timeout: 30_000 })
  await page.waitForSelector(`#incident-select option[value="${id}"]`, { state: 'attached', timeout: 30_000 })
  await page.selectOption('#incident-select', id)
  await page.waitForSelector('#incident-assigned li[data-unit="V-1"]', { timeout: 30_000 })
  await page.waitForFunction((i) => (window as unknown as { hexpatrol: Probe }).hexpatrol.incidentLines(i) === 1, id, { timeout: 30_000 })
  t.pass('still assigned, line drawn, after the reload')
  await page.fill('#incident-outcome', 'suspect arrested')
  await page.click('#incident-close')
  await page.waitForSelector('#incident-card[data-status="closed"]', { timeout: 30_000 })
  t.equal(await page.textContent('#incident-outcome-text'), 'Outcome: suspect arrested')
  t.equal(await page.$('#incident-close'), null, 'no controls on a closed incident')
  await page.waitForFunction((i) => (window as unknown as { hexpatrol: Probe }).hexpatrol.incidentLines(i) === 0, id, { timeout: 30_000 })
  const r = await get<{ status: string; outcome: string; assignments: Array<{ unitId: string }> }>(`/api/v1/incidents/${id}`)
  t.match(r.body, { status: 'closed', outcome: 'suspect arrested', assignments: [{ unitId: 'V-1' }] })
})

t.test('read scope: the card without controls, no form', async (t) => {
  const r = await fetch(`${h.httpUrl}/api/v1/incidents`, { method: 'POST', headers: { authorization: `Bearer ${OPERATE}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: 'R-open', type: 'theft', lat: SCENE.lat, lon: SCENE.lon }) })
  t.equal(r.status, 201)
  await page.click('#logout')
  await page.waitForSelector('#login-token', { timeout: 30_000 })
  await signIn(page, READ)
  await page.waitForSelector(`#incident-select option[value="${id}"]`, { state: 'attached', timeout: 30_000 })
  t.equal(await page.$('#incident-record'), null, 'no record form')
  await page.waitForSelector('#incident-select option[value="R-open"]', { state: 'attached', timeout: 30_000 })
  await page.selectOption('#incident-select', 'R-open')
  await page.waitForSelector('#incident-card[data-status="open"] #incident-assigned', { timeout: 30_000 })
  t.equal(await page.$('#incident-assign'), null, 'an open incident: no assign button')
  t.equal(await page.$('#incident-close'), null, '… and no close button')
  t.equal(await page.$('#incident-candidates'), null)
  // Another dispatcher assigns V-2: incident.assigned on the stream updates the card and the map.
  const r2 = await fetch(`${h.httpUrl}/api/v1/incidents/R-open/assign`, { method: 'POST', headers: { authorization: `Bearer ${OPERATE}`, 'content-type': 'application/json' }, body: JSON.stringify({ units: ['V-2'] }) })
  t.equal(r2.status, 200)
  await page.waitForSelector('#incident-assigned li[data-unit="V-2"]', { timeout: 30_000 })
  await page.waitForFunction(() => (window as unknown as { hexpatrol: Probe }).hexpatrol.incidentLines('R-open') === 1, undefined, { timeout: 30_000 })
  t.pass('the stream\'s incident.assigned shows on the card and the map')
})
