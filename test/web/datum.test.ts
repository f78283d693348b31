// The page's datum shift (src/web/datum.ts) against published WGS-84 / GCJ-02 pairs: city centres
// from gcoord's own fixtures (test/fixtures/china-cities.json, given to 7 decimals) and the pair
// every port of the conversion quotes (wandergis/coordtransform: 116.404, 39.915). Outside China
// nothing moves; a click shifted back lands where the unit is; a WGS-84 basemap shifts nothing.
import t from 'tap'
import { loadDatumShift, NO_SHIFT } from '../../src/web/datum.js'

// [name, WGS-84 [lon, lat], GCJ-02 [lon, lat]]
const CITIES: Array<[string, [number, number], [number, number]]> = [
  ['Zhumadian', [114.0164322, 33.0133556], [114.022306, 33.0115324]],
  ['Shenyang', [123.4253306, 41.8032629], [123.4314787, 41.8057023]],
  ['Tai\'an', [117.0815563, 36.2000071], [117.0876215, 36.2002574]],
  ['Quanzhou', [118.6711365, 24.8770487], [118.6756787, 24.8741363]],
  ['Jiuquan', [98.4937175, 39.7319946], [98.4943595, 39.7328234]],
]
/** 5e-5° ≈ 5 m: the fixtures' rounding, far below the 300–500 m the shift is about. */
const CLOSE = 5e-5
const near = (a: number, b: number, tol: number) => Math.abs(a - b) < tol

t.test('WGS-84 → GCJ-02 (drawing) matches published pairs', async (t) => {
  const s = await loadDatumShift('gcj02')
  t.equal(s.datum, 'gcj02')
  for (const [name, [lon, lat], [glon, glat]] of CITIES) {
    const [y, x] = s.toMap(lat, lon)
    t.ok(near(y, glat, CLOSE) && near(x, glon, CLOSE), `${name}: ${y.toFixed(7)}, ${x.toFixed(7)} ≈ ${glat}, ${glon}`)
  }
  const [y, x] = s.toMap(39.915, 116.404)
  t.ok(near(y, 39.91640428150164, 1e-9) && near(x, 116.41024449916938, 1e-9), 'coordtransform\'s example, to 1e-9°')
})

t.test('GCJ-02 → WGS-84 (a click) matches the same pairs, and round-trips', async (t) => {
  const s = await loadDatumShift('gcj02')
  for (const [name, [lon, lat], [glon, glat]] of CITIES) {
    const [y, x] = s.fromMap(glat, glon)
    t.ok(near(y, lat, CLOSE) && near(x, lon, CLOSE), `${name}: back to ${y.toFixed(7)}, ${x.toFixed(7)}`)
  }
  // gcoord's own documented example (README): GCJ-02 [123, 45] → WGS-84 [122.99395597, 44.99804071].
  const [y, x] = s.fromMap(45, 123)
  t.ok(near(y, 44.99804071, 1e-6) && near(x, 122.99395597, 1e-6), 'gcoord\'s README example')
  const [ry, rx] = s.fromMap(...s.toMap(36.4905, 117.8605))
  t.ok(near(ry, 36.4905, 2e-6) && near(rx, 117.8605, 2e-6), 'a drawn point clicked lands on the unit (< 0.2 m)')
})

t.test('the shift is 300–700 m in China, none outside', async (t) => {
  const s = await loadDatumShift('gcj02')
  const [y, x] = s.toMap(36.4905, 117.8605)
  const m = Math.hypot((y - 36.4905) * 111_320, (x - 117.8605) * 111_320 * Math.cos((36.4905 * Math.PI) / 180))
  t.ok(m > 300 && m < 700, `Shandong: ${m.toFixed(0)} m`)
  t.same(s.toMap(51.5, -0.12), [51.5, -0.12], 'London: unshifted')
  t.same(s.fromMap(-33.86, 151.2), [-33.86, 151.2], 'Sydney: unshifted')
  const ring: Array<[number, number]> = [[36.48, 117.845], [36.48, 117.89], [36.51, 117.89]]
  t.same(s.ring(ring), ring.map(([a, b]) => s.toMap(a, b)), 'a ring is shifted vertex by vertex')
})

t.test('a WGS-84 basemap (or none, or an unknown datum) shifts nothing', async (t) => {
  for (const d of ['wgs84', undefined, 'bd09']) {
    const s = await loadDatumShift(d)
    t.equal(s, NO_SHIFT, String(d))
  }
  const ring: Array<[number, number]> = [[36.48, 117.845]]
  t.equal(NO_SHIFT.ring(ring), ring, 'the same array: nothing copied per frame')
  t.same(NO_SHIFT.toMap(36.4905, 117.8605), [36.4905, 117.8605])
  t.same(NO_SHIFT.fromMap(36.4905, 117.8605), [36.4905, 117.8605])
})
