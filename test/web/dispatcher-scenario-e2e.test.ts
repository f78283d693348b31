// The dispatcher's whole scenario driven through the page only (issue 24), in headless Chromium
// against a real engine (embedded broker and ClickHouse): log in with an operate token, record a
// robbery by clicking the map, assign the nearest unit, raise the zone's level, activate the plan
// for the incident, watch a checkpoint get missed (alert + banner), acknowledge it with a note,
// stand the plan down, close the incident. Each step is checked through the API, and at the end
// every change through its audit row. A read session then sees none of the controls, and every
// write route the dispatcher used answers 403 to the read token. Only the units' fixes go over
// MQTT; every dispatcher action is a click or a keystroke. Generous bounds for a loaded machine.
import t from 'tap'
import type { ClickHouseClient } from '@clickhouse/client'
import { waitFor } from '../helpers/harness.js'
import { connect } from '../helpers/publisher.js'
import { rows } from '../helpers/clickhouse.js'
import { consoleTokens, logIn, openConsole, requireChromium } from '../helpers/browser.js'
import { apiCall, startConsole, pickOnMap, type ConsoleProbe } from '../helpers/console.js'

requireChromium(t, "the dispatcher scenario's browser test")

const { operate: OPERATE, read: READ } = consoleTokens
const SCENE = { lat: 36.492, lon: 117.865 }
const WAIT = { timeout: 30_000 }
const config = {
  units: [
    { id: 'V-1', kind: 'vehicle', name: 'Car 1', zone: 'grid-a' },
    { id: 'V-2', kind: 'vehicle', name: 'Car 2', zone: 'grid-a' },
  ],
  zones: [{ id: 'grid-a', name: 'Grid A', geometry: { type: 'Polygon', coordinates: [[[117.845, 36.48], [117.89, 36.48], [117.89, 36.51], [117.845, 36.51], [117.845, 36.48]]] }, coverage: { resolution: 9, max_interval: '30m', min_ratio: 0 } }],
  rules: { allowed_lateness: '0s', tick: '250ms' },
  // One checkpoint Car 2 cannot reach in time: the miss is certain, whatever the machine's load.
  plans: [{ id: 'cordon', name: 'Cordon', positions: 'scene', dwell: '2s', checkpoints: [
    { name: 'East road', east_m: 700, units: ['V-2'], arrive_within: '2s', radius_m: 80 },
  ] }],
}

const { h, s } = await startConsole(t, config)
const { page } = s
const pub = await connect(h.mqttUrl, { clientId: 'dispatcher-scenario-e2e' })
t.teardown(() => pub.end(true))

const call = <T>(method: string, path: string, token = OPERATE, body?: unknown) => apiCall<T>(h.httpUrl, token, method, path, body)
const get = <T>(path: string) => call<T>('GET', path, READ)
type Probe = ConsoleProbe
type Incident = { status: string; type: string; priority: number; outcome: string | null; assignments: Array<{ unitId: string }> }
type Alert = { id: string; kind: string; state: string; subject: string; acknowledgedBy: string | null; ackNote: string | null }

// V-1 300 m south of the scene, V-2 about 900 m north-west: V-1 is the nearest.
const now = Date.now()
for (const [unit, lat, lon] of [['V-1', SCENE.lat - 0.003, SCENE.lon], ['V-2', SCENE.lat + 0.006, SCENE.lon - 0.006]] as const) {
  await pub.publishAsync(`fleet/${unit}/position`, JSON.stringify({ ts: now, lat, lon, accuracy: 6, speed: 8 }), { qos: 1 })
}
// ClickHouse (embedded) may still be starting: the incidents list answers partial until it is ready.
await waitFor(async () => { const r = await get<{ partial?: true }>('/api/v1/incidents'); return r.status === 200 && r.body.partial === undefined }, 60_000, 500)
await waitFor(async () => (await get<{ units: Array<{ lastFix: unknown }> }>('/api/v1/units')).body.units.every((u) => u.lastFix !== null), 30_000, 250)

let incident = ''
let alertId = ''

