import t from 'tap'
import { latLngToCell } from 'h3-js'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { nearZone } from '../../src/rules/response-gap.js'
import { BASE, T0, config, feed, fix, offset, square, standardRaw, types, ofKind } from './helpers.js'
import { GAP_T0, coverageScenario } from '../helpers/gap-scenarios.js'

const MIN = 60_000
const zone = (coverage: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  zones: [{ id: 'grid-2', name: 'Grid 2', geometry: square(BASE, 1000), coverage }],
  ...extra,
})
// These scenarios test the thresholds themselves, so gaps act at once (dwell 0, no hysteresis);
// dwell and hysteresis are tested in gap-dwell.test.ts.
const IMMEDIATE = { allowed_lateness: '0s', coverage_gap: { dwell: '0s', hysteresis: 0 }, response_gap: { dwell: '0s', hysteresis: 0 } }
const engine = (over: Record<string, unknown>) => new RuleEngine(compileDeployment(config(standardRaw({ rules: IMMEDIATE, ...over }))), { startedAt: T0 })
const visited = (e: RuleEngine) => e.coverageSnapshot(T0).filter((c) => c.lastVisit !== null)

t.test('sparse fixes: the H3 path between consecutive fixes is credited', async (t) => {
  const e = engine(zone({}))
  const a = offset(BASE, 0, -900)
  const b = offset(BASE, 0, 100)
  feed(e, fix('O-003', T0, a))
  feed(e, fix('O-003', T0 + 100_000, b)) // 1 km in 100 s: 10 m/s, within 40 km/h
  const v = visited(e)
  t.ok(v.length >= 5, `${v.length} cells credited along a 1 km path`)
  const ca = latLngToCell(a.lat, a.lon, 9)
  const cb = latLngToCell(b.lat, b.lon, 9)
  t.equal(v.find((c) => c.cell === ca)?.lastVisit, T0)
  t.equal(v.find((c) => c.cell === cb)?.lastVisit, T0 + 100_000)
  for (const c of v) if (c.cell !== ca && c.cell !== cb) t.ok((c.lastVisit as number) > T0 && (c.lastVisit as number) < T0 + 100_000, 'interpolated time')
})

t.test('no path fill across a long gap in time or distance', async (t) => {
  const e = engine(zone({}))
  feed(e, fix('O-003', T0, offset(BASE, 0, -900)))
  feed(e, fix('O-003', T0 + 200_000, offset(BASE, 0, 100))) // path_max_gap 2m
  t.equal(visited(e).length, 2)
  const e2 = engine(zone({}, { rules: { ...IMMEDIATE, path_max_distance_m: 500 } }))
  feed(e2, fix('O-003', T0, offset(BASE, 0, -900)))
  feed(e2, fix('O-003', T0 + 100_000, offset(BASE, 0, 100)))
  t.equal(visited(e2).length, 2)
})

t.test('credit own vs any', async (t) => {
  const own = engine(zone({}))
  feed(own, fix('P-020', T0, BASE)) // P-020 has no zone
  feed(own, fix('X-1', T0, offset(BASE, 300, 300)))
  t.equal(visited(own).length, 0)
  const any = engine(zone({ credit: 'any' }))
  feed(any, fix('P-020', T0, BASE))
  feed(any, fix('X-1', T0, offset(BASE, 300, 300)))
  t.equal(visited(any).length, 2)
})

t.test('grace: no coverage alert during the first max_interval', async (t) => {
  const e = engine(zone({ max_interval: '30m' }))
  const evs: AlertEvent[] = []
  for (let m = 0; m < 30; m++) evs.push(...ofKind(e.tick(T0 + m * MIN), 'coverage_gap'))
  t.same(evs, [], 'nothing visited, but still in grace')
  t.equal(e.zones(T0 + 29 * MIN)[0]?.inGrace, true)
  const gap = ofKind(e.tick(T0 + 30 * MIN), 'coverage_gap')
  t.same(types(gap), ['coverage_gap.opened'])
  const g = gap[0] as AlertEvent
  t.equal(g.subject, 'zone:grid-2')
  t.equal(g.at, T0 + 30 * MIN)
  t.equal(g.ratio, 0)
  t.equal(g.minRatio, 0.8)
  t.equal(g.cellCount, compileDeployment(config(standardRaw(zone({})))).zones[0]?.coverage.cells.length)
  t.equal(g.staleCells?.length, 50, 'at most 50 stale cells listed')
  t.equal(g.staleCells?.[0]?.lastVisit, null)
  t.match(g.summary, /^Grid 2: 0% of \d+ cells patrolled within 30m \(minimum 80%\)$/)
  t.same(ofKind(e.tick(T0 + 31 * MIN), 'coverage_gap'), [], 'opened once')
  t.equal(e.zones(T0 + 31 * MIN)[0]?.openGap, true)
  // Coverage restored (e.g. visits recovered): resolves.
  e.seedVisits(e.coverageSnapshot(T0).map((c) => ({ zoneId: c.zoneId, cell: c.cell, ts: T0 + 31 * MIN })))
  const r = ofKind(e.tick(T0 + 32 * MIN), 'coverage_gap')
  t.same(types(r), ['coverage_gap.resolved'])
  t.equal(r[0]?.ratio, 1)
  t.same(r[0]?.staleCells, [])
  t.match(r[0]?.summary, /^Grid 2: coverage restored, 100% of \d+ cells patrolled within 30m$/)
})

