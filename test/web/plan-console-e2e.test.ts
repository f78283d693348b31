// Emergency plans on the console (issue 24), in headless Chromium against a real engine: a plan
// created through the API (one checkpoint with a fixed unit, one with "the nearest available at
// activation") is listed with its version; the dispatcher activates it from the page for an
// incident, sees each checkpoint's units with distance and ETA, and stands it down from the page;
// a read session sees the plans but no control.
import t from 'tap'
import { waitFor } from '../helpers/harness.js'
import { connect } from '../helpers/publisher.js'
import { consoleTokens, logIn, openConsole, requireChromium } from '../helpers/browser.js'
import { apiCall, startConsole } from '../helpers/console.js'

requireChromium(t, "the plan console's browser test")

const { operate: OPERATE, read: READ } = consoleTokens
const STATION = { lat: 36.49, lon: 117.86 }
const SCENE = { lat: 36.492, lon: 117.865 }
const config = {
  units: [
    { id: 'V-1', kind: 'vehicle', name: 'Car 1', post: 'st-a', zone: 'grid-a' },
    { id: 'V-2', kind: 'vehicle', name: 'Car 2', post: 'st-a', zone: 'grid-a' },
    { id: 'V-3', kind: 'vehicle', name: 'Car 3', zone: 'grid-a' },
  ],
  posts: [{ id: 'st-a', name: 'Station A', ...STATION, radius_m: 3000 }],
  zones: [{ id: 'grid-a', name: 'Grid A', geometry: { type: 'Polygon', coordinates: [[[117.845, 36.48], [117.89, 36.48], [117.89, 36.51], [117.845, 36.51], [117.845, 36.48]]] }, coverage: { resolution: 9, max_interval: '30m', min_ratio: 0 } }],
  rules: { allowed_lateness: '0s', tick: '250ms' },
}

const { h, s } = await startConsole(t, config)
const { page } = s
const pub = await connect(h.mqttUrl, { clientId: 'plan-console-e2e' })
t.teardown(() => pub.end(true))

const call = <T>(method: string, path: string, body?: unknown) => apiCall<T>(h.httpUrl, OPERATE, method, path, body)

// V-1 and V-2 near the scene (V-2 the nearer to the east checkpoint), V-3 far off.
const t0 = Date.now() - 10_000
for (const [unit, p] of [['V-1', { lat: SCENE.lat - 0.003, lon: SCENE.lon }], ['V-2', { lat: SCENE.lat, lon: SCENE.lon + 0.004 }], ['V-3', { lat: 36.505, lon: 117.885 }]] as const) {
  await pub.publishAsync(`fleet/${unit}/position`, JSON.stringify({ accuracy: 6, ts: t0, ...p }), { qos: 1 })
}
// ClickHouse (embedded) may still be starting: incidents answer 503 until it is ready.
await waitFor(async () => (await call('POST', '/api/v1/incidents', { id: 'R-9', type: 'robbery', priority: 1, lat: SCENE.lat, lon: SCENE.lon })).status === 201, 60_000, 500)
const created = await call<{ version: number }>('POST', '/api/v1/plans', {
  id: 'cordon', name: 'Cordon', positions: 'scene', dwell: '5s',
  checkpoints: [
    { name: 'North gate', north_m: 300, units: ['V-1'], arrive_within: '10m', radius_m: 80 },
    { name: 'East road', east_m: 300, nearest: 1, arrive_within: '10m', radius_m: 80 },
  ],
})
if (created.status !== 201) throw new Error(`plan refused: ${JSON.stringify(created.body)}`)
await waitFor(async () => (await call<{ units: Array<{ id: string; lastFix: unknown }> }>('GET', '/api/v1/units')).body.units.filter((u) => u.lastFix !== null).length === 3, 30_000)

await logIn(page, h.httpUrl, OPERATE)

t.test('the dispatcher activates the plan for an incident, sees who goes where with ETAs, stands it down', async (t) => {
  await page.waitForSelector('#plan-defs li[data-plan="cordon"][data-version="1"]', { timeout: 30_000 })
  t.match(await page.textContent('#plan-defs li[data-plan="cordon"]'), /Cordon · version 1, set at run time/)
  await page.waitForSelector('#plan-incident option[value="R-9"]', { state: 'attached', timeout: 30_000 })
  await page.selectOption('#plan-pick', 'cordon')
  await page.selectOption('#plan-incident', 'R-9')
  await page.click('#plan-activate')

  const plan = '#plan-list .plan[data-plan="cordon"]'
  await page.waitForSelector(`${plan} li.checkpoint[data-checkpoint="1"]`, { timeout: 30_000 })
  await page.waitForFunction((sel) => [...document.querySelectorAll(`${sel} li.checkpoint .hint`)].every((e) => /ETA \d+ min/.test(e.textContent ?? '')), plan, { timeout: 30_000 })
  const hints = await page.$$eval(`${plan} li.checkpoint .hint`, (els) => els.map((e) => e.textContent ?? ''))
  t.match(hints[0], /^Car 1: [\d.]+ k?m, ETA \d+ min$/, 'the fixed unit with distance and ETA')
  t.match(hints[1], /^Car 2: [\d.]+ k?m, ETA \d+ min$/, 'the nearest available unit picked at activation')
  t.match(await page.textContent('#plan-status'), 'Plan Cordon activated.')
  const status = await call<{ active: { incidentId: string; centre: { lat: number }; checkpoints: Array<{ picked: string[] }> } }>('GET', '/api/v1/plans/cordon')
  t.match(status.body.active, { incidentId: 'R-9', centre: { lat: SCENE.lat }, checkpoints: [{ picked: [] }, { picked: ['V-2'] }] }, 'activated for the incident, centred on it')

  await page.click('button.plan-standdown[data-plan="cordon"]')
  await page.waitForSelector(plan, { state: 'detached', timeout: 30_000 })
  await page.waitForSelector('#plan-defs li[data-plan="cordon"]:not(.active)', { timeout: 30_000 })
  t.equal((await call<{ active: unknown }>('GET', '/api/v1/plans/cordon')).body.active, null, 'stood down')
  t.same(s.errors, [], 'no page errors')
})

t.test('a read session sees the plans, not the controls', async (t) => {
  t.equal((await call('POST', '/api/v1/plans/cordon/activate', { lat: SCENE.lat, lon: SCENE.lon })).status, 200)
  const p = await openConsole(t, s.browser, h.httpUrl, READ, { until: '#plan-defs li.active[data-plan="cordon"]' })
  t.equal(await p.$$eval('#plan-pick, #plan-incident, #plan-activate, button.plan-standdown', (e) => e.length), 0, 'nothing to press')
})
