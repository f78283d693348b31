// Every unit rule on realistic GPS (test/helpers/gps-realism.ts), with invariants over hours of
// fix time: a unit parked near a boundary opens at most one alert per shift; every real excursion
// longer than dwell is detected within dwell + DETECTION_BOUND_MS. fast-check picks seeds,
// positions and noise levels; run counts are kept small so the file stays well under 30 s.
import t from 'tap'
import fc from 'fast-check'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { drive, generateTrack, offsetM, parked, waypoints } from '../helpers/gps-realism.js'
import { BASE, T0, config, standardRaw } from './helpers.js'

const HOUR = 3_600_000
const SHIFT_S = 8 * 3600
/** Stated bound: an excursion is confirmed at most this long after dwell has passed outside. */
export const DETECTION_BOUND_MS = 30_000

const dep = () => compileDeployment(config(standardRaw({ rules: {} })))
const opened = (evs: Array<{ kind: string; state: string }>, kind: string) => evs.filter((e) => e.kind === kind && e.state === 'opened').length

t.test('a car parked for a whole shift within 2σ of its post radius opens at most one radius_breach', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1e6 }), fc.double({ min: -2, max: 2, noNaN: true }), fc.integer({ min: 25, max: 40 }), (seed, k, sigma) => {
      const e = new RuleEngine(dep(), { startedAt: T0 })
      const p = offsetM(BASE, 1500 + k * sigma, 0)
      const fixes = generateTrack({ seed, unitId: 'P-020', start: T0, durationS: SHIFT_S, periodS: 10, truth: parked(p), noise: { sigmaM: sigma }, dropouts: [[3600, 3900]] })
      const evs = drive(e, fixes, { start: T0, until: T0 + SHIFT_S * 1000 })
      return opened(evs, 'radius_breach') <= 1
    }),
    { numRuns: 12, seed: 10 },
  )
})

t.test('a car parked for a whole shift on its zone boundary road opens at most one zone_exit', async (t) => {
  // P-017's zone grid-2 is a 2 km square around BASE: its northern edge is 1000 m north.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1e6 }), fc.double({ min: -2, max: 2, noNaN: true }), (seed, k) => {
      const e = new RuleEngine(dep(), { startedAt: T0 })
      const p = offsetM(BASE, 1000 + k * 30, 0)
      const fixes = generateTrack({ seed, unitId: 'P-017', start: T0, durationS: SHIFT_S, periodS: 10, truth: parked(p), noise: { sigmaM: 30 } })
      return opened(drive(e, fixes, { start: T0, until: T0 + SHIFT_S * 1000 }), 'zone_exit') <= 1
    }),
    { numRuns: 8, seed: 11 },
  )
})

t.test('every real excursion longer than dwell is detected within dwell + the stated bound, and resolved', async (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1e6 }),
      fc.integer({ min: 300, max: 1500 }), // how far beyond the radius the car goes
      fc.integer({ min: 90, max: 1800 }), // seconds outside (> dwell 60 s)
      fc.integer({ min: 5, max: 15 }), // report period
      (seed, beyond, stayS, periodS) => {
        const e = new RuleEngine(dep(), { startedAt: T0 })
        const inside = offsetM(BASE, 800, 0)
        const outside = offsetM(BASE, 1500 + beyond, 0)
        // 10 min at 800 m, drive out at ~15 m/s, stay, drive back, 20 min inside.
        const outS = 600 + Math.ceil((700 + beyond) / 15)
        const backS = outS + stayS
        const endS = backS + Math.ceil((700 + beyond) / 15) + 1200
        const truth = waypoints([[0, inside], [600, inside], [outS, outside], [backS, outside], [backS + Math.ceil((700 + beyond) / 15), inside]])
        const fixes = generateTrack({ seed, unitId: 'P-020', start: T0, durationS: endS, periodS, truth, noise: { sigmaM: 30, multipathRate: 0.02 } })
        const evs = drive(e, fixes, { start: T0, until: T0 + endS * 1000 }).filter((x) => x.kind === 'radius_breach')
        // Truth crosses radius + 2σ margin (1560 m) this long after leaving.
        const crossS = 600 + (760 / (700 + beyond)) * (outS - 600)
        const o = evs.find((x) => x.state === 'opened')
        if (o === undefined || evs.filter((x) => x.state === 'opened').length !== 1) return false
        if (o.at - (T0 + crossS * 1000) > 60_000 + DETECTION_BOUND_MS) return false
        return evs.some((x) => x.state === 'resolved')
      },
    ),
    { numRuns: 25, seed: 12 },
  )
})

