// The live map end to end in a real browser (headless Chromium) against a real engine on its
// embedded defaults: log in through the page with a token, publish fixes over MQTT, and check
// through the page that units appear where they are, a radius breach shows in the alert panel
// and can be acknowledged (the API then says so), the nearest-unit search lists the right units,
// coverage cells change colour after a visit, the language switch relabels the page, and no
// request went anywhere but the engine.
import t from 'tap'
import { cellToLatLng, latLngToCell } from 'h3-js'
import { tempDir, waitFor } from '../helpers/harness.js'
import { connect } from '../helpers/publisher.js'
import { consoleTokens, requireChromium, signIn } from '../helpers/browser.js'
import { apiCall, startConsole } from '../helpers/console.js'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { solidPng, tilesCovering, writePmtiles } from '../helpers/pmtiles.js'

requireChromium(t, "the map's browser test")

const { operate: OPERATE, read: READ } = consoleTokens
const STATION = { lat: 36.49, lon: 117.86 }
// A local PMTiles basemap of the district (one solid colour), served by the engine itself.
const BASEMAP_RGB: [number, number, number] = [214, 232, 200]
const bounds: [number, number, number, number] = [117.83, 36.47, 117.90, 36.52]
const basemap = join(tempDir('hexp-basemap-'), 'district.pmtiles')
const tilePng = solidPng(BASEMAP_RGB)
writeFileSync(basemap, writePmtiles([11, 12, 13, 14, 15, 16].flatMap((z) => tilesCovering(bounds, z)).map((c) => ({ ...c, data: tilePng })), { bounds }))
const config = {
  map: { tiles: { pmtiles: basemap, attribution: 'Test basemap', max_zoom: 18 } },
  units: [
    { id: 'P-1', kind: 'vehicle', name: 'Patrol car 1', post: 'station-a', zone: 'grid-a' },
    { id: 'P-2', kind: 'vehicle', name: 'Patrol car 2', post: 'station-a', zone: 'grid-a' },
    { id: 'O-3', kind: 'officer', name: 'Officer 3', post: 'station-a', zone: 'grid-a' },
    { id: 'P-4', kind: 'vehicle', name: 'Patrol car 4', post: 'station-b', zone: 'grid-a' },
  ],
  posts: [
    { id: 'station-a', name: 'Station A', ...STATION, radius_m: 600 },
    { id: 'station-b', name: 'Station B', lat: 36.505, lon: 117.88, radius_m: 600 },
  ],
  zones: [{ id: 'grid-a', name: 'Grid A', geometry: { type: 'Polygon', coordinates: [[[117.845, 36.48], [117.89, 36.48], [117.89, 36.51], [117.845, 36.51], [117.845, 36.48]]] }, coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.5, response_radius_m: 800 } }],
  rules: { radius: { dwell: '2s', hysteresis_m: 20, max_accuracy_m: 100 }, allowed_lateness: '0s', tick: '250ms' },
}

const { h, s } = await startConsole(t, config)
const pub = await connect(h.mqttUrl, { clientId: 'map-e2e' })
t.teardown(() => pub.end(true))
const { page } = s

const api = async <T>(path: string): Promise<T> => (await apiCall<T>(h.httpUrl, OPERATE, 'GET', path)).body
const send = async (unit: string, fixes: Array<{ ts: number; lat: number; lon: number; speed?: number; battery?: number }>) => {
  for (const f of fixes) await pub.publishAsync(`fleet/${unit}/position`, JSON.stringify({ accuracy: 6, ...f }), { qos: 1 })
}
type Probe = { markerOf(id: string): { lat: number; lon: number; colour: string; shape: string } | null; cellColour(id: string): string | null; view: string }
const probe = <T>(fn: (hx: Probe) => T) => page.evaluate(fn as never) as Promise<T>

// Positions before login: the page must show them from the first load.
const t0 = Date.now() - 60_000
await send('P-1', [{ ts: t0, lat: 36.4905, lon: 117.8605 }])
await send('O-3', [{ ts: t0, lat: 36.4952, lon: 117.8698 }])
await send('P-4', [{ ts: t0, lat: 36.505, lon: 117.88, battery: 77 }])
await send('P-2', [{ ts: t0, lat: 36.4899, lon: 117.8601 }])

