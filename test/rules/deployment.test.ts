import t from 'tap'
import { existsSync } from 'node:fs'
import { cellToParent, getResolution, latLngToCell } from 'h3-js'
import { loadConfig } from '../../src/config/load.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { BASE, config, offset, square, standardRaw } from './helpers.js'

t.test('compiles units, posts, zones and the cell index', async (t) => {
  const dep = compileDeployment(config(standardRaw()))
  t.equal(dep.ingestResolution, 9)
  t.same(dep.units.get('P-017'), {
    id: 'P-017',
    kind: 'vehicle',
    name: 'Patrol car 17',
    callsign: null,
    postId: 'station-03',
    zoneId: 'grid-2',
    silentAfterMs: 180_000,
    liveness: { floorMs: 180_000, capMs: 1_800_000, factor: 3, stationaryFactor: 2, expectedMs: null },
  })
  t.equal(dep.units.get('O-003')?.silentAfterMs, 120_000)
  t.equal(dep.units.get('P-020')?.name, 'P-020', 'name defaults to the id')
  t.equal(dep.units.get('O-003')?.zoneId, 'grid-2')
  t.equal(dep.units.get('P-020')?.zoneId, null)
  t.same(dep.posts.get('station-03'), { id: 'station-03', name: 'Chengxi station', lat: BASE.lat, lon: BASE.lon, radiusM: 1500 })
  const z = dep.zonesById.get('grid-2')
  t.ok(z)
  t.equal(z?.index, 0)
  t.equal(z?.credit, 'own')
  t.equal(z?.responseRadiusM, null)
  t.equal(z?.maxIntervalMs, 1_800_000)
  t.ok((z?.coverage.cells.length ?? 0) > 40, 'a 2 km square holds ~50 res-9 cells')
  t.ok(z?.polygon.contains(BASE.lat, BASE.lon))
  t.equal(dep.cellIndex.length, 1)
  const centre = latLngToCell(BASE.lat, BASE.lon, 9)
  t.same(dep.cellIndex[0]?.zonesOfCell.get(centre), [0])
  t.equal(dep.rules.allowedLatenessMs, 0)
  t.equal(dep.rules.radius.dwellMs, 60_000)
  t.equal(dep.rules.pathMaxDistanceM, 2000)
  t.equal(dep.rules.tickMs, 5000)
  t.ok(Math.abs(dep.maxSpeedMps('officer') - 40 / 3.6) < 1e-9)
  t.ok(Math.abs(dep.maxSpeedMps('boat') - 250 / 3.6) < 1e-9, 'unknown kind: default')
  t.equal(dep.maxSpeedMps('boat'), dep.maxSpeedMps('boat'), 'cached')
})

t.test('speed table without a default key falls back to 250 km/h', async (t) => {
  const base = config(standardRaw())
  // The schema merges its defaults into the table; a hand-built config may still lack `default`.
  const dep = compileDeployment({ ...base, rules: { ...base.rules, max_speed_kmh: { vehicle: 120 } } })
  t.ok(Math.abs(dep.maxSpeedMps('vehicle') - 120 / 3.6) < 1e-9)
  t.ok(Math.abs(dep.maxSpeedMps('officer') - 250 / 3.6) < 1e-9)
})

t.test('priority cells: by cell, finer cell, or point; zones at several resolutions', async (t) => {
  const far = offset(BASE, 3000, 3000)
  const fine = latLngToCell(BASE.lat, BASE.lon, 11)
  const dep = compileDeployment(config(standardRaw({
    zones: [
      {
        id: 'grid-2', geometry: square(BASE, 1000),
        coverage: {
          credit: 'any', response_radius_m: 800,
          priority_cells: [
            { cell: latLngToCell(BASE.lat, BASE.lon, 9), name: 'Market', max_interval: '10m' },
            { cell: fine },
            { lat: far.lat, lon: far.lon, name: 'Outside checkpoint' },
          ],
        },
      },
      { id: 'grid-8', geometry: square(BASE, 3000), coverage: { resolution: 8 } },
    ],
  })))
  const z = dep.zonesById.get('grid-2')
  t.equal(z?.name, 'grid-2')
  t.equal(z?.credit, 'any')
  t.equal(z?.responseRadiusM, 800)
  const pr = z?.coverage.priority ?? []
  t.same(pr.map((p) => p.cell), [latLngToCell(BASE.lat, BASE.lon, 9), cellToParent(fine, 9), latLngToCell(far.lat, far.lon, 9)])
  t.same(pr.map((p) => p.name), ['Market', undefined, 'Outside checkpoint'])
  t.same(pr.map((p) => p.maxIntervalMs), [600_000, 600_000, 600_000])
  t.notOk(z?.coverage.cells.includes(latLngToCell(far.lat, far.lon, 9)), 'not counted in the ratio')
  t.same(dep.cellIndex.map((c) => c.resolution), [8, 9])
  t.same(dep.cellIndex[1]?.zonesOfCell.get(latLngToCell(far.lat, far.lon, 9)), [0], 'but indexed for credit')
  t.same(dep.cellIndex[0]?.zonesOfCell.get(latLngToCell(BASE.lat, BASE.lon, 8)), [1])
  t.equal(getResolution(dep.zonesById.get('grid-8')?.coverage.cells[0] as string), 8)
})

