// The nearest-point grid agrees with a brute-force scan (random fleets, filters, distance bounds,
// moves, deletions, near the antimeridian and the poles).
import t from 'tap'
import fc from 'fast-check'
import { UnitGrid } from '../../src/geo/unit-grid.js'
import { haversineM } from '../../src/geo/distance.js'

interface P { id: string; lat: number; lon: number; kind: number }

function brute(points: P[], lat: number, lon: number, k: number, max: number, kind: number | null) {
  return points
    .filter((p) => kind === null || p.kind === kind)
    .map((p) => ({ id: p.id, d: haversineM(lat, lon, p.lat, p.lon) }))
    .filter((x) => x.d <= max)
    .sort((a, b) => a.d - b.d || (a.id < b.id ? -1 : 1))
    .slice(0, k)
}

const city = fc.record({ lat: fc.double({ min: 36.3, max: 36.7, noNaN: true }), lon: fc.double({ min: 117.6, max: 118.1, noNaN: true }), kind: fc.integer({ min: 0, max: 3 }) })
const world = fc.record({ lat: fc.double({ min: -89.9, max: 89.9, noNaN: true }), lon: fc.double({ min: -180, max: 179.999, noNaN: true }), kind: fc.integer({ min: 0, max: 3 }) })

for (const [name, gen] of [['a city', city], ['the world', world]] as const) {
  t.test(`agrees with a scan over ${name}`, async (t) => {
    fc.assert(fc.property(
      fc.array(gen, { minLength: 0, maxLength: 300 }), gen, fc.integer({ min: 0, max: 12 }),
      fc.option(fc.double({ min: 10, max: 50_000, noNaN: true })), fc.option(fc.integer({ min: 0, max: 3 })),
      (pts, q, k, max, kind) => {
        const points = pts.map((p, i) => ({ ...p, id: `u${i}` }))
        const g = new UnitGrid<P>()
        for (const p of points) g.set(p.id, p.lat, p.lon, p)
        const got = g.nearest(q.lat, q.lon, k, { maxDistanceM: max ?? undefined, accept: kind === null ? undefined : (p: P) => p.kind === kind } as never)
        const want = brute(points, q.lat, q.lon, k, max ?? Infinity, kind)
        return JSON.stringify(got.map((h) => [h.value.id, h.distanceM])) === JSON.stringify(want.map((w) => [w.id, w.d]))
      }), { numRuns: 300 })
  })
}

t.test('moves and deletions keep the index exact', async (t) => {
  const g = new UnitGrid<string>()
  g.set('a', 36.49, 117.86, 'a')
  g.set('b', 36.5, 117.87, 'b')
  t.equal(g.size, 2)
  t.same(g.nearest(36.49, 117.86, 1).map((h) => h.value), ['a'])
  g.set('a', 37.5, 117.86, 'a') // moved far away (another cell)
  g.set('b', 36.5001, 117.87, 'b') // moved within its cell
  t.same(g.nearest(36.49, 117.86, 2).map((h) => h.value), ['b', 'a'])
  g.delete('b')
  g.delete('nope')
  t.equal(g.size, 1)
  t.same(g.nearest(36.49, 117.86, 5).map((h) => h.value), ['a'])
  g.delete('a')
  t.same(g.nearest(36.49, 117.86, 5), [])
  t.same(g.nearest(36.49, 117.86, 0), [])
})

t.test('across the antimeridian and at the poles', async (t) => {
  const g = new UnitGrid<string>()
  g.set('east', 10, 179.999, 'east')
  g.set('west', 10, -179.999, 'west')
  g.set('far', 10, 170, 'far')
  g.set('pole', 89.95, 0, 'pole')
  t.same(g.nearest(10, -179.9995, 2).map((h) => h.value), ['west', 'east'])
  t.same(g.nearest(89.99, 120, 1).map((h) => h.value), ['pole'])
  t.same(g.nearest(-89.99, 0, 1, { maxDistanceM: 1000 }), [])
})
