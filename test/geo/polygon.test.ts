import t from 'tap'
import { compilePolygon, validateGeometry, polygonsOf, type ZoneGeometry } from '../../src/geo/polygon.js'
import { haversineM } from '../../src/geo/distance.js'

// A 0.02° square around the deployment (≈ 1.8 km E–W, 2.2 km N–S) with a square hole in the middle.
const square = (lon0: number, lat0: number, lon1: number, lat1: number): number[][] => [
  [lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0],
]
const outer = square(117.85, 36.48, 117.87, 36.5)
const hole = square(117.855, 36.485, 117.865, 36.495)
const withHole: ZoneGeometry = { type: 'Polygon', coordinates: [outer, hole] }

t.test('contains: plain polygon, bbox and concave shape', async (t) => {
  const p = compilePolygon({ type: 'Polygon', coordinates: [outer] })
  t.same(p.bbox, { minLat: 36.48, maxLat: 36.5, minLon: 117.85, maxLon: 117.87 })
  t.ok(p.contains(36.49, 117.86), 'centre')
  t.ok(p.contains(36.4801, 117.8501), 'near a corner, inside')
  t.notOk(p.contains(36.479, 117.86), 'south of it')
  t.notOk(p.contains(36.49, 117.871), 'east of it')
  t.notOk(p.contains(0, 0), 'far away')
  t.notOk(p.contains(Number.NaN, 117.86), 'NaN is nowhere')

  // An L shape: the bbox holds the notch, the polygon does not.
  const l = compilePolygon({
    type: 'Polygon',
    coordinates: [[[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2], [0, 0]]],
  })
  t.ok(l.contains(0.5, 0.5))
  t.ok(l.contains(1.5, 0.5), 'upper arm (lat 1.5, lon 0.5)')
  t.ok(l.contains(0.5, 1.5), 'right arm (lat 0.5, lon 1.5)')
  t.notOk(l.contains(1.5, 1.5), 'the notch')
})

t.test('contains: holes respected, either winding', async (t) => {
  const p = compilePolygon(withHole)
  t.notOk(p.contains(36.49, 117.86), 'in the hole')
  t.ok(p.contains(36.482, 117.86), 'between outer ring and hole')
  t.ok(p.contains(36.49, 117.852))
  const reversed = compilePolygon({ type: 'Polygon', coordinates: [[...outer].reverse(), [...hole].reverse()] })
  t.notOk(reversed.contains(36.49, 117.86))
  t.ok(reversed.contains(36.482, 117.86))
})

t.test('contains: MultiPolygon', async (t) => {
  const west = square(117.8, 36.48, 117.82, 36.5)
  const east = square(117.85, 36.48, 117.87, 36.5)
  const p = compilePolygon({ type: 'MultiPolygon', coordinates: [[west], [east, hole]] })
  t.same(p.bbox, { minLat: 36.48, maxLat: 36.5, minLon: 117.8, maxLon: 117.87 })
  t.ok(p.contains(36.49, 117.81), 'in the west part')
  t.ok(p.contains(36.482, 117.86), 'in the east part')
  t.notOk(p.contains(36.49, 117.835), 'in the gap between parts: inside the overall bbox only')
  t.notOk(p.contains(36.49, 117.86), 'in the east part\'s hole')
  // Two overlapping parts: a point in the hole of one but inside the other is inside.
  const q = compilePolygon({ type: 'MultiPolygon', coordinates: [[outer, hole], [square(117.859, 36.489, 117.861, 36.491)]] })
  t.ok(q.contains(36.49, 117.86))
})

t.test('distanceToBoundaryM', async (t) => {
  const p = compilePolygon(withHole)
  // Centre of the southern band: 0.0025° of latitude from both the outer edge and the hole.
  const d = p.distanceToBoundaryM(36.4825, 117.86)
  t.ok(Math.abs(d - haversineM(36.4825, 117.86, 36.48, 117.86)) < 1, `≈ 278 m (got ${d})`)
  // Outside, due east of the east edge by 0.01° of longitude.
  const e = p.distanceToBoundaryM(36.49, 117.88)
  t.ok(Math.abs(e - haversineM(36.49, 117.88, 36.49, 117.87)) < 1, `≈ 895 m (got ${e})`)
  // Outside beyond a corner: the nearest point is the vertex.
  const c = p.distanceToBoundaryM(36.47, 117.84)
  t.ok(Math.abs(c - haversineM(36.47, 117.84, 36.48, 117.85)) < 5, `corner (got ${c})`)
  t.ok(p.distanceToBoundaryM(36.48, 117.86) < 1e-6, 'on an edge')
  // In the hole: nearest boundary is the hole's ring.
  const h = p.distanceToBoundaryM(36.49, 117.86)
  t.ok(Math.abs(h - haversineM(36.49, 117.86, 36.49, 117.855)) < 1, `in the hole (got ${h})`)
  // A repeated vertex (zero-length edge) is harmless.
  const dup = compilePolygon({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] })
  t.ok(Math.abs(dup.distanceToBoundaryM(0.5, 1.5) - haversineM(0.5, 1.5, 0.5, 1)) < 200)
})