t.test('log in with the operate token', async (t) => {
  await logIn(page, h.httpUrl, OPERATE)
  await page.waitForSelector('#incident-record #incident-submit', WAIT)
  t.pass('the console is live with the record form')
})

t.test('record a robbery by clicking the map', async (t) => {
  await pickOnMap(page, SCENE.lat, SCENE.lon)
  const [lat, lon] = (await page.inputValue('#incident-coords')).split(',').map(Number)
  t.ok(Math.abs(lat! - SCENE.lat) < 0.0005 && Math.abs(lon! - SCENE.lon) < 0.0005, 'the click gave the scene')
  await page.selectOption('#incident-type', 'robbery')
  await page.selectOption('#incident-priority', '1')
  await page.fill('#incident-description', 'bag snatched, suspect on foot')
  await page.click('#incident-submit')
  await page.waitForSelector('#incident-card[data-status="open"]', WAIT)
  incident = await page.getAttribute('#incident-card', 'data-incident') ?? ''
  t.match(incident, /^INC-\d{14}-[0-9a-z]{4}$/)
  const r = await get<Incident>(`/api/v1/incidents/${incident}`)
  t.match(r, { status: 200, body: { status: 'open', type: 'robbery', priority: 1, assignments: [] } }, 'the API has it, open')
})

t.test('assign the nearest unit', async (t) => {
  await page.waitForSelector('#incident-candidates li[data-unit="V-1"]', WAIT)
  t.equal(await page.getAttribute('#incident-candidates li[data-unit]', 'data-unit'), 'V-1', 'V-1 listed first: the nearest')
  await page.check('#incident-candidates input[data-unit="V-1"]')
  await page.click('#incident-assign')
  await page.waitForSelector('#incident-assigned li[data-unit="V-1"]', WAIT)
  await page.waitForFunction((i) => (window as unknown as { hexpatrol: Probe }).hexpatrol.incidentLines(i) === 1, incident, WAIT)
  const r = await get<Incident>(`/api/v1/incidents/${incident}`)
  t.match(r.body, { status: 'open', assignments: [{ unitId: 'V-1' }] }, 'the API has the assignment')
})

t.test("raise the zone's level", async (t) => {
  await page.click('#level-controls tr[data-zone="grid-a"] .level-change', WAIT)
  await page.selectOption('#level-select', 'high')
  await page.fill('#level-reason', 'robbery in progress')
  await page.click('#level-apply')
  await page.waitForFunction(() => document.querySelector('#level-controls tr[data-zone="grid-a"] .level-now')?.textContent === 'high', undefined, WAIT)
  const r = await get<{ zones: Array<{ zoneId: string; level: string; override: { reason: string; by: string } | null }> }>('/api/v1/levels')
  t.match(r.body.zones.find((z) => z.zoneId === 'grid-a'), { level: 'high', override: { reason: 'robbery in progress', by: 'sgt.wang' } })
})

t.test('activate the plan for the incident; the checkpoint is missed: alert and banner', async (t) => {
  // The banner shows for a few seconds only: record every text it takes from now on.
  await page.evaluate(() => {
    const w = window as unknown as { banners: string[] }
    w.banners = []
    const b = document.querySelector('#alert-banner')!
    new MutationObserver(() => { if (!(b as HTMLElement).hidden) w.banners.push(b.textContent ?? '') }).observe(b, { childList: true, characterData: true, subtree: true, attributes: true })
  })
  await page.waitForSelector(`#plan-incident option[value="${incident}"]`, { state: 'attached', ...WAIT })
  await page.selectOption('#plan-pick', 'cordon')
  await page.selectOption('#plan-incident', incident)
  await page.click('#plan-activate')
  await page.waitForSelector('#plan-list .plan[data-plan="cordon"] li.checkpoint[data-checkpoint="0"]', WAIT)
  const active = await get<{ active: { incidentId: string; activatedBy?: string; centre: { lat: number } } | null }>('/api/v1/plans/cordon')
  t.match(active.body.active, { incidentId: incident }, 'the API has the activation, for the incident')
  t.ok(Math.abs(active.body.active!.centre.lat - SCENE.lat) < 0.0005, 'centred on the scene')

  await page.waitForSelector('#plan-list li[data-checkpoint="0"][data-state="missed"]', WAIT)
  const li = await page.waitForSelector('#alerts-open li.alert[data-kind="checkpoint_missed"]', WAIT)
  alertId = (await li.getAttribute('data-alert')) ?? ''
  t.match(await li.textContent(), /Checkpoint East road of plan Cordon not manned by \d\d:\d\d:\d\d/)
  await page.waitForFunction(() => (window as unknown as { banners: string[] }).banners.some((b) => /^New alert: .*East road/.test(b)), undefined, WAIT)
  t.pass('the banner announced the miss')
  const a = await get<Alert>(`/api/v1/alerts/${alertId}`)
  t.match(a.body, { kind: 'checkpoint_missed', state: 'opened', subject: 'plan:cordon/checkpoint:0' }, 'the API has the alert, open')
  const plan = await get<{ active: { checkpoints: Array<{ state: string }> } }>('/api/v1/plans/cordon')
  t.same(plan.body.active.checkpoints.map((c) => c.state), ['missed'])
})

