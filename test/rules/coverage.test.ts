import t from 'tap'
import { latLngToCell, gridDisk, cellToLatLng, areNeighborCells } from 'h3-js'
import { ZoneCoverage, type CoverageZoneSpec } from '../../src/rules/coverage.js'
import { polygonCells, pathCells } from '../../src/geo/cells.js'

const MIN = 60_000
const T0 = Date.UTC(2025, 0, 6, 8, 0, 0)
const centre = latLngToCell(36.49, 117.86, 9)
// 37 cells: the centre and three rings around it.
const zoneCells = gridDisk(centre, 3).sort()
const outside = latLngToCell(36.6, 117.9, 9)

function spec(over: Partial<CoverageZoneSpec> = {}): CoverageZoneSpec {
  return { id: 'grid-1', cells: zoneCells, resolution: 9, maxIntervalMs: 30 * MIN, minRatio: 0.8, priority: [], ...over }
}

t.test('visits, freshness and staleness with a fake clock', async (t) => {
  const z = new ZoneCoverage(spec(), T0)
  t.equal(z.total, 37)
  let e = z.evaluate(T0)
  t.same(e, { ratio: 0, fresh: 0, total: 37, stalePriority: [], inGrace: true, belowMin: true })
  t.ok(z.has(centre))
  t.notOk(z.has(outside))
  t.equal(z.visit(outside, T0), false, 'a cell outside the zone is not credited')
  t.equal(z.visit(centre, T0 + MIN), true)
  e = z.evaluate(T0 + MIN)
  t.equal(e.fresh, 1)
  t.equal(e.ratio, 1 / 37)
  // Exactly max_interval old is still fresh; one ms more is stale.
  t.equal(z.evaluate(T0 + 31 * MIN).fresh, 1, 'age == max_interval: fresh')
  t.equal(z.evaluate(T0 + 31 * MIN + 1).fresh, 0, 'age > max_interval: stale')
  // Visit everything: ratio 1, not below the minimum.
  for (const c of zoneCells) z.visit(c, T0 + 40 * MIN)
  e = z.evaluate(T0 + 40 * MIN)
  t.equal(e.ratio, 1)
  t.equal(e.belowMin, false)
  t.equal(e.inGrace, false, 'grace is over after max_interval')
  // A revisit moves the expiry: after the first visits expire, only the revisited cells stay fresh.
  for (const c of zoneCells.slice(0, 30)) z.visit(c, T0 + 60 * MIN)
  e = z.evaluate(T0 + 71 * MIN)
  t.equal(e.fresh, 30)
  t.equal(e.belowMin, false, '30/37 ≥ 0.8')
  z.visit(zoneCells[0]!, T0 + 65 * MIN)
  e = z.evaluate(T0 + 90 * MIN + 1)
  t.equal(e.fresh, 1, 'only the cell revisited at +65 min')
  t.equal(e.belowMin, true)
  t.equal(z.evaluate(T0 + 200 * MIN).fresh, 0)
})

t.test('a late fix never moves a visit backwards', async (t) => {
  const z = new ZoneCoverage(spec(), T0)
  z.visit(centre, T0 + 20 * MIN)
  t.equal(z.visit(centre, T0 + 5 * MIN), true, 'still in the zone')
  t.equal(z.visit(centre, T0 + 20 * MIN), true, 'same time again')
  t.same(z.lastVisits(T0 + 20 * MIN).find((v) => v.cell === centre), { cell: centre, lastVisit: T0 + 20 * MIN, fresh: true })
  t.equal(z.evaluate(T0 + 50 * MIN).fresh, 1, 'still fresh by the newer visit')
  z.visit(centre, Number.NaN)
  t.same(z.lastVisits(T0 + 20 * MIN).find((v) => v.cell === centre), { cell: centre, lastVisit: T0 + 20 * MIN, fresh: true }, 'NaN ignored')
  // A late fix older than max_interval credits a visit that is already stale.
  const other = zoneCells[1]!
  z.visit(other, T0)
  t.equal(z.evaluate(T0 + 50 * MIN).fresh, 1)
})

t.test('grace period', async (t) => {
  const z = new ZoneCoverage(spec(), T0)
  t.equal(z.evaluate(T0).inGrace, true)
  t.equal(z.evaluate(T0 + 30 * MIN - 1).inGrace, true)
  t.equal(z.evaluate(T0 + 30 * MIN).inGrace, false)
  t.equal(z.historyStartedAt, T0)
})