t.test('the page needs a login; a wrong token is refused, a right one opens the map', async (t) => {
  const unauth = await fetch(`${h.httpUrl}/api/v1/units.geojson`)
  t.equal(unauth.status, 401, 'the data is not readable without a session')
  await page.goto(`${h.httpUrl}/`)
  await page.waitForSelector('#login-token')
  await page.fill('#login-token', 'not-a-token-at-all')
  await page.click('#login-submit')
  await page.waitForFunction(() => document.querySelector('#login-error')?.textContent !== '')
  t.match(await page.textContent('#login-error'), /refused/)
  await signIn(page, OPERATE)
  t.match(await page.textContent('#user'), /sgt\.wang \(operate\)/)
  const cookies = await s.context.cookies()
  const c = cookies.find((x) => x.name === 'hexpatrol_session')
  t.ok(c?.httpOnly === true && c.sameSite === 'Strict', 'an HttpOnly, SameSite=Strict session cookie')
  t.notOk(s.requests.some((u) => u.includes(OPERATE)), 'the token never travels in a URL')
})

t.test('the PMTiles basemap: read from the engine by byte ranges, drawn as tiles', async (t) => {
  // Leaflet marks a tile loaded once its image decoded; the reader made it from the archive's bytes.
  await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('img.leaflet-tile-loaded')].some((i) => i.src.startsWith('blob:') && i.naturalWidth === 256), undefined, { timeout: 20_000 })
  const rgb = await page.evaluate(() => {
    const img = [...document.querySelectorAll<HTMLImageElement>('img.leaflet-tile-loaded')].find((i) => i.src.startsWith('blob:'))!
    const c = document.createElement('canvas')
    c.width = c.height = 1
    const ctx = c.getContext('2d')!
    ctx.drawImage(img, 128, 128, 1, 1, 0, 0, 1, 1)
    return [...ctx.getImageData(0, 0, 1, 1).data.slice(0, 3)]
  })
  t.same(rgb, BASEMAP_RGB, 'the tile shows the archive\'s image')
  t.ok(s.requests.some((u) => u.endsWith('/api/v1/map/tiles.pmtiles')), 'the archive was read from the engine')
  t.match(await page.textContent('.leaflet-control-attribution'), /Test basemap/)
})

t.test('units appear where they are, shaped by kind, and follow the stream', async (t) => {
  await page.waitForFunction(() => (window as unknown as { hexpatrol: Probe }).hexpatrol.markerOf('P-4') !== null)
  const p1 = await probe((hx) => (window as unknown as { hexpatrol: Probe }).hexpatrol.markerOf('P-1'))
  t.same([p1?.lat, p1?.lon, p1?.shape], [36.4905, 117.8605, 'vehicle'])
  t.equal((await probe(() => (window as unknown as { hexpatrol: Probe }).hexpatrol.markerOf('O-3')))?.shape, 'officer')
  await send('P-1', [{ ts: Date.now() - 1000, lat: 36.4915, lon: 117.8625, speed: 8 }])
  await page.waitForFunction(() => (window as unknown as { hexpatrol: Probe }).hexpatrol.markerOf('P-1')?.lat === 36.4915, undefined, { timeout: 10_000 })
  t.equal((await probe(() => (window as unknown as { hexpatrol: Probe }).hexpatrol.markerOf('P-1')))?.colour, '#1f7ae0', 'moving: blue')
  t.equal((await probe(() => (window as unknown as { hexpatrol: Probe }).hexpatrol.markerOf('P-4')))?.colour, '#2e9e5b', 'stationary: green')

  // Click the marker on the canvas: the details panel opens with the unit's post.
  const pt = await page.evaluate(() => {
    const hx = (window as unknown as { hexpatrol: { map: { map: { latLngToContainerPoint(ll: [number, number]): { x: number; y: number }; getContainer(): HTMLElement } } } }).hexpatrol
    const p = hx.map.map.latLngToContainerPoint([36.505, 117.88])
    const r = hx.map.map.getContainer().getBoundingClientRect()
    return { x: r.left + p.x, y: r.top + p.y }
  })
  await page.mouse.click(pt.x, pt.y)
  await page.waitForSelector('#unit-details:not([hidden]) dd[data-field="unit.post"]')
  t.equal(await page.textContent('#unit-details dd[data-field="unit.post"]'), 'Station B', 'the post by name')
  t.equal(await page.textContent('#unit-details dd[data-field="unit.battery"]'), '77 %', 'the last fix\'s battery')
  t.match(await page.textContent('#unit-details h2'), /P-4/)
})

