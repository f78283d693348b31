// A GCJ-02 basemap (map.tiles.preset: amap) in a real browser against a real engine: the page is
// told the datum and draws every unit, trail, post, zone outline, H3 cell outline and incident pin
// shifted into GCJ-02 (Leaflet's latLng of each equals gcoord's transform of the WGS-84 value the
// engine holds); a map click searches around the WGS-84 point under it; the tiles are asked of
// AMap's servers (aborted here: nothing leaves the machine) with the provider's credit.
import t, { type Test } from 'tap'
import type { JSHandle } from 'playwright-core'
import { cellToBoundary, latLngToCell } from 'h3-js'
import * as gcoordModule from 'gcoord'
import { waitFor } from '../helpers/harness.js'
import { connect } from '../helpers/publisher.js'
import { CONSOLE_LIVE, consoleTokens, logIn, requireChromium } from '../helpers/browser.js'
import { apiCall, startConsole } from '../helpers/console.js'

requireChromium(t, 'the GCJ-02 basemap browser test')

// gcoord's types declare one `default` too many under NodeNext (see src/web/datum.ts).
const gcoord = gcoordModule.default as unknown as typeof gcoordModule.default.default
const toGcj = (lat: number, lon: number): [number, number] => {
  const [x, y] = gcoord.transform([lon, lat], gcoord.WGS84, gcoord.GCJ02) as [number, number]
  return [y, x]
}

const { operate: OPERATE } = consoleTokens
const STATION = { lat: 36.49, lon: 117.86 }
const ZONE = [[117.855, 36.485], [117.865, 36.485], [117.865, 36.495], [117.855, 36.495], [117.855, 36.485]]
const config = {
  map: { tiles: { preset: 'amap' } },
  units: [{ id: 'P-1', kind: 'vehicle', name: 'Patrol car 1', post: 'station-a', zone: 'grid-a' }],
  posts: [{ id: 'station-a', name: 'Station A', ...STATION, radius_m: 600 }],
  zones: [{ id: 'grid-a', name: 'Grid A', geometry: { type: 'Polygon', coordinates: [ZONE] }, coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.5 } }],
  rules: { allowed_lateness: '0s', tick: '250ms' },
}

const { h, s } = await startConsole(t, config)
const pub = await connect(h.mqttUrl, { clientId: 'basemap-e2e' })
t.teardown(() => pub.end(true))
const { page } = s

type LL = { lat: number; lng: number }
interface Hx {
  markerOf(id: string): { lat: number; lon: number } | null
  map: {
    shift: { datum: string }
    map: { latLngToContainerPoint(ll: [number, number]): { x: number; y: number }; getSize(): { x: number; y: number }; once(e: string, fn: () => void): void; containerPointToLatLng(p: [number, number]): LL; getContainer(): HTMLElement; setView(ll: [number, number], z: number, o: object): void; getCenter(): LL }
    focus(lat: number, lon: number, zoom?: number): void
    layers(): Record<string, { getLayers(): Array<{ getLayers?(): Array<{ getLatLngs(): LL[][] }>; getLatLng?(): LL }> }>
    cellPolys: Map<string, { getLatLngs(): LL[][] }>
    trails: Map<string, { getLatLngs(): LL[] }>
  }
}
// window.hexpatrol (the test build's probes), once the map is up: each call runs in the page with it.
let probes: JSHandle<Hx> | null = null
const hx = <T, A = undefined>(fn: (x: Hx, arg: A) => T, arg?: A): Promise<T> => probes!.evaluate(fn as never, arg) as Promise<T>
/** Equal to 1e-9° (0.1 mm): the page computes with the same gcoord. */
const same = (t: Test, got: LL | { lat: number; lon: number } | null | undefined, want: [number, number], what: string) => {
  const lng = got === null || got === undefined ? NaN : 'lng' in got ? got.lng : got.lon
  t.ok(got != null && Math.abs(got.lat - want[0]) < 1e-9 && Math.abs(lng - want[1]) < 1e-9, `${what}: drawn at ${got?.lat}, ${lng}; GCJ-02 ${want[0]}, ${want[1]}`)
}
const FIX = { lat: 36.4905, lon: 117.8605 }

