// Recording an incident by a place name, in headless Chromium against a real engine: type "火车"
// and press Enter (the list shows the railway station), then type a sample place, Find, choose it:
// the coordinates are the place's, the pick marker sits there, the map pans to it and the address
// keeps the name; the incident recorded through the form sits at the place's coordinates (read
// back through the API). A read session has no form, so no Find.
import t from 'tap'
import { waitFor } from '../helpers/harness.js'
import { consoleTokens, logIn, requireChromium } from '../helpers/browser.js'
import { apiCall, startConsole } from '../helpers/console.js'

requireChromium(t, 'the place lookup\'s browser test')

const { operate: OPERATE, read: READ } = consoleTokens
const GATE = { name: '人民广场东门', name_en: 'People\'s Square east gate', lat: 36.491234, lon: 117.862345, kind: 'landmark' }
const config = {
  units: [{ id: 'V-1', kind: 'vehicle', name: 'Car 1', zone: 'grid-a' }],
  zones: [{ id: 'grid-a', name: '一号网格', geometry: { type: 'Polygon', coordinates: [[[117.845, 36.48], [117.89, 36.48], [117.89, 36.51], [117.845, 36.51], [117.845, 36.48]]] }, coverage: { resolution: 9, max_interval: '30m', min_ratio: 0 } }],
  places: [
    { name: '人民广场', name_en: 'People\'s Square', lat: 36.4905, lon: 117.8602 },
    GATE,
    { name: '火车站', name_en: 'Railway station', aliases: ['高铁站'], lat: 36.4801, lon: 117.8502, kind: 'transport' },
  ],
  rules: { allowed_lateness: '0s', tick: '250ms' },
}

const { h, s } = await startConsole(t, config)
const { page } = s
const get = <T>(path: string) => apiCall<T>(h.httpUrl, OPERATE, 'GET', path)
await waitFor(async () => { const r = await get<{ partial?: true }>('/api/v1/incidents'); return r.status === 200 && r.body.partial === undefined }, 60_000, 500)
await logIn(page, h.httpUrl, OPERATE)

type MapProbe = { map: { map: { getCenter(): { lat: number; lng: number } }; highlightLayer: { getLayers(): Array<{ getLatLng(): { lat: number; lng: number } }> } } }

t.test('Enter in the address lists the places of that name (the page in English)', async (t) => {
  await page.waitForSelector('#incident-record #incident-find')
  await page.fill('#incident-address', '火车')
  await page.press('#incident-address', 'Enter')
  await page.waitForSelector('#incident-places li.place')
  t.same(await page.$$eval('#incident-places li.place', (els) => els.map((e) => e.textContent)), ['Railway station · transport · place list'], 'English name, kind, source')
  t.equal(await page.inputValue('#incident-coords'), '', 'Enter looked up, it did not submit')
  await page.fill('#incident-address', '机场')
  await page.click('#incident-find')
  await page.waitForSelector('#incident-places li.empty')
  t.pass('nothing of that name: said so')
})

t.test('Find, choose, record (the page in Chinese): the incident sits at the place', async (t) => {
  await page.selectOption('#lang', 'zh-CN')
  await page.fill('#incident-address', '人民广场')
  await page.click('#incident-find')
  await page.waitForSelector('#incident-places li.place >> nth=1')
  t.same(await page.$$eval('#incident-places li.place strong', (els) => els.map((e) => e.textContent)), ['人民广场', '人民广场东门'], 'exact first, then the longer name')
  t.match(await page.textContent('#incident-places li.place >> nth=1'), /^人民广场东门 · 地标 · 地名库$/)
  await page.click('#incident-places li.place >> nth=1')
  t.equal(await page.inputValue('#incident-coords'), `${GATE.lat.toFixed(6)}, ${GATE.lon.toFixed(6)}`, 'the coordinates are the place\'s')
  t.equal(await page.inputValue('#incident-address'), GATE.name, 'the address keeps the chosen name')
  t.equal(await page.$$eval('#incident-places li', (els) => els.length), 0, 'the list is gone')
  const map = await page.evaluate(() => {
    const m = (window as unknown as { hexpatrol: MapProbe }).hexpatrol.map
    const c = m.map.getCenter()
    return { centre: [c.lat, c.lng], pins: m.highlightLayer.getLayers().map((l) => { const p = l.getLatLng(); return [p.lat, p.lng] }) }
  })
  t.ok(Math.abs(map.centre[0]! - GATE.lat) < 1e-5 && Math.abs(map.centre[1]! - GATE.lon) < 1e-5, `the map is centred on the place (${map.centre.join(', ')})`)
  t.equal(map.pins.length, 1, 'one pick marker')
  t.ok(Math.abs(map.pins[0]![0]! - GATE.lat) < 1e-9 && Math.abs(map.pins[0]![1]! - GATE.lon) < 1e-9, 'the pick marker at the place')

  await page.selectOption('#incident-type', 'theft')
  await page.click('#incident-submit')
  await page.waitForSelector('#incident-card[data-status="open"]', { timeout: 30_000 })
  const id = await page.getAttribute('#incident-card', 'data-incident') ?? ''
  t.match(id, /^INC-/)
  const got = await get<{ lat: number; lon: number; address: string }>(`/api/v1/incidents/${id}`)
  t.equal(got.status, 200)
  t.match(got.body, { lat: GATE.lat, lon: GATE.lon, address: GATE.name }, 'recorded at the place, under its name')
})

t.test('a read session has no form, so no Find; the route still answers it', async (t) => {
  await page.context().clearCookies()
  await logIn(page, h.httpUrl, READ)
  await page.waitForSelector('#conn.live', { timeout: 30_000 })
  t.equal(await page.$$eval('#incident-find', (els) => els.filter((e) => (e as HTMLElement).offsetParent !== null).length), 0, 'no visible Find')
  const r = await apiCall<{ places: Array<{ name: string }> }>(h.httpUrl, READ, 'GET', `/api/v1/places?q=${encodeURIComponent('高铁站')}`)
  t.same(r.body.places.map((p) => p.name), ['火车站'])
})