t.test('a unit driving out of its post radius raises an alert in the panel; acknowledging it from the page is seen by the API', async (t) => {
  const start = Date.now() - 20_000
  // 1.5 km north of the station for 8 s of fix time: past the 600 m radius longer than the dwell.
  await send('P-2', Array.from({ length: 5 }, (_, i) => ({ ts: start + i * 2000, lat: STATION.lat + 0.0135 + (i % 2) * 0.00005, lon: STATION.lon, speed: 10 })))
  const item = await page.waitForSelector('li.alert[data-kind="radius_breach"]', { timeout: 15_000 })
  t.match(await item.textContent(), /P-2/)
  t.match(await page.textContent(`li.alert[data-kind="radius_breach"] .alert-summary`), /^Patrol car 2 \(P-2\) is 1\.5 km from Station A, outside its 600 m radius$/, 'worded by the page from the alert\'s fields')
  t.match(await page.textContent('#alert-banner'), /New alert/, 'announced visibly')
  t.equal(await page.isVisible('#alert-banner'), true)
  await page.waitForFunction(() => (window as unknown as { hexpatrol: Probe }).hexpatrol.markerOf('P-2')?.colour === '#d6312b', undefined, { timeout: 10_000 })
  const id = await item.getAttribute('data-alert')
  await item.click()
  await page.waitForFunction(() => (window as unknown as { hexpatrol: { map: { map: { getZoom(): number } } } }).hexpatrol.map.map.getZoom() >= 15)
  t.pass('a click focuses the map on the unit')
  await page.click(`li.alert[data-alert="${id}"] button.ack`)
  await page.waitForSelector(`li.alert[data-alert="${id}"][data-state="acknowledged"]`, { timeout: 10_000 })
  const a = await api<{ state: string; acknowledgedBy?: string }>(`/api/v1/alerts/${id}`)
  t.equal(a.state, 'acknowledged')
  t.equal(a.acknowledgedBy, 'sgt.wang', 'recorded under the session\'s token name')
  t.match(await page.textContent(`li.alert[data-alert="${id}"]`), /acknowledged by sgt\.wang/)
})

t.test('the nearest-unit search lists the nearest units, nearest first', async (t) => {
  await page.fill('#search-coords', '36.505, 117.879')
  await page.click('#search-go')
  await page.waitForSelector('#search-results li[data-unit]')
  const ids = await page.$$eval('#search-results li[data-unit]', (els) => els.map((e) => e.getAttribute('data-unit')))
  t.equal(ids[0], 'P-4')
  t.equal(ids[1], 'O-3')
  const expected = await api<{ units: Array<{ id: string }> }>('/api/v1/units/nearest?lat=36.505&lon=117.879&k=5')
  t.same(ids, expected.units.map((u) => u.id), 'the list is the API\'s answer')
  t.match(await page.textContent('#search-results li[data-unit="P-4"] .distance'), /^\d+ m$/)
  // Search by map click.
  await page.check('#search-mode')
  const pt = await page.evaluate(() => {
    const m = (window as unknown as { hexpatrol: { map: { map: { latLngToContainerPoint(ll: [number, number]): { x: number; y: number }; getContainer(): HTMLElement; setView(ll: [number, number], z: number, o: object): void } } } }).hexpatrol.map.map
    m.setView([36.49, 117.86], 15, { animate: false })
    const p = m.latLngToContainerPoint([36.4905, 117.861])
    const r = m.getContainer().getBoundingClientRect()
    return { x: r.left + p.x, y: r.top + p.y + 40 }
  })
  await page.mouse.click(pt.x, pt.y)
  await page.waitForFunction(() => document.querySelector('#search-results li[data-unit]')?.getAttribute('data-unit') === 'P-1', undefined, { timeout: 5000 }).catch(async (err: Error) => {
    t.fail(`${err.message}: ${await page.inputValue('#search-coords')} → ${await page.textContent('#search-results')}`)
  })
  t.pass('a map click searches around the clicked point')
  await page.uncheck('#search-mode')
})