t.test('the page is told the datum and draws the unit where gcoord puts it', async (t) => {
  await pub.publishAsync('fleet/P-1/position', JSON.stringify({ ts: Date.now() - 5000, accuracy: 6, ...FIX }), { qos: 1 })
  await logIn(page, h.httpUrl, OPERATE, CONSOLE_LIVE, 40_000)
  await page.waitForFunction(() => (window as unknown as { hexpatrol: Hx }).hexpatrol.markerOf('P-1') !== null, undefined, { timeout: 15_000 })
  probes = await page.evaluateHandle(() => (window as unknown as { hexpatrol: Hx }).hexpatrol)
  t.equal(await hx((x) => x.map.shift.datum), 'gcj02')
  const m = await hx((x) => x.markerOf('P-1'))
  same(t, m, toGcj(FIX.lat, FIX.lon), 'unit P-1')
  const metres = Math.hypot((m!.lat - FIX.lat) * 111_320, (m!.lon - FIX.lon) * 111_320 * Math.cos((FIX.lat * Math.PI) / 180))
  t.ok(metres > 300 && metres < 700, `${metres.toFixed(0)} m from its WGS-84 position, as on AMap's roads`)
  t.ok(s.requests.some((u) => /\/assets\/gcoord[^/]*\.js$/.test(u)), 'gcoord came in its own chunk, from the engine')

  // It moves: the new fix is drawn shifted too.
  const next = { lat: 36.4915, lon: 117.8625 }
  await pub.publishAsync('fleet/P-1/position', JSON.stringify({ ts: Date.now() - 1000, accuracy: 6, speed: 8, ...next }), { qos: 1 })
  const want = toGcj(next.lat, next.lon)
  await page.waitForFunction((lat) => Math.abs(((window as unknown as { hexpatrol: Hx }).hexpatrol.markerOf('P-1')?.lat ?? 0) - lat) < 1e-9, want[0], { timeout: 10_000 })
  same(t, await hx((x) => x.markerOf('P-1')), want, 'unit P-1 after moving')
})

t.test('posts, zone outlines, H3 cells and trails are shifted point by point', async (t) => {
  const post = await hx((x) => x.map.layers().posts!.getLayers().map((l) => l.getLatLng!()))
  for (const p of post) same(t, p, toGcj(STATION.lat, STATION.lon), 'post station-a (circle and marker)')
  const zone = await hx((x) => x.map.layers().zones!.getLayers()[0]!.getLayers!()[0]!.getLatLngs()[0]!)
  t.equal(zone.length, 4, 'the zone ring (Leaflet drops the closing point)')
  for (const [i, [lon, lat]] of ZONE.slice(0, 4).entries()) same(t, zone[i], toGcj(lat!, lon!), `zone vertex ${i}`)
  const cell = latLngToCell(FIX.lat, FIX.lon, 9)
  const ring = await hx((x, id) => x.map.cellPolys.get(id)?.getLatLngs()[0] ?? [], cell)
  const boundary = cellToBoundary(cell)
  t.equal(ring.length, boundary.length, 'an H3 hexagon')
  for (const [i, [lat, lon]] of boundary.entries()) same(t, ring[i], toGcj(lat, lon), `cell vertex ${i}`)
  // Trails are drawn from zoom 13.
  await hx((x) => x.map.map.setView([36.49, 117.86], 15, { animate: false }))
  await page.waitForFunction(() => ((window as unknown as { hexpatrol: Hx }).hexpatrol.map.trails.get('P-1')?.getLatLngs().length ?? 0) >= 2, undefined, { timeout: 10_000 })
  const trail = await hx((x) => x.map.trails.get('P-1')!.getLatLngs())
  same(t, trail.at(-1), toGcj(36.4915, 117.8625), 'the trail\'s last point')
})