t.test('priority cells: own interval, names, outside the zone, validation', async (t) => {
  const bank = zoneCells[5]!
  const checkpoint = outside
  const z = new ZoneCoverage(spec({
    priority: [
      { cell: bank, name: 'bank', maxIntervalMs: 10 * MIN },
      { cell: checkpoint, maxIntervalMs: 15 * MIN },
    ],
  }), T0)
  t.equal(z.total, 37, 'a priority cell outside the zone does not count in the ratio')
  t.ok(z.has(checkpoint))
  let e = z.evaluate(T0)
  t.equal(e.stalePriority.length, 2, 'never visited: stale')
  const [lat, lon] = cellToLatLng(bank)
  t.same(e.stalePriority[0], { cell: bank, lat, lon, lastVisit: null, priority: true, name: 'bank' })
  t.notOk('name' in e.stalePriority[1]!, 'no name key when unnamed')
  t.equal(z.visit(checkpoint, T0), true)
  z.visit(bank, T0)
  e = z.evaluate(T0 + 10 * MIN)
  t.same(e.stalePriority, [])
  t.equal(e.fresh, 1, 'the checkpoint is not a zone cell')
  e = z.evaluate(T0 + 10 * MIN + 1)
  t.same(e.stalePriority.map((s) => [s.cell, s.lastVisit]), [[bank, T0]], 'bank stale at its own 10 min; zone cell still fresh')
  t.equal(e.fresh, 1)
  e = z.evaluate(T0 + 16 * MIN)
  t.same(e.stalePriority.map((s) => s.cell), [bank, checkpoint])

  t.throws(() => new ZoneCoverage(spec({ priority: [{ cell: 'nope', maxIntervalMs: MIN }] }), T0), /priority cell "nope" is not a valid H3 cell at resolution 9/)
  t.throws(() => new ZoneCoverage(spec({ priority: [{ cell: latLngToCell(36.49, 117.86, 8), maxIntervalMs: MIN }] }), T0), /resolution 9/)
  t.throws(() => new ZoneCoverage(spec({ priority: [{ cell: bank, maxIntervalMs: 0 }] }), T0), /max interval must be > 0/)
  t.throws(() => new ZoneCoverage(spec({ maxIntervalMs: 0 }), T0), /zone grid-1: coverage max interval must be > 0 ms/)
})

t.test('path credit', async (t) => {
  const z = new ZoneCoverage(spec(), T0)
  const west = latLngToCell(36.49, 117.845, 9)
  const east = latLngToCell(36.49, 117.875, 9)
  const path = pathCells(west, east)
  const inZone = path.filter((c) => z.has(c))
  t.ok(inZone.length >= 5, `path crosses the zone (${inZone.length} cells)`)
  t.notOk(z.has(west) || z.has(east), 'both ends outside')
  t.equal(z.visitPath(west, east, T0), inZone.length)
  t.equal(z.evaluate(T0).fresh, inZone.length)
  for (let i = 1; i < inZone.length; i++) t.ok(areNeighborCells(inZone[i - 1]!, inZone[i]!), 'contiguous through the zone')
  t.equal(z.visitPath(centre, centre, T0 + 1), 1, 'same cell: one')
  t.equal(z.visitPath(outside, outside, T0), 0)
})

