// Incident-guided patrol on the live map, in headless Chromium against a real engine (embedded
// broker and ClickHouse): imported past incidents make hotspot cells that the map shades; a
// zone's patrol level shows on the map and follows a change made through the API; a live
// incident appears (SSE incident.opened) with its nearest units; an activated plan shows its
// checkpoints, lines from the responsible units, and their states as units arrive or not
// (reached / missed), the missed one an alert in the alert panel (checkpoint_missed); labels
// switch to Chinese; nothing is fetched from outside the machine.
import t from 'tap'
import { waitFor } from '../helpers/harness.js'
import { connect } from '../helpers/publisher.js'
import { consoleTokens, logIn, requireChromium } from '../helpers/browser.js'
import { apiCall, startConsole } from '../helpers/console.js'

requireChromium(t, "the map's browser test")

const { operate: OPERATE } = consoleTokens
const STATION = { lat: 36.49, lon: 117.86 }
const SCENE = { lat: 36.492, lon: 117.865 }
const M_LAT = 1 / 111_320
const config = {
  units: [
    { id: 'V-1', kind: 'vehicle', name: 'Car 1', post: 'st-a', zone: 'grid-a' },
    { id: 'V-2', kind: 'vehicle', name: 'Car 2', post: 'st-a', zone: 'grid-a' },
    { id: 'V-3', kind: 'vehicle', name: 'Car 3', post: 'st-a', zone: 'grid-a' },
  ],
  posts: [{ id: 'st-a', name: 'Station A', ...STATION, radius_m: 3000 }],
  zones: [{ id: 'grid-a', name: 'Grid A', geometry: { type: 'Polygon', coordinates: [[[117.845, 36.48], [117.89, 36.48], [117.89, 36.51], [117.845, 36.51], [117.845, 36.48]]] }, coverage: { resolution: 9, max_interval: '30m', min_ratio: 0 } }],
  rules: { allowed_lateness: '0s', tick: '250ms' },
  incidents: { hotspots: { top_per_zone: 3, min_score: 1, recompute_every: '1h' } },
  plans: [{ id: 'ring', name: 'Robbery ring', positions: 'scene', dwell: '2s', checkpoints: [
    { name: 'North gate', north_m: 500, units: ['V-1'], arrive_within: '10m', radius_m: 80 },
    { name: 'East road', east_m: 700, units: ['V-2'], arrive_within: '3s', radius_m: 80 },
  ] }],
}

const { h, s } = await startConsole(t, config)
const pub = await connect(h.mqttUrl, { clientId: 'incidents-e2e' })
t.teardown(() => pub.end(true))
const { page } = s

const call = <T>(method: string, path: string, body?: unknown) => apiCall<T>(h.httpUrl, OPERATE, method, path, body)
const send = async (unit: string, fixes: Array<{ ts: number; lat: number; lon: number }>) => {
  for (const f of fixes) await pub.publishAsync(`fleet/${unit}/position`, JSON.stringify({ accuracy: 6, speed: 8, ...f }), { qos: 1 })
}
type Probe = {
  opsProbe: { incident(id: string): string | null; hotspot(id: string): string | null; hotspotCount(): number; checkpoint(plan: string, i: number): string | null; lines(): number; levelColour(zone: string): string | null }
}

// Units on patrol, a series of past robberies around one corner (bulk import: no dispatch, but
// hotspots), and the zone raised to "high".
const t0 = Date.now() - 30_000
await send('V-1', [{ ts: t0, lat: SCENE.lat - 0.003, lon: SCENE.lon }])
await send('V-2', [{ ts: t0, lat: SCENE.lat + 0.002, lon: SCENE.lon - 0.004 }])
await send('V-3', [{ ts: t0, lat: SCENE.lat - 0.006, lon: SCENE.lon + 0.006 }])
const HOT = { lat: 36.5, lon: 117.875 }
const past = Array.from({ length: 6 }, (_, i) => ({ id: `R-past-${i}`, type: i % 2 === 0 ? 'robbery' : 'snatch_theft', priority: 2, time: new Date(Date.now() - (i + 1) * 3_600_000).toISOString(), lat: HOT.lat + (i % 3) * 0.0002, lon: HOT.lon + (i % 2) * 0.0002 }))
// ClickHouse (embedded) may still be starting: the import answers 503 until it is ready.
await waitFor(async () => (await call<{ created: number }>('POST', '/api/v1/incidents', past)).status === 200, 60_000, 500)
const hot = await waitFor(async () => {
  const r = await call<{ features: Array<{ id: string }> }>('GET', '/api/v1/hotspots')
  return r.body.features.length > 0 ? r.body.features : false
}, 30_000, 250)
// (No assertion out here: tap would end the root test before the subtests.)
const raised = await call('PUT', '/api/v1/zones/grid-a/level', { level: 'high', reason: 'robbery series' })
if (raised.status !== 200) throw new Error(`level change refused: ${JSON.stringify(raised.body)}`)