t.test('coverage cells change colour after a visit', async (t) => {
  // A cell in the zone's south-east corner that nobody has visited.
  const cell = latLngToCell(36.482, 117.887, 9)
  const colourOf = (c: string) => page.evaluate((id) => (window as unknown as { hexpatrol: Probe }).hexpatrol.cellColour(id), c)
  t.equal(await colourOf(cell), '#6e7681', 'never visited: grey')
  const [lat, lon] = cellToLatLng(cell)
  // P-4's last fix is a minute old: the 2.6 km drive is a plausible speed, so the visit counts.
  await send('P-4', [{ ts: Date.now() - 500, lat, lon, speed: 6 }])
  await page.waitForFunction((id) => (window as unknown as { hexpatrol: Probe }).hexpatrol.cellColour(id) === '#3fb950', cell, { timeout: 15_000 })
  t.pass('visited: green')
  t.match(await page.textContent('#zones tr[data-zone="grid-a"] .ratio'), /^\d+ %$/, 'the zone\'s coverage ratio is shown')
})

t.test('the language switch relabels the page', async (t) => {
  t.equal(await page.textContent('#alerts h2'), 'Open alerts')
  await page.selectOption('#lang', 'zh-CN')
  t.equal(await page.textContent('#alerts h2'), '未处理告警')
  t.equal(await page.textContent('#search h2'), '最近警力')
  t.equal(await page.textContent('li.alert[data-kind="radius_breach"] .alert-kind'), '超出岗位半径')
  t.match(await page.textContent('li.alert[data-kind="radius_breach"] .alert-summary'), /^Patrol car 2 \(P-2\) 距 Station A 1\.5 km，超出 600 m 巡逻半径$/, 'the alert text in Chinese, not the engine\'s English summary')
  t.equal(await page.getAttribute('html', 'lang'), 'zh-CN')
  await page.selectOption('#lang', 'en')
  t.equal(await page.textContent('#search h2'), 'Nearest units')
})

t.test('a read-only session sees the alerts but cannot acknowledge', async (t) => {
  const ctx = await s.browser.newContext()
  const p = await ctx.newPage()
  // Through /login this time: the page is served there too.
  await p.goto(`${h.httpUrl}/login`)
  await signIn(p, READ, 'li.alert[data-kind="radius_breach"]')
  t.equal(await p.$$eval('li.alert button.ack', (b) => b.length), 0)
  await ctx.close()
})

t.test('replay: positions of a period from ClickHouse, at the chosen speed, then back to live', async (t) => {
  // Fixes reach ClickHouse within a second or two (journal segment age).
  await waitFor(async () => (await api<{ positions: unknown[] }>(`/api/v1/replay/positions?from=${t0 - 1000}&to=${Date.now()}`)).positions.length >= 10, 20_000)
  const local = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
  await page.fill('#replay-from', local(t0 - 60_000))
  await page.fill('#replay-to', local(Date.now() + 60_000))
  await page.selectOption('#replay-speed', '1800')
  await page.click('#replay-play')
  await page.waitForFunction(() => /Replaying/.test(document.querySelector('#replay-status')?.textContent ?? ''), undefined, { timeout: 10_000 })
  t.equal(await page.evaluate(() => (window as unknown as { hexpatrol: { store: { paused: boolean } } }).hexpatrol.store.paused), true, 'live positions paused')
  // At 1800× the three minutes replay in well under a second of wall time: P-2 ends where it was last stored.
  await page.waitForFunction((lat) => Math.abs(((window as unknown as { hexpatrol: Probe }).hexpatrol.markerOf('P-2')?.lat ?? 0) - lat) < 1e-9, STATION.lat + 0.0135, { timeout: 10_000 })
  t.pass('P-2 replayed to its stored position')
  await page.click('#replay-stop')
  await page.waitForFunction(() => (window as unknown as { hexpatrol: { store: { paused: boolean } } }).hexpatrol.store.paused === false)
  t.equal(await page.textContent('#replay-status'), '')
})

t.test('nothing left the machine and the page raised no error', async (t) => {
  t.ok(s.requests.length > 5)
  t.same(s.external, [], 'every request went to the engine')
  t.ok(s.requests.some((u) => u.includes('/api/v1/stream')), 'the live stream was used')
  t.ok(s.requests.some((u) => u.endsWith('/assets/app.js')) && s.requests.some((u) => u.endsWith('/assets/style.css')))
  t.same(s.errors, [])
})
