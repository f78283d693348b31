import t from 'tap'
import { latLngToCell, areNeighborCells, gridPathCells, getResolution, gridDisk, getPentagons, cellArea, cellToLatLng } from 'h3-js'
import { polygonCells, cellCentre, pathCells, disk, diskK, neighbourSpacingM } from '../../src/geo/cells.js'
import { compilePolygon, type ZoneGeometry } from '../../src/geo/polygon.js'
import { haversineM } from '../../src/geo/distance.js'

const square = (lon0: number, lat0: number, lon1: number, lat1: number): number[][] => [
  [lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0],
]
const outer = square(117.85, 36.48, 117.87, 36.5)
const hole = square(117.855, 36.485, 117.865, 36.495)

t.test('polygonCells: count matches area, centres inside, sorted and unique', async (t) => {
  const g: ZoneGeometry = { type: 'Polygon', coordinates: [outer] }
  const cells = polygonCells(g, 9)
  const poly = compilePolygon(g)
  const areaM2 = haversineM(36.49, 117.85, 36.49, 117.87) * haversineM(36.48, 117.86, 36.5, 117.86)
  const expected = areaM2 / cellArea(cells[0]!, 'm2')
  t.ok(Math.abs(cells.length - expected) / expected < 0.1, `${cells.length} cells for ~${expected.toFixed(0)} expected`)
  t.ok(cells.every((c) => getResolution(c) === 9))
  t.ok(cells.every((c) => {
    const { lat, lon } = cellCentre(c)
    return poly.contains(lat, lon)
  }), 'every centre is inside')
  t.same(cells, [...new Set(cells)].sort())
  t.equal(polygonCells(g, 8).length < cells.length / 5, true, 'coarser resolution, fewer cells')
})

t.test('polygonCells: holes excluded, MultiPolygon parts merged and deduped', async (t) => {
  const holed: ZoneGeometry = { type: 'Polygon', coordinates: [outer, hole] }
  const cells = polygonCells(holed, 9)
  const poly = compilePolygon(holed)
  const full = polygonCells({ type: 'Polygon', coordinates: [outer] }, 9)
  t.ok(cells.length < full.length * 0.85, `${cells.length} < ${full.length}: the hole removes ~25 %`)
  t.ok(cells.every((c) => {
    const { lat, lon } = cellCentre(c)
    return poly.contains(lat, lon)
  }), 'no centre in the hole')
  // The same square twice plus an overlapping one: the union, once each.
  const multi = polygonCells({ type: 'MultiPolygon', coordinates: [[outer], [outer], [square(117.86, 36.48, 117.88, 36.5)]] }, 9)
  const east = polygonCells({ type: 'Polygon', coordinates: [square(117.86, 36.48, 117.88, 36.5)] }, 9)
  t.same(multi, [...new Set([...full, ...east])].sort())
})

t.test('cellCentre', async (t) => {
  const c = latLngToCell(36.49, 117.86, 9)
  const { lat, lon } = cellCentre(c)
  const [la, lo] = cellToLatLng(c)
  t.same({ lat, lon }, { lat: la, lon: lo })
  t.ok(haversineM(lat, lon, 36.49, 117.86) < 250, 'near the point it indexes')
})

t.test('pathCells: contiguous, ends included, fallbacks', async (t) => {
  const a = latLngToCell(36.48, 117.85, 9)
  const b = latLngToCell(36.495, 117.868, 9)
  const path = pathCells(a, b)
  t.equal(path[0], a)
  t.equal(path[path.length - 1], b)
  t.ok(path.length > 5)
  for (let i = 1; i < path.length; i++) t.ok(areNeighborCells(path[i - 1]!, path[i]!), `step ${i} is to a neighbour`)
  t.same(pathCells(a, a), [a], 'same cell')
  const coarse = latLngToCell(36.49, 117.86, 8)
  t.same(pathCells(a, coarse), [a, coarse], 'different resolutions: the ends only')
  const far = latLngToCell(-36.49, -62.14, 9)
  t.same(pathCells(a, far), [a, far], 'other side of the world: the ends only')
})

t.test('pathCells: a neighbour (the short cut) gives what gridPathCells gives, here and next to a pentagon', async (t) => {
  for (const [lat, lon, res] of [[36.49, 117.86, 9], [36.49, 117.86, 12], [-33.87, 151.21, 7], [64.1, -21.9, 10]] as const) {
    const c = latLngToCell(lat, lon, res)
    for (const n of gridDisk(c, 1)) t.same(pathCells(c, n), gridPathCells(c, n), `${c} → ${n}`)
  }
  const pentagon = getPentagons(5)[0]!
  for (const n of gridDisk(pentagon, 1)) {
    if (n === pentagon) continue
    t.same(pathCells(pentagon, n), [pentagon, n], 'a pentagon and its neighbour')
    t.same(pathCells(n, pentagon), gridPathCells(n, pentagon), 'a neighbour and its pentagon')
  }
})

t.test('disk: exactly the cells whose centres are within the radius', async (t) => {
  const c = latLngToCell(36.49, 117.86, 9)
  const cc = cellCentre(c)
  for (const r of [0, 100, 500, 1500, 3000]) {
    const got = disk(c, r).sort()
    // Brute force over a generous disk.
    const want = gridDisk(c, 20).filter((n) => {
      const nc = cellCentre(n)
      return haversineM(cc.lat, cc.lon, nc.lat, nc.lon) <= r
    }).sort()
    t.same(got, want, `radius ${r} m: ${got.length} cells`)
  }
  t.same(disk(c, 0), [c], 'radius 0: the cell itself')
  t.same(disk(c, -1), [], 'negative radius: nothing')
  t.same(disk(c, Number.NaN), [], 'NaN radius: nothing')
  const n1500 = disk(c, 1500).length
  const expected = (Math.PI * 1500 * 1500) / cellArea(c, 'm2')
  t.ok(Math.abs(n1500 - expected) / expected < 0.15, `1.5 km: ${n1500} cells, ~${expected.toFixed(0)} by area`)
})

t.test('disk and spacing around a pentagon', async (t) => {
  const p = getPentagons(9)[0]!
  const s = neighbourSpacingM(p)
  t.ok(s > 200 && s < 500, `pentagon neighbour spacing ${s}`)
  const pc = cellCentre(p)
  const got = disk(p, 1000)
  t.ok(got.includes(p))
  t.ok(got.every((n) => {
    const nc = cellCentre(n)
    return haversineM(pc.lat, pc.lon, nc.lat, nc.lon) <= 1000
  }))
  t.ok(got.length > 20)
})

t.test('diskK grows with the radius', async (t) => {
  const c = latLngToCell(36.49, 117.86, 9)
  t.ok(diskK(c, 0) >= 1)
  t.ok(diskK(c, 1500) > diskK(c, 500))
  t.ok(neighbourSpacingM(c) > 250 && neighbourSpacingM(c) < 400, 'res 9 spacing ≈ 300 m')
})