t.test('a priority cell going stale opens a gap even when the ratio is fine', async (t) => {
  const market = offset(BASE, 200, 200)
  const marketCell = latLngToCell(market.lat, market.lon, 9)
  const e = engine(zone({ max_interval: '30m', min_ratio: 0, priority_cells: [{ lat: market.lat, lon: market.lon, name: 'Market', max_interval: '10m' }] }))
  feed(e, fix('O-003', T0 + 25 * MIN, market))
  t.same(ofKind(e.tick(T0 + 31 * MIN), 'coverage_gap'), [], 'visited 6 min ago')
  const o = ofKind(e.tick(T0 + 36 * MIN), 'coverage_gap')
  t.same(types(o), ['coverage_gap.opened'])
  const first = o[0]?.staleCells?.[0]
  t.match(first, { cell: marketCell, priority: true, name: 'Market', lastVisit: T0 + 25 * MIN })
  t.equal(o[0]?.staleCells?.filter((c) => c.cell === marketCell).length, 1, 'listed once, first')
  t.match(o[0]?.summary, /; 1 priority cell overdue$/)
  feed(e, fix('O-003', T0 + 37 * MIN, market), T0 + 37 * MIN)
  t.same(types(ofKind(e.tick(T0 + 37 * MIN), 'coverage_gap')), ['coverage_gap.resolved'])
})

t.test('many stale priority cells: the alert lists 50 of them', async (t) => {
  const cells = compileDeployment(config(standardRaw(zone({})))).zones[0]?.coverage.cells ?? []
  const e = engine(zone({ min_ratio: 0, priority_cells: cells.slice(0, 52).map((cell) => ({ cell })) }))
  const o = ofKind(e.tick(T0 + 30 * MIN), 'coverage_gap')
  t.equal(o[0]?.staleCells?.length, 50)
  t.ok(o[0]?.staleCells?.every((c) => c.priority === true))
})

t.test('a zone whose units all go silent: unit_silent each, coverage gap, response gap', async (t) => {
  // The units stand still; no stationary allowance, so each goes silent at its silent_after (the
  // 30 s cadence × 3 is below it): this test is about the floors, test/rules/silent-unit.test.ts about cadence.
  const e = engine({ ...zone({ max_interval: '10m', min_ratio: 0.5, response_radius_m: 1500 }), rules: { ...IMMEDIATE, liveness: { stationary_factor: 1 } } })
  // Coverage recovered from storage at start-up: every cell fresh.
  e.seedVisits(e.coverageSnapshot(T0).map((c) => ({ zoneId: 'grid-2', cell: c.cell, ts: T0 })))
  const evs: AlertEvent[] = []
  for (let s = 0; s <= 300; s += 30) {
    evs.push(...feed(e, fix('P-017', T0 + s * 1000, offset(BASE, 100, 0))))
    evs.push(...feed(e, fix('O-003', T0 + s * 1000, offset(BASE, -100, 0))))
    evs.push(...e.tick(T0 + s * 1000))
  }
  t.equal(e.zones(T0 + 300_000)[0]?.responseRatio, 1, 'two live units at the centre cover the zone')
  for (let s = 330; s <= 1200; s += 30) evs.push(...e.tick(T0 + s * 1000))
  const zoneUnits = evs.filter((x) => x.kind === 'unit_silent' && x.subject !== 'unit:P-020')
  t.same(zoneUnits.map((x) => [x.subject, x.at - T0]), [
    ['unit:O-003', 420_000],
    ['unit:P-017', 480_000],
  ], 'each unit silent after its own silent_after')
  const resp = ofKind(evs, 'response_gap')
  t.same(types(resp), ['response_gap.opened'])
  t.equal(resp[0]?.at, T0 + 480_000, 'when the last unit went silent')
  t.equal(resp[0]?.ratio, 0)
  t.equal(resp[0]?.radiusM, 1500)
  t.match(resp[0]?.summary, /^Grid 2: only 0% of the zone is within 1\.5 km of a live unit \(minimum 50%\)$/)
  const gap = ofKind(evs, 'coverage_gap')
  t.same(types(gap), ['coverage_gap.opened'])
  t.ok((gap[0]?.at as number) > T0 + 10 * MIN && (gap[0]?.at as number) <= T0 + 11 * MIN, 'after max_interval, when the seeded visits expire')
  t.equal(e.zones(T0 + 1_200_000)[0]?.openResponseGap, true)
  t.equal(e.zones(T0 + 1_200_000)[0]?.responseRatio, 0)
  // One unit comes back: response restored.
  const back = feed(e, fix('O-003', T0 + 1_210_000, BASE), T0 + 1_210_000)
  t.same(types(back), ['unit_silent.resolved'])
  const r = ofKind(e.tick(T0 + 1_215_000), 'response_gap')
  // The exported ratio survives a restart.
  const restored = RuleEngine.restore(compileDeployment(config(standardRaw({ rules: IMMEDIATE, ...zone({ max_interval: '10m', min_ratio: 0.5, response_radius_m: 1500 }) }))), e.snapshot(), { startedAt: T0 + 1_300_000 })
  t.equal(restored.zones(T0 + 1_300_000)[0]?.responseRatio, 1)
  t.same(types(r), ['response_gap.resolved'])
  t.match(r[0]?.summary, /^Grid 2: response coverage restored, 100% of the zone within 1\.5 km of a live unit$/)
})