t.test('seed, lastVisits, toJSON/fromJSON round-trip', async (t) => {
  const bank = zoneCells[5]!
  const s = spec({ priority: [{ cell: outside, name: 'gate', maxIntervalMs: 5 * MIN }, { cell: bank, maxIntervalMs: 5 * MIN }] })
  const z = new ZoneCoverage(s, T0)
  z.seed(zoneCells[0]!, T0 - 10 * MIN)
  z.seed(zoneCells[0]!, T0 - 20 * MIN)
  z.seed('8f2830828052d25', T0)
  z.visit(zoneCells[1]!, T0 + MIN)
  z.visit(outside, T0 + 2 * MIN)
  const visits = z.lastVisits(T0)
  t.equal(visits.length, 38, 'zone cells and the priority cell outside')
  t.same(visits[0], { cell: zoneCells[0], lastVisit: T0 - 10 * MIN, fresh: true })
  t.same(visits[2], { cell: zoneCells[2], lastVisit: null, fresh: false })
  t.same(visits[37], { cell: outside, lastVisit: T0 + 2 * MIN, fresh: true })
  // Freshness is by each cell's own interval: the overdue priority cell is not fresh by the zone's.
  const later = z.lastVisits(T0 + 8 * MIN)
  t.equal(later[0]?.fresh, true, 'zone cell: 18 min old, zone interval 30 min')
  t.equal(later[37]?.fresh, false, 'priority cell: 6 min old, its interval is 5 min')
  t.equal(later[5]?.fresh, false, 'priority cell inside the zone never visited')

  const json = JSON.parse(JSON.stringify(z)) as unknown
  t.same(json, {
    version: 1, zone: 'grid-1', resolution: s.resolution, historyStartedAt: T0,
    cells: [zoneCells[0], zoneCells[1], outside],
    lastVisits: [T0 - 10 * MIN, T0 + MIN, T0 + 2 * MIN],
  })
  const back = ZoneCoverage.fromJSON(s, json)
  t.same(back.lastVisits(T0), visits)
  t.equal(back.historyStartedAt, T0)
  t.same(back.evaluate(T0 + 5 * MIN), z.evaluate(T0 + 5 * MIN))
  t.same(back.toJSON(), z.toJSON())

  // A zone that shrank: cells no longer in it are dropped.
  const smaller = ZoneCoverage.fromJSON(spec({ cells: [zoneCells[1]!] }), json)
  t.same(smaller.lastVisits(T0 + MIN), [{ cell: zoneCells[1], lastVisit: T0 + MIN, fresh: true }])

  const bad = (j: unknown, re: RegExp) => t.throws(() => ZoneCoverage.fromJSON(s, j), re)
  bad(null, /zone grid-1: coverage state is malformed: not an object/)
  bad('x', /not an object/)
  bad({ version: 2 }, /unsupported version 2/)
  bad({ version: 1, historyStartedAt: 'x' }, /historyStartedAt/)
  bad({ version: 1, historyStartedAt: Infinity }, /historyStartedAt/)
  bad({ version: 1, historyStartedAt: T0, cells: [] }, /same length/)
  bad({ version: 1, historyStartedAt: T0, cells: 'a', lastVisits: [] }, /same length/)
  bad({ version: 1, historyStartedAt: T0, cells: ['a'], lastVisits: [] }, /same length/)
  bad({ version: 1, historyStartedAt: T0, cells: [1], lastVisits: [T0] }, /entry 0 is not a cell id/)
  bad({ version: 1, historyStartedAt: T0, cells: ['a'], lastVisits: ['x'] }, /entry 0/)
  bad({ version: 1, historyStartedAt: T0, cells: ['a'], lastVisits: [null] }, /entry 0/)
})

t.test('staleCells: oldest first, never visited first, limited, with centres', async (t) => {
  const bank = zoneCells[3]!
  const z = new ZoneCoverage(spec({ priority: [{ cell: bank, name: 'bank', maxIntervalMs: 5 * MIN }, { cell: outside, maxIntervalMs: 5 * MIN }] }), T0)
  for (const [i, c] of zoneCells.entries()) if (i >= 2) z.visit(c, T0 + i * MIN)
  z.visit(outside, T0 + 50 * MIN)
  const now = T0 + 50 * MIN
  // Stale at +50 min with a 30 min interval: visits before +20 min, i.e. i < 20, plus never-visited 0 and 1.
  // The bank (i = 3) is stale either way.
  const all = z.staleCells(now, 1000)
  t.same(all.map((s) => s.cell), zoneCells.slice(0, 20))
  t.same(all.slice(0, 2).map((s) => s.lastVisit), [null, null])
  t.same(all.slice(2).map((s) => s.lastVisit), Array.from({ length: 18 }, (_, k) => T0 + (k + 2) * MIN))
  const b = all.find((s) => s.cell === bank)!
  t.same(b, { cell: bank, lat: cellToLatLng(bank)[0], lon: cellToLatLng(bank)[1], lastVisit: T0 + 3 * MIN, priority: true, name: 'bank' })
  const [lat, lon] = cellToLatLng(zoneCells[0]!)
  t.same(all[0], { cell: zoneCells[0], lat, lon, lastVisit: null })
  t.same(z.staleCells(now, 3).map((s) => s.cell), zoneCells.slice(0, 3))
  t.same(z.staleCells(now, 0), [])
  // The priority cell outside the zone goes stale by its own 5 min.
  const later = z.staleCells(T0 + 55 * MIN + 1, 1000)
  t.ok(later.some((s) => s.cell === outside && s.priority === true))
  // Same time on two cells: ordered by id.
  const y = new ZoneCoverage(spec(), T0)
  y.visit(zoneCells[9]!, T0)
  y.visit(zoneCells[4]!, T0)
  for (const c of zoneCells) if (c !== zoneCells[9] && c !== zoneCells[4]) y.visit(c, T0 + 40 * MIN)
  t.same(y.staleCells(T0 + 40 * MIN, 10).map((s) => s.cell), [zoneCells[4], zoneCells[9]])
  // Cells given out of order in the spec still come out by id.
  const unsorted = new ZoneCoverage(spec({ cells: [zoneCells[7]!, zoneCells[2]!, zoneCells[5]!] }), T0)
  t.same(unsorted.staleCells(T0, 10).map((s) => s.cell), [zoneCells[2], zoneCells[5], zoneCells[7]])
})