await logIn(page, h.httpUrl, OPERATE)

t.test('hotspot cells from the hotspots route are shaded on the map', async (t) => {
  await page.waitForFunction((n) => (window as unknown as { hexpatrol: Probe }).hexpatrol.opsProbe.hotspotCount() === n, hot.length, { timeout: 60_000 })
  t.equal(await page.evaluate((id) => (window as unknown as { hexpatrol: Probe }).hexpatrol.opsProbe.hotspot(id), hot[0]!.id), '#ff5f00')
  t.equal(await page.textContent('#hotspot-count'), `Hotspot cells: ${hot.length}`)
})

t.test('past incidents are listed and pinned, newest first', async (t) => {
  await page.waitForSelector('#incident-list li[data-incident="R-past-0"]')
  const ids = await page.$$eval('#incident-list li[data-incident]', (els) => els.map((e) => e.getAttribute('data-incident')))
  t.same(ids, past.map((p) => p.id))
  t.match(await page.textContent('#incident-list li[data-incident="R-past-0"] .incident-kind'), /^robbery · priority 2$/)
  t.equal(await page.evaluate(() => (window as unknown as { hexpatrol: Probe }).hexpatrol.opsProbe.incident('R-past-1')), '#b31d28', 'priority 2: dark red')
})

t.test('the zone\'s patrol level is shown and follows a change', async (t) => {
  await page.waitForFunction(() => document.querySelector('#zones tr[data-zone="grid-a"] .level')?.textContent === 'high')
  t.equal(await page.evaluate(() => (window as unknown as { hexpatrol: Probe }).hexpatrol.opsProbe.levelColour('grid-a')), '#f0883e', 'rung 2 outline')
  await page.waitForFunction((want) => [...document.querySelectorAll('.leaflet-tooltip.level-label')].map((e) => e.textContent).join('|') === want, 'Grid A · high')
  t.pass('the level is labelled on the zone')
  t.equal((await call('PUT', '/api/v1/zones/grid-a/level', { level: 'emergency', reason: 'armed robbery in progress' })).status, 200)
  await page.waitForFunction(() => document.querySelector('#zones tr[data-zone="grid-a"] .level')?.textContent === 'emergency', undefined, { timeout: 60_000 })
  t.equal(await page.evaluate(() => (window as unknown as { hexpatrol: Probe }).hexpatrol.opsProbe.levelColour('grid-a')), '#d6312b', 'patrol_level.changed recoloured the zone')
})

t.test('a live incident appears with its nearest units; the plan\'s checkpoints and lines appear', async (t) => {
  const created = await call<{ resources: Array<{ unitId: string }> }>('POST', '/api/v1/incidents', { id: 'R-live', type: 'robbery', priority: 1, time: new Date().toISOString(), lat: SCENE.lat, lon: SCENE.lon, address: '<b>12 Jingshi Rd</b>' })
  t.equal(created.status, 201)
  const li = await page.waitForSelector('#incident-list li[data-incident="R-live"]', { timeout: 60_000 })
  t.equal((await page.$$eval('#incident-list li[data-incident]', (els) => els.map((e) => e.getAttribute('data-incident'))))[0], 'R-live', 'newest first')
  t.match(await li.textContent(), /<b>12 Jingshi Rd<\/b>/, 'the address is shown as text, not markup')
  t.match(await page.textContent('#incident-list li[data-incident="R-live"] .incident-units'), new RegExp(`^${created.body.resources[0]!.unitId === 'V-1' ? 'Car 1' : '\\w'}`))
  t.match(await page.textContent('#alert-banner'), /New incident: robbery/)
  t.equal(await page.evaluate(() => (window as unknown as { hexpatrol: Probe }).hexpatrol.opsProbe.incident('R-live')), '#b31d28')

  const act = await call('POST', '/api/v1/plans/ring/activate', { incident_id: 'R-live' })
  t.equal(act.status, 200)
  await page.waitForSelector('#plan-list .plan[data-plan="ring"] li[data-checkpoint="1"]', { timeout: 60_000 })
  t.same(await page.$$eval('#plan-list li[data-checkpoint]', (els) => els.map((e) => e.getAttribute('data-state'))), ['pending', 'pending'])
  t.equal(await page.evaluate(() => (window as unknown as { hexpatrol: Probe }).hexpatrol.opsProbe.checkpoint('ring', 0)), '#e3b341', 'pending: amber')
  t.equal(await page.evaluate(() => (window as unknown as { hexpatrol: Probe }).hexpatrol.opsProbe.lines()), 2, 'a line from each responsible unit to its checkpoint')
})