t.test('a click on the map searches around the WGS-84 point under it; focus centres on the drawn point', async (t) => {
  await page.check('#search-mode')
  // 40 px below the drawn unit (on it, the click would open the unit's details instead).
  const pt = await hx((x) => {
    const m = x.markerOf('P-1')!
    const p = x.map.map.latLngToContainerPoint([m.lat, m.lon])
    const r = x.map.map.getContainer().getBoundingClientRect()
    return { x: r.left + p.x, y: r.top + p.y + 40, at: x.map.map.containerPointToLatLng([p.x, p.y + 40]) }
  })
  await page.mouse.click(pt.x, pt.y)
  await page.waitForFunction(() => document.querySelector('#search-results li[data-unit]')?.getAttribute('data-unit') === 'P-1', undefined, { timeout: 5000 })
  const [lat, lon] = (await page.inputValue('#search-coords')).split(',').map(Number)
  const [wlon, wlat] = gcoord.transform([pt.at.lng, pt.at.lat], gcoord.GCJ02, gcoord.WGS84) as [number, number]
  t.ok(Math.abs(lat! - wlat) < 1e-5 && Math.abs(lon! - wlon) < 1e-5, `searched at ${lat}, ${lon}: the clicked GCJ-02 point ${pt.at.lat}, ${pt.at.lng} back in WGS-84`)
  t.ok(Math.abs(lat! - 36.4915) < 2e-3 && Math.abs(lon! - 117.8625) < 1e-3, 'beside the unit\'s stored position (the GCJ-02 point is ~600 m off)')
  await page.uncheck('#search-mode')
  // Leaflet pans by whole pixels: the drawn point must sit at the centre to a pixel once the pan ends.
  const off = await hx(async (x, target) => {
    const m = x.map.map
    await new Promise<void>((res) => {
      m.once('moveend', () => res())
      setTimeout(res, 3000)
      x.map.focus(36.4905, 117.8605, 16)
    })
    const size = m.getSize()
    const at = (ll: [number, number]) => {
      const p = m.latLngToContainerPoint(ll)
      return Math.hypot(p.x - size.x / 2, p.y - size.y / 2)
    }
    return { drawn: at(target), stored: at([36.4905, 117.8605]) }
  }, toGcj(36.4905, 117.8605))
  t.ok(off.drawn <= 1, `focus on a WGS-84 point centres where it is drawn (${off.drawn.toFixed(2)} px off; the unshifted point ${off.stored.toFixed(0)} px)`)
  t.ok(off.stored > 100, 'not on the unshifted point')
})

t.test('an incident\'s pin is shifted too', async (t) => {
  const SCENE = { lat: 36.4895, lon: 117.8615 }
  const post = () => apiCall(h.httpUrl, OPERATE, 'POST', '/api/v1/incidents', { id: 'R-1', type: 'robbery', priority: 1, time: new Date().toISOString(), ...SCENE })
  // ClickHouse (embedded) may still be starting: the route answers 503 until it is ready.
  await waitFor(async () => (await post()).status === 201, 60_000, 500)
  await page.waitForFunction(() => (window as unknown as { hexpatrol: { opsProbe: { incidentAt(id: string): LL | null } } }).hexpatrol.opsProbe.incidentAt('R-1') !== null, undefined, { timeout: 60_000 })
  const at = await page.evaluate(() => (window as unknown as { hexpatrol: { opsProbe: { incidentAt(id: string): LL | null } } }).hexpatrol.opsProbe.incidentAt('R-1'))
  same(t, at, toGcj(SCENE.lat, SCENE.lon), 'incident R-1')
})

t.test('AMap\'s tiles are asked for (from its four servers\' template) and credited', async (t) => {
  await page.waitForFunction(() => document.querySelectorAll('img.leaflet-tile').length > 0, undefined, { timeout: 10_000 })
  const tiles = s.external.filter((u) => u.includes('is.autonavi.com'))
  t.ok(tiles.length > 0 && tiles.every((u) => /^https:\/\/webrd0[1-4]\.is\.autonavi\.com\/appmaptile\?lang=zh_cn&size=1&scale=1&style=8&x=\d+&y=\d+&z=\d+$/.test(u)), `${tiles.length} tile requests, e.g. ${tiles[0]}`)
  t.same(s.external.filter((u) => !u.includes('is.autonavi.com')), [], 'nothing else left the machine')
  t.match(await page.textContent('.leaflet-control-attribution'), /高德地图 AMap/)
  t.same(s.errors, [])
})