t.test('acknowledge the alert with a note', async (t) => {
  const item = `#alerts-open li.alert[data-alert="${alertId}"]`
  await page.fill(`${item} input.ack-note`, 'Car 2 held up at the bridge, Car 1 covers')
  await page.click(`${item} button.ack`)
  await page.waitForSelector(`#alerts-acked li.alert[data-alert="${alertId}"]`, WAIT)
  t.equal(await page.textContent(`#alerts-acked li.alert[data-alert="${alertId}"] .alert-acked`), 'acknowledged by sgt.wang: Car 2 held up at the bridge, Car 1 covers')
  const a = await get<Alert>(`/api/v1/alerts/${alertId}`)
  t.match(a.body, { state: 'acknowledged', acknowledgedBy: 'sgt.wang', ackNote: 'Car 2 held up at the bridge, Car 1 covers' })
})

t.test('stand the plan down', async (t) => {
  await page.click('button.plan-standdown[data-plan="cordon"]')
  await page.waitForSelector('#plan-list .plan[data-plan="cordon"]', { state: 'detached', ...WAIT })
  await page.waitForSelector('#plan-defs li[data-plan="cordon"]:not(.active)', WAIT)
  t.equal((await get<{ active: unknown }>('/api/v1/plans/cordon')).body.active, null, 'the API has it stood down')
  const a = await waitFor(async () => { const r = await get<Alert>(`/api/v1/alerts/${alertId}`); return r.body.state === 'resolved' ? r.body : false }, 30_000, 250)
  t.match(a, { state: 'resolved', ackNote: 'Car 2 held up at the bridge, Car 1 covers' }, 'the stand-down resolved the acknowledged alert, note kept')
  await page.waitForSelector(`#alerts-acked li.alert[data-alert="${alertId}"]`, { state: 'detached', ...WAIT })
})

t.test('close the incident with an outcome', async (t) => {
  // The card still shows the incident recorded above (picking it again would clear the form).
  t.equal(await page.inputValue('#incident-select'), incident, 'the card still shows the incident')
  await page.fill('#incident-outcome', 'suspect arrested')
  await page.click('#incident-close')
  await page.waitForSelector('#incident-card[data-status="closed"]', WAIT).catch(async (err: Error) => {
    throw new Error(`${err.message}; the card says: ${await page.textContent('#incident-action-status')}`)
  })
  await page.waitForFunction((i) => (window as unknown as { hexpatrol: Probe }).hexpatrol.incidentLines(i) === 0, incident, WAIT)
  const r = await get<Incident>(`/api/v1/incidents/${incident}`)
  t.match(r.body, { status: 'closed', outcome: 'suspect arrested', assignments: [{ unitId: 'V-1' }] })
  t.same(s.errors, [], 'no page error through the scenario')
})

