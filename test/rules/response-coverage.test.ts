import t from 'tap'
import { latLngToCell, gridDisk } from 'h3-js'
import { ResponseCoverage } from '../../src/rules/response-coverage.js'
import { polygonCells, cellCentre } from '../../src/geo/cells.js'
import { haversineM } from '../../src/geo/distance.js'

const zone = polygonCells({
  type: 'Polygon',
  coordinates: [[[117.84, 36.47], [117.88, 36.47], [117.88, 36.51], [117.84, 36.51], [117.84, 36.47]]],
}, 9)

/** The definition, computed the slow way. */
function naive(cells: string[], radiusM: number, units: Array<{ lat: number; lon: number }>): number {
  return cells.filter((c) => {
    const p = cellCentre(c)
    return units.some((u) => haversineM(u.lat, u.lon, p.lat, p.lon) <= radiusM)
  }).length
}

t.test('known geometry', async (t) => {
  t.ok(zone.length > 100, `${zone.length} cells`)
  const rc = new ResponseCoverage(zone, 9, 1500)
  t.equal(rc.total, zone.length)
  t.same(rc.evaluate([]), { ratio: 0, covered: 0, total: zone.length }, 'no units: nothing covered')
  // One unit in the middle of a ~3.6 × 4.4 km box covers a 1.5 km disc: ≈ π·1.5² / (3.58·4.45) ≈ 44 %.
  const one = rc.evaluate([{ lat: 36.49, lon: 117.86 }])
  t.equal(one.covered, naive(zone, 1500, [{ lat: 36.49, lon: 117.86 }]))
  t.ok(one.ratio > 0.35 && one.ratio < 0.55, `one central unit: ${one.ratio}`)
  // Four units at the quarter points cover (almost) everything.
  const four = [
    { lat: 36.48, lon: 117.85 }, { lat: 36.48, lon: 117.87 }, { lat: 36.5, lon: 117.85 }, { lat: 36.5, lon: 117.87 },
  ]
  const r4 = rc.evaluate(four)
  t.equal(r4.covered, naive(zone, 1500, four))
  t.ok(r4.ratio > 0.95, `four units: ${r4.ratio}`)
  // A unit far away covers nothing; a unit just outside the zone covers its edge.
  t.equal(rc.evaluate([{ lat: 40, lon: 116 }]).covered, 0)
  const outsideEdge = [{ lat: 36.49, lon: 117.89 }]
  const edge = rc.evaluate(outsideEdge)
  t.ok(edge.covered > 0)
  t.equal(edge.covered, naive(zone, 1500, outsideEdge))
  // Evaluations are independent: the previous marks are cleared.
  t.equal(rc.evaluate([]).covered, 0)
})

t.test('full coverage returns early; invalid positions are skipped', async (t) => {
  const small = gridDisk(latLngToCell(36.49, 117.86, 9), 1)
  const rc = new ResponseCoverage(small, 9, 2000)
  const units = [{ lat: 36.49, lon: 117.86 }, { lat: 36.491, lon: 117.861 }]
  t.same(rc.evaluate(units), { ratio: 1, covered: 7, total: 7 })
  t.same(rc.evaluate([{ lat: Number.NaN, lon: 117.86 }, { lat: 36.49, lon: Infinity }, { lat: 91, lon: 0 }, { lat: 0, lon: -181 }]), { ratio: 0, covered: 0, total: 7 })
  t.equal(new ResponseCoverage([...small, ...small], 9, 100).total, 7, 'duplicate cells counted once')
})

t.test('empty zone, bad radius', async (t) => {
  t.same(new ResponseCoverage([], 9, 1500).evaluate([{ lat: 36.49, lon: 117.86 }]), { ratio: 1, covered: 0, total: 0 })
  t.throws(() => new ResponseCoverage(zone, 9, 0), /response radius must be > 0 m, got 0/)
  t.throws(() => new ResponseCoverage(zone, 9, Number.NaN), /response radius/)
})

t.test('matches the naive definition for random fleets and radii', async (t) => {
  let seed = 99
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31
  }
  for (const radius of [200, 700, 1500]) {
    const rc = new ResponseCoverage(zone, 9, radius)
    for (let round = 0; round < 8; round++) {
      const units = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => ({
        lat: 36.46 + rnd() * 0.06,
        lon: 117.83 + rnd() * 0.06,
      }))
      const got = rc.evaluate(units)
      const want = naive(zone, radius, units)
      t.equal(got.covered, want, `radius ${radius}, round ${round}: ${want} cells`)
      t.equal(got.ratio, want / zone.length)
    }
  }
})

t.test('the candidate cache starts over when full', async (t) => {
  // A 1 m radius and a res-15 zone, with thousands of distinct unit cells, crosses the cache bound.
  const cells = [latLngToCell(36.49, 117.86, 15)]
  const rc = new ResponseCoverage(cells, 15, 1)
  // The covering unit comes last, after 9000 others in distinct cells (full coverage returns early).
  const units = Array.from({ length: 9000 }, (_, i) => ({ lat: 36.491 + (i % 100) * 2e-5, lon: 117.861 + Math.floor(i / 100) * 2e-5 }))
  units.push({ lat: 36.49, lon: 117.86 })
  const r = rc.evaluate(units)
  t.equal(r.covered, 1)
  t.equal(rc.evaluate([{ lat: 36.49, lon: 117.86 }]).covered, 1, 'still right after the cache was cleared')
})