t.test('no response gap before units had silent_after to report', async (t) => {
  const e = engine(zone({ response_radius_m: 500 }))
  t.same(ofKind(e.tick(T0 + 60_000), 'response_gap'), [])
  t.equal(e.zones(T0 + 60_000)[0]?.responseRatio, 0)
  t.same(types(ofKind(e.tick(T0 + 180_000), 'response_gap')), ['response_gap.opened'])
})

t.test('nearZone keeps only positions within the radius of the bounding box', async (t) => {
  const spec = compileDeployment(config(standardRaw(zone({})))).zones[0]
  const ps = [BASE, offset(BASE, 1400, 0), offset(BASE, 0, -1600), offset(BASE, 3000, 0), offset(BASE, -1000, 3000)]
  t.same(nearZone(spec!, 500, ps), ps.slice(0, 2))
})

t.test('a fix without an ingest cell is indexed on the spot; coarser zones use the parent cell', async (t) => {
  const e = engine({
    zones: [
      { id: 'grid-2', geometry: square(BASE, 1000) },
      { id: 'coarse', geometry: square(BASE, 3000), coverage: { resolution: 7, credit: 'any' } },
      { id: 'fine', geometry: square(BASE, 300), coverage: { resolution: 10, credit: 'any' } },
    ],
  })
  feed(e, fix('O-003', T0, BASE, { h3: '' }))
  feed(e, fix('P-020', T0, offset(BASE, 200, 200)))
  const v = visited(e)
  t.same(v.filter((c) => c.zoneId === 'grid-2').map((c) => c.cell), [latLngToCell(BASE.lat, BASE.lon, 9)])
  t.same(v.filter((c) => c.zoneId === 'coarse').map((c) => c.cell), [latLngToCell(BASE.lat, BASE.lon, 7)])
  t.equal(v.filter((c) => c.zoneId === 'fine').length, 2)
})

// On realistic GPS (test/helpers/gap-scenarios.ts): one car sweeps the 2 km zone lane by lane, a
// lap every ~22 min (max_interval 30 min), with σ 25–40 m noise, drift, 2 % multipath outliers
// (each credits the H3 path to a wrong point), lost locks and short dropouts, over hours of fix time.
const SEEDS = [1, 2, 3]
const noisy = (seed: number) => ({ sigmaM: 25 + 5 * seed, multipathRate: 0.02 })
/** Stated bound: noise delays a coverage_gap at most this long past the noise-free reference. */
export const COVERAGE_DETECTION_BOUND_MS = 5 * MIN

t.test('a patrol sweeping its zone on noisy GPS for a shift raises no coverage_gap', async (t) => {
  for (const seed of SEEDS) {
    const r = coverageScenario({ seed, durationS: 8 * 3600, failS: null, noise: noisy(seed) })
    t.same(r.clean.opened, [], `seed ${seed}: the clean reference never opens`)
    t.same(r.noisy.opened, [], `seed ${seed}: no false opening in 8 h`)
  }
})

t.test('the patrol parks in the zone: coverage_gap opens once, at most the bound after the clean reference', async (t) => {
  const failS = 3 * 3600
  for (const seed of SEEDS) {
    const r = coverageScenario({ seed, durationS: failS + 2 * 3600, failS, noise: noisy(seed) })
    t.equal(r.clean.opened.length, 1)
    t.equal(r.noisy.opened.length, 1, `seed ${seed}: opened once`)
    const late = (r.noisy.opened[0] as number) - (r.clean.opened[0] as number)
    t.ok(late >= -MIN && late <= COVERAGE_DETECTION_BOUND_MS, `seed ${seed}: ${late / 1000} s after the clean reference`)
    t.ok((r.clean.opened[0] as number) - GAP_T0 - failS * 1000 <= 30 * MIN + 2 * MIN + 5 * MIN, 'the reference opens within max_interval + dwell + the drive of the stop')
  }
})