// Every route the dispatcher wrote through, with a body the route would accept from an operator.
const writes = (): Array<[string, string, unknown]> => [
  ['POST', '/api/v1/incidents', { type: 'robbery', lat: SCENE.lat, lon: SCENE.lon }],
  ['POST', `/api/v1/incidents/${incident}/assign`, { units: ['V-2'] }],
  ['POST', `/api/v1/incidents/${incident}/close`, { outcome: 'x' }],
  ['PUT', '/api/v1/zones/grid-a/level', { level: 'normal', reason: 'x' }],
  ['POST', '/api/v1/plans/cordon/activate', { incident_id: incident }],
  ['POST', '/api/v1/plans/cordon/deactivate', {}],
  ['POST', `/api/v1/alerts/${alertId}/ack`, { note: 'x' }],
]

t.test('a read session sees none of the controls; every write answers 403', async (t) => {
  const p = await openConsole(t, s.browser, h.httpUrl, READ)
  // What there is to see is there: the zone's level, the plan, the incident. (The checkpoint's
  // alert is resolved by the stand-down: no longer listed.)
  await p.waitForFunction(() => document.querySelector('#zones tr[data-zone="grid-a"] .level')?.textContent === 'high', undefined, WAIT)
  await p.waitForSelector('#plan-defs li[data-plan="cordon"]', WAIT)
  await p.waitForSelector(`#incident-select option[value="${incident}"]`, { state: 'attached', ...WAIT })
  const controls = ['#incident-record', '#incident-pick', '#incident-submit', '#incident-assign', '#incident-close', '#incident-candidates',
    '#level-controls', '#level-suggestions', '.level-change', '#level-apply', '#plan-pick', '#plan-incident', '#plan-activate',
    'button.plan-standdown', 'input.ack-note', 'button.ack']
  t.same(await p.$$eval(controls.join(', '), (els) => els.map((e) => e.id || e.className)), [], 'no control to press')

  for (const [method, path, body] of writes()) {
    const r = await call<{ code: string }>(method, path, READ, body)
    t.same([r.status, r.body.code], [403, 'HEXP_ERR_FORBIDDEN'], `${method} ${path}`)
  }
  // Nothing moved: the state is what the dispatcher left.
  t.match((await get<Incident>(`/api/v1/incidents/${incident}`)).body, { status: 'closed', assignments: [{ unitId: 'V-1' }] })
  t.equal((await get<{ active: unknown }>('/api/v1/plans/cordon')).body.active, null)
})

t.test('the audit log has every step, by the dispatcher, in order, and every refused write', async (t) => {
  const { client, database: db } = h.engine.testHandle().ch
  type Row = { actor: string; action: string; target: string; status: number }
  const want = ['incident.create', 'incident.assign', 'zone.level', 'plan.activate', 'alert.acknowledge', 'plan.deactivate', 'incident.close']
  // Audit rows reach ClickHouse with the journal's next shipment: read until all are there (or
  // the bound passes), then assert on what was read, so a failure shows the rows.
  let got: Row[] = []
  await waitFor(async () => {
    got = await rows<Row>(client as ClickHouseClient, `SELECT actor, action, target, toUInt16(JSONExtractInt(details, 'status')) AS status FROM ${db}.audit ORDER BY at`)
    return want.every((a) => got.some((x) => x.actor === 'sgt.wang' && x.action === a)) && got.filter((x) => x.actor === 'desk').length > want.length
  }, 90_000, 500).catch(() => undefined)
  const mine = got.filter((x) => x.actor === 'sgt.wang' && want.includes(x.action))
  t.same(mine.map((x) => [x.action, x.target]), [['incident.create', ''], ['incident.assign', incident], ['zone.level', 'grid-a'], ['plan.activate', 'cordon'],
    ['alert.acknowledge', alertId], ['plan.deactivate', 'cordon'], ['incident.close', incident]], 'one row per step, in order, each naming its target')
  t.ok(mine.every((x) => x.status >= 200 && x.status < 300), 'all accepted')
  // The read token's refused writes are audited too, under its name (after its sign-in), all 403.
  const refused = got.filter((x) => x.actor === 'desk' && x.action !== 'POST /api/v1/session')
  t.same(refused.map((x) => x.action), ['incident.create', 'incident.assign', 'incident.close', 'zone.level', 'plan.activate', 'plan.deactivate', 'alert.acknowledge'], "the read token's attempts, one row each")
  t.ok(refused.every((x) => x.status === 403), 'all refused')
})
