// A zone's representative point: the centroid when it is inside, else the middle of the widest
// stretch of a scan line, even for concave shapes, holes, multipolygons and vertex-level lines.
import t from 'tap'
import { interiorPoint } from '../../src/geo/interior-point.js'
import { compilePolygon, type ZoneGeometry } from '../../src/geo/polygon.js'

const inside = (g: ZoneGeometry) => {
  const p = interiorPoint(g)
  return { p, ok: compilePolygon(g).contains(p.lat, p.lon) }
}

t.test('a convex zone: its centroid', async (t) => {
  const { p, ok } = inside({ type: 'Polygon', coordinates: [[[117.84, 36.47], [117.88, 36.47], [117.88, 36.51], [117.84, 36.51], [117.84, 36.47]]] })
  t.ok(ok)
  t.ok(Math.abs(p.lat - 36.49) < 1e-9 && Math.abs(p.lon - 117.86) < 1e-9, 'the square\'s centre')
})

t.test('a crescent (a U): the centroid lies outside, the scan line finds an arm', async (t) => {
  // A U open to the north: the centroid falls in the notch.
  const u: ZoneGeometry = { type: 'Polygon', coordinates: [[[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]] }
  t.notOk(compilePolygon(u).contains(1.2, 1.5), 'the notch is outside')
  const { p, ok } = inside(u)
  t.ok(ok, `inside: ${p.lat}, ${p.lon}`)
})

t.test('a ring around a hole: the centroid is in the hole, the point is not', async (t) => {
  const sq = (a: number, b: number) => [[a, a], [b, a], [b, b], [a, b], [a, a]]
  const g: ZoneGeometry = { type: 'Polygon', coordinates: [sq(0, 4), sq(1, 3)] }
  const { p, ok } = inside(g)
  t.ok(ok, `inside the ring: ${p.lat}, ${p.lon}`)
})

t.test('the scan line avoids a vertex at the middle latitude', async (t) => {
  // The U again, with a vertex on its east side at the middle latitude (1.5): the line moves up
  // to halfway to the next vertex latitude (3).
  const g: ZoneGeometry = { type: 'Polygon', coordinates: [[[0, 0], [3, 0], [3, 1.5], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]] }
  const { p, ok } = inside(g)
  t.ok(ok, `inside: ${p.lat}, ${p.lon}`)
  t.equal(p.lat, 2.25)
  t.equal(p.lon, 0.5, 'the first of two equally wide arms')
})

t.test('a multipolygon: a point in its largest part', async (t) => {
  const g: ZoneGeometry = { type: 'MultiPolygon', coordinates: [
    [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
    [[[10, 10], [14, 10], [14, 14], [10, 14], [10, 10]]],
  ] }
  const { p, ok } = inside(g)
  t.ok(ok)
  t.ok(p.lon > 10 && p.lat > 10, 'the larger square')
})