t.test('an officer who boards a car is followed, breaches, and is never silent (observation 3)', async (t) => {
  const raw = standardRaw({ units: [{ id: 'O-003', kind: 'officer', post: 'station-03' }], rules: { max_speed_kmh: { officer: 40, vehicle: 250 } } })
  const e = new RuleEngine(compileDeployment(config(raw)), { startedAt: T0 })
  const far = offsetM(BASE, 10_000, 0)
  // On foot at the post for 10 min, then driven 10 km north at 60 km/h (600 s), then stays.
  const truth = waypoints([[0, BASE], [600, BASE], [1200, far]])
  const fixes = generateTrack({ seed: 7, unitId: 'O-003', start: T0, durationS: 3600, periodS: 5, truth, noise: { sigmaM: 10, multipathRate: 0, lostLockRate: 0 } })
  const evs = drive(e, fixes, { start: T0, until: T0 + HOUR })
  t.equal(opened(evs, 'unit_silent'), 0, 'reporting every 5 s: never silent (the only configured unit)')
  t.equal(opened(evs, 'radius_breach'), 1, 'the breach is raised')
  const v = e.unit('O-003', T0 + HOUR)
  t.ok((v?.distanceFromPostM as number) > 9000, `live position follows the car (${Math.round(v?.distanceFromPostM as number)} m)`)
  t.equal(e.nearest(far.lat, far.lon, { k: 1 }, T0 + HOUR)[0]?.id, 'O-003', 'found by nearest-unit search')
})

t.test('a device clock 10 min behind (or ahead) is neither silent nor frozen; its offset is estimated (observation 5)', async (t) => {
  for (const offset of [-600_000, 600_000]) {
    const e = new RuleEngine(dep(), { startedAt: T0 })
    const fixes = generateTrack({ seed: 3, unitId: 'P-020', start: T0, durationS: 3600, periodS: 10, truth: parked(offsetM(BASE, 200, 0)), clockOffsetMs: offset, noise: { multipathRate: 0, lostLockRate: 0 } })
    const evs = drive(e, fixes, { start: T0, until: T0 + HOUR })
    t.equal(opened(evs.filter((x) => x.subject === 'unit:P-020'), 'unit_silent'), 0, `offset ${offset / 60_000} min: not silent`)
    const v = e.unit('P-020', T0 + HOUR)
    t.ok(Math.abs((v?.clockOffsetMs as number) - offset) < 2000, `clock offset estimated: ${v?.clockOffsetMs}`)
    t.ok((v?.lastFix?.ts as number) > T0 + HOUR - 60_000 + offset, 'live position keeps up')
  }
})

t.test('a parked phone on network location earns no coverage (observation 6)', async (t) => {
  const e = new RuleEngine(dep(), { startedAt: T0 })
  const fixes = generateTrack({ seed: 5, unitId: 'P-017', start: T0, durationS: 3600, periodS: 10, truth: parked(BASE), noise: { sigmaM: 500, driftSigmaM: 0, multipathRate: 0, lostLockRate: 0 } })
  for (const f of fixes) f.fix.accuracy = 800
  drive(e, fixes, { start: T0, until: T0 + HOUR })
  t.equal(e.zones(T0 + HOUR)[0]?.ratio, 0, 'accuracy 800 m > coverage_max_accuracy_m: no cell credited')
})