t.test('polygonsOf', async (t) => {
  t.same(polygonsOf(withHole), [[outer, hole]])
  t.same(polygonsOf({ type: 'MultiPolygon', coordinates: [[outer]] }), [[outer]])
})

t.test('validateGeometry errors name what is wrong', async (t) => {
  const bad = (g: unknown, re: RegExp, msg: string) => t.throws(() => validateGeometry(g as ZoneGeometry), re, msg)
  t.doesNotThrow(() => validateGeometry(withHole))
  t.doesNotThrow(() => validateGeometry({ type: 'Polygon', coordinates: [[[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 0, 5]]] }), '3D positions')
  bad(null, /expected a GeoJSON Polygon/, 'null')
  bad('Polygon', /expected a GeoJSON Polygon/, 'string')
  bad({ type: 'Point', coordinates: [0, 0] }, /geometry\.type: expected "Polygon" or "MultiPolygon", got "Point"/, 'wrong type')
  bad({ type: 'Polygon' }, /geometry\.coordinates: a polygon must be an array of rings/, 'missing coordinates')
  bad({ type: 'Polygon', coordinates: [] }, /at least one ring/, 'no rings')
  bad({ type: 'Polygon', coordinates: ['x'] }, /coordinates\[0\]: a ring must be an array/, 'ring not array')
  bad({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [0, 0]]] }, /coordinates\[0\]: ring has 3 position\(s\).*at least 4/, 'short ring')
  bad({ type: 'Polygon', coordinates: [outer, [[0, 0], [1, 0], [1, 1], [0, 1]]] }, /coordinates\[1\]: ring is not closed: first position \[0, 0\] differs from last \[0, 1\]/, 'open hole')
  bad({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0.5]]] }, /ring is not closed/, 'open ring, same lon')
  bad({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], 'x', [0, 0]]] }, /coordinates\[0\]\[2\]: a position must be/, 'not a position')
  bad({ type: 'Polygon', coordinates: [[[0, 0], [1], [1, 1], [0, 0]]] }, /coordinates\[0\]\[1\]: a position must be/, 'short position')
  bad({ type: 'Polygon', coordinates: [[[0, 0], [1, 0, 0, 0], [1, 1], [0, 0]]] }, /a position must be/, 'long position')
  bad({ type: 'Polygon', coordinates: [[[0, 0], [1, Number.NaN], [1, 1], [0, 0]]] }, /a position must be/, 'NaN')
  bad({ type: 'Polygon', coordinates: [[[0, 0], ['1', 0], [1, 1], [0, 0]]] }, /a position must be/, 'string number')
  bad({ type: 'Polygon', coordinates: [[[36.48, 117.85], [36.48, 117.87], [36.5, 117.87], [36.48, 117.85]]] }, /coordinates\[0\]\[0\]: latitude 117\.85 is outside \[-90, 90\] \(GeoJSON positions are \[lon, lat\]\)/, 'swapped lat/lon')
  bad({ type: 'Polygon', coordinates: [[[0, 0], [181, 0], [1, 1], [0, 0]]] }, /coordinates\[0\]\[1\]: longitude 181 is outside \[-180, 180\]/, 'lon range')
  bad({ type: 'Polygon', coordinates: [[[-181, 0], [1, 0], [1, 1], [-181, 0]]] }, /longitude -181/, 'lon range, negative')
  bad({ type: 'Polygon', coordinates: [[[0, -91], [1, 0], [1, 1], [0, -91]]] }, /latitude -91/, 'lat range, negative')
  bad({ type: 'Polygon', coordinates: [[[0, 0], [1, 1], [2, 2], [0, 0]]] }, /encloses no area/, 'collinear')
  bad({ type: 'MultiPolygon', coordinates: {} }, /a MultiPolygon must be an array of polygons/, 'multi not array')
  bad({ type: 'MultiPolygon', coordinates: [] }, /a MultiPolygon needs at least one polygon/, 'multi empty')
  bad({ type: 'MultiPolygon', coordinates: [[outer], [[outer[0], outer[1], outer[2]]]] }, /geometry\.coordinates\[1\]\[0\]: ring has 3/, 'multi bad ring')
  t.throws(() => compilePolygon({ type: 'Polygon', coordinates: [] }), /at least one ring/, 'compilePolygon validates')
})