t.test('checkpoint states follow the units: one manned, one missed', async (t) => {
  // V-1 drives to the north checkpoint and stays there longer than the dwell. The plan tracker
  // reads each unit's latest fix per rule tick, so the fixes come in real time, one every 600 ms.
  const north = { lat: SCENE.lat + 500 * M_LAT, lon: SCENE.lon }
  for (let i = 0; i < 6; i++) {
    await send('V-1', [{ ts: Date.now(), lat: north.lat + (i % 2) * 0.00003, lon: north.lon }])
    await new Promise((r) => setTimeout(r, 600))
  }
  await page.waitForSelector('#plan-list li[data-checkpoint="0"][data-state="reached"]', { timeout: 60_000 })
  await page.waitForSelector('#plan-list li[data-checkpoint="1"][data-state="missed"]', { timeout: 60_000 })
  t.match(await page.textContent('#plan-list li[data-checkpoint="0"]'), /North gate · manned.*manned by Car 1/)
  t.match(await page.textContent('#plan-list li[data-checkpoint="1"]'), /East road · missed.*Car 2: [\d.]+ k?m, ETA \d+ min/)
  const colours = await page.evaluate(() => [0, 1].map((i) => (window as unknown as { hexpatrol: Probe }).hexpatrol.opsProbe.checkpoint('ring', i)))
  t.same(colours, ['#2e9e5b', '#d6312b'], 'manned green, missed red')
  const api = await call<{ active: { checkpoints: Array<{ state: string }> } }>('GET', '/api/v1/plans/ring')
  t.same(api.body.active.checkpoints.map((c) => c.state), ['reached', 'missed'], 'the page shows what the API says')
  // The miss is an alert too (checkpoint_missed): in the alert panel, worded from its fields.
  const alert = await page.waitForSelector('#alerts-open li[data-kind="checkpoint_missed"]', { timeout: 60_000 })
  t.equal(await alert.getAttribute('data-state'), 'opened')
  t.match(await alert.textContent(), /Checkpoint missed.*Checkpoint East road of plan Robbery ring not manned by \d\d:\d\d:\d\d/)
  const listed = await call<{ alerts: Array<{ kind: string; subject: string }> }>('GET', '/api/v1/alerts?kind=checkpoint_missed')
  t.same(listed.body.alerts.map((a) => a.subject), ['plan:ring/checkpoint:1'])
})

t.test('Chinese labels for incidents, levels and checkpoints', async (t) => {
  await page.selectOption('#lang', 'zh-CN')
  t.equal(await page.textContent('#ops h2'), '警情与预案')
  t.match(await page.textContent('#incident-list li[data-incident="R-live"] .incident-kind'), /^抢劫 · 1 级$/)
  t.match(await page.textContent('#incident-list li[data-incident="R-past-1"] .incident-kind'), /^抢夺/)
  t.equal(await page.textContent('#zones tr[data-zone="grid-a"] .level'), '紧急')
  t.equal(await page.textContent('#plan-list li[data-checkpoint="0"] .cp-state'), '已到位')
  t.equal(await page.textContent('#plan-list li[data-checkpoint="1"] .cp-state'), '超时未到')
  t.match(await page.textContent('#alerts-open li[data-kind="checkpoint_missed"]'), /卡点未到位.*预案「Robbery ring」卡点「East road」未在 \d\d:\d\d:\d\d 前到位/)
  // The replaced label fades out for 200 ms: wait until only the new one is left.
  await page.waitForFunction((want) => [...document.querySelectorAll('.leaflet-tooltip.level-label')].map((e) => e.textContent).join('|') === want, 'Grid A · 紧急', { timeout: 60_000 })
  t.pass('the zone\'s level label is in Chinese')
  await page.waitForFunction(() => [...document.querySelectorAll('.leaflet-tooltip.cp-label')].map((e) => e.textContent).join('|') === 'North gate · 已到位|East road · 超时未到', undefined, { timeout: 60_000 })
  t.pass('checkpoint labels on the map are in Chinese')
  await page.selectOption('#lang', 'en')
})

t.test('nothing left the machine and the page raised no error', async (t) => {
  t.same(s.external, [], 'every request went to the engine')
  t.ok(s.requests.some((u) => u.includes('/api/v1/hotspots')) && s.requests.some((u) => u.includes('/api/v1/plans/ring')))
  t.same(s.errors, [])
})