t.test('errors name the key', async (t) => {
  const zone = (over: Record<string, unknown>) => config(standardRaw({ zones: [{ id: 'grid-2', geometry: square(BASE, 1000), ...over }] }))
  const open = square(BASE, 1000)
  open.coordinates[0]?.pop()
  open.coordinates[0]?.push([0, 0])
  t.throws(() => compileDeployment(zone({ geometry: open })), /^zones\.grid-2\.geometry\.coordinates\[0\]: ring is not closed/)
  t.throws(
    () => compileDeployment(zone({ coverage: { priority_cells: [{ cell: 'nonsense' }] } })),
    /zones\.grid-2\.coverage\.priority_cells\.0\.cell: "nonsense" is not a valid H3 cell id/,
  )
  t.throws(
    () => compileDeployment(zone({ coverage: { priority_cells: [{ lat: 1, lon: 1 }, { cell: latLngToCell(BASE.lat, BASE.lon, 7) }] } })),
    /zones\.grid-2\.coverage\.priority_cells\.1\.cell: cell is at resolution 7, coarser than the zone's coverage resolution 9/,
  )
  t.throws(() => compileDeployment(zone({ geometry: square(BASE, 50), coverage: { resolution: 5 } })), /zones\.grid-2\.coverage\.resolution: the zone holds no H3 cell centre at resolution 5/)
})

t.test('other geometry failures are reported under the geometry key', async (t) => {
  const { compileDeployment: compile } = await t.mockImport<typeof import('../../src/rules/deployment.js')>('../../src/rules/deployment.js', {
    '../../src/geo/cells.js': { polygonCells: () => { throw new Error('h3 said no') } },
  })
  t.throws(() => compile(config(standardRaw())), /^zones\.grid-2\.geometry: h3 said no$/)
})

const SAMPLE = 'config/hexpatrol.yaml'
t.test('the repository sample deployment compiles', { skip: existsSync(SAMPLE) ? false : `${SAMPLE} is not there yet (the lead adds it)` }, async (t) => {
  const { config: cfg } = loadConfig({ path: SAMPLE, env: {} })
  const dep = compileDeployment(cfg)
  t.equal(dep.zones.length, cfg.zones.length)
  t.equal(dep.posts.size, cfg.posts.length)
  t.equal(dep.units.size, cfg.units.length)
  for (const z of dep.zones) t.ok(z.coverage.cells.length > 0, `${z.id} has cells`)
})

t.test('overlapping zones share cells in the index', async (t) => {
  const dep = compileDeployment(config(standardRaw({
    zones: [
      { id: 'grid-2', geometry: square(BASE, 1000) },
      { id: 'b', geometry: square(BASE, 500) },
    ],
  })))
  t.same(dep.cellIndex[0]?.zonesOfCell.get(latLngToCell(BASE.lat, BASE.lon, 9)), [0, 1])
})

t.test('a hand-built config with dangling unit references is refused', async (t) => {
  const base = config(standardRaw())
  t.throws(() => compileDeployment({ ...base, units: [{ id: 'U', kind: 'vehicle', post: 'nope' }] }), /^units\.U\.post: no post with id "nope"/)
  t.throws(() => compileDeployment({ ...base, units: [{ id: 'U', kind: 'vehicle', zone: 'nope' }] }), /^units\.U\.zone: no zone with id "nope"/)
})