t.test('an empty zone is fully covered', async (t) => {
  const z = new ZoneCoverage(spec({ cells: [] }), T0)
  const e = z.evaluate(T0)
  t.equal(e.ratio, 1)
  t.equal(e.belowMin, false)
  t.same(z.staleCells(T0, 10), [])
})

t.test('duplicate cells in the spec are counted once', async (t) => {
  const z = new ZoneCoverage(spec({ cells: [centre, centre, zoneCells[0]!] }), T0)
  t.equal(z.total, 2)
})

// The important one: the incremental count must equal a naive recount after every step of a long
// randomized sequence of visits, path visits, seeds, late fixes and clock moves (also backwards).
t.test('incremental evaluate equals a naive full recount (randomized)', async (t) => {
  const cells = polygonCells({
    type: 'Polygon',
    coordinates: [[[117.85, 36.48], [117.87, 36.48], [117.87, 36.5], [117.85, 36.5], [117.85, 36.48]]],
  }, 10)
  t.ok(cells.length > 200, `${cells.length} cells`)
  const around = [...new Set(cells.flatMap((c) => gridDisk(c, 1)))] // some neighbours fall outside
  for (const seedValue of [1, 2, 3, 4, 5]) {
    let seed = seedValue
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!
    const maxIntervalMs = (5 + Math.floor(rnd() * 30)) * MIN
    const prio = [
      { cell: pick(cells), maxIntervalMs: 3 * MIN },
      { cell: pick(around), maxIntervalMs: 20 * MIN, name: 'p2' },
    ]
    const s: CoverageZoneSpec = { id: 'z', cells, resolution: 10, maxIntervalMs, minRatio: 0.5, priority: prio }
    const z = new ZoneCoverage(s, T0)
    const model = new Map<string, number>()
    const credit = (c: string, ts: number) => {
      const tracked = cells.includes(c) || prio.some((p) => p.cell === c)
      if (tracked && ts > (model.get(c) ?? -Infinity)) model.set(c, ts)
      return tracked
    }
    let now = T0
    let mismatches = 0
    for (let step = 0; step < 3000; step++) {
      const r = rnd()
      if (r < 0.45) {
        // A fix near the clock, sometimes late, sometimes slightly ahead.
        const ts = now - Math.floor(rnd() * (rnd() < 0.1 ? 3 * maxIntervalMs : 60_000)) + (rnd() < 0.05 ? 30_000 : 0)
        const c = pick(around)
        if (z.visit(c, ts) !== credit(c, ts)) mismatches++
      } else if (r < 0.6) {
        const a = pick(around)
        const b = pick(around)
        const ts = now - Math.floor(rnd() * 60_000)
        const want = pathCells(a, b).filter((c) => credit(c, ts)).length
        if (z.visitPath(a, b, ts) !== want) mismatches++
      } else if (r < 0.63) {
        const c = pick(cells)
        const ts = now - Math.floor(rnd() * 2 * maxIntervalMs)
        z.seed(c, ts)
        credit(c, ts)
      } else {
        // Mostly forward ticks; occasionally a big jump, a repeat, or a step backwards.
        const q = rnd()
        now += q < 0.02 ? -Math.floor(rnd() * maxIntervalMs) : q < 0.05 ? maxIntervalMs * 2 : q < 0.1 ? 0 : Math.floor(rnd() * 20_000)
        const e = z.evaluate(now)
        let fresh = 0
        for (const c of cells) {
          const lv = model.get(c)
          if (lv !== undefined && now - lv <= maxIntervalMs) fresh++
        }
        const stale = prio.filter((p) => {
          const lv = model.get(p.cell)
          return lv === undefined || now - lv > p.maxIntervalMs
        }).map((p) => p.cell)
        if (e.fresh !== fresh || e.total !== cells.length || e.ratio !== fresh / cells.length ||
          e.belowMin !== fresh / cells.length < 0.5 || e.inGrace !== now < T0 + maxIntervalMs ||
          JSON.stringify(e.stalePriority.map((p) => p.cell)) !== JSON.stringify(stale)) {
          mismatches++
          if (mismatches < 5) t.fail(`seed ${seedValue} step ${step}: fresh ${e.fresh} vs naive ${fresh}`)
        }
      }
    }
    t.equal(mismatches, 0, `seed ${seedValue}: no mismatch over 3000 steps (interval ${maxIntervalMs / MIN} min)`)
    // The restart state reproduces the same evaluation.
    const back = ZoneCoverage.fromJSON(s, JSON.parse(JSON.stringify(z)))
    t.same(back.evaluate(now), z.evaluate(now), `seed ${seedValue}: fromJSON evaluates the same`)
    t.same(Object.fromEntries(z.lastVisits(T0).filter((v) => v.lastVisit !== null).map((v) => [v.cell, v.lastVisit])), Object.fromEntries(model))
  }
})
