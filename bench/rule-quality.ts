// Rule quality on the GPS realism kit (test/helpers/gps-realism.ts), default rule settings:
// false transitions per unit-day for units parked on a boundary (post radius, zone edge) within
// ±2σ, and detection delay of real excursions (from the truth crossing radius + 2σ to `opened`).
//   npx tsx bench/rule-quality.ts [units=20] [excursions=40]
import { validateConfig } from '../src/config/load.js'
import { compileDeployment } from '../src/rules/deployment.js'
import { RuleEngine } from '../src/rules/engine.js'
import { drive, generateTrack, offsetM, parked, waypoints } from '../test/helpers/gps-realism.js'
import { rng } from '../test/helpers/workload.js'
import { median, quantile, table } from './lib/measure.js'

const UNITS = Number(process.argv[2] ?? 20)
const EXCURSIONS = Number(process.argv[3] ?? 40)
const BASE = { lat: 36.49, lon: 117.86 }
const T0 = Date.UTC(2025, 2, 1, 0, 0, 0)
const DAY_S = 86_400

function square(c: { lat: number; lon: number }, half: number) {
  const sw = offsetM(c, -half, -half)
  const ne = offsetM(c, half, half)
  return { type: 'Polygon', coordinates: [[[sw.lon, sw.lat], [ne.lon, sw.lat], [ne.lon, ne.lat], [sw.lon, ne.lat], [sw.lon, sw.lat]]] }
}

const raw = {
  units: [{ id: 'R', kind: 'vehicle', post: 'p' }, { id: 'Z', kind: 'vehicle', zone: 'z' }],
  posts: [{ id: 'p', lat: BASE.lat, lon: BASE.lon, radius_m: 1500 }],
  zones: [{ id: 'z', geometry: square(BASE, 1000), coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.8 } }],
}
const dep = compileDeployment(validateConfig(raw))
const rand = rng(99)
const transitions = (evs: Array<{ kind: string }>, kind: string) => evs.filter((e) => e.kind === kind).length

let radiusFalse = 0
let zoneFalse = 0
for (let i = 0; i < UNITS; i++) {
  const sigma = 25 + 15 * rand()
  const k = -2 + 4 * rand()
  for (const [unit, p] of [['R', offsetM(BASE, 1500 + k * sigma, 0)], ['Z', offsetM(BASE, 1000 + k * sigma, 0)]] as const) {
    const e = new RuleEngine(dep, { startedAt: T0 })
    const fixes = generateTrack({ seed: 1000 + i, unitId: unit, start: T0, durationS: DAY_S, periodS: 10, truth: parked(p), noise: { sigmaM: sigma }, dropouts: [[30_000, 30_600]] })
    const evs = drive(e, fixes, { start: T0, until: T0 + DAY_S * 1000 })
    if (unit === 'R') radiusFalse += transitions(evs, 'radius_breach')
    else zoneFalse += transitions(evs, 'zone_exit')
  }
}

const delays: number[] = []
let missed = 0
for (let i = 0; i < EXCURSIONS; i++) {
  const beyond = 300 + 1200 * rand()
  const stayS = 90 + 1500 * rand()
  const periodS = 5 + Math.floor(10 * rand())
  const driveS = Math.ceil((700 + beyond) / 15)
  const outS = 600 + driveS
  const endS = outS + stayS + driveS + 900
  const truth = waypoints([[0, offsetM(BASE, 800, 0)], [600, offsetM(BASE, 800, 0)], [outS, offsetM(BASE, 1500 + beyond, 0)], [outS + stayS, offsetM(BASE, 1500 + beyond, 0)], [outS + stayS + driveS, offsetM(BASE, 800, 0)]])
  const e = new RuleEngine(dep, { startedAt: T0 })
  const evs = drive(e, generateTrack({ seed: 5000 + i, unitId: 'R', start: T0, durationS: endS, periodS, truth, noise: { sigmaM: 30, multipathRate: 0.02 } }), { start: T0, until: T0 + endS * 1000 })
  const o = evs.find((x) => x.kind === 'radius_breach' && x.state === 'opened')
  const crossS = 600 + (760 / (700 + beyond)) * driveS
  if (o === undefined) missed++
  else delays.push((o.at - (T0 + crossS * 1000)) / 1000)
}

console.log(table(`False transitions per unit-day, ${UNITS} units parked within ±2σ of the boundary for 24 h (σ 25–40 m, drift, 1 % multipath, dropouts)`, ['rule', 'unit-days', 'false transitions', 'per unit-day'], [
  ['radius_breach', UNITS, radiusFalse, radiusFalse / UNITS],
  ['zone_exit', UNITS, zoneFalse, zoneFalse / UNITS],
]))
console.log(table(`Detection delay of ${EXCURSIONS} real excursions (300–1500 m beyond the radius, 90–1590 s; dwell 60 s), seconds after crossing radius + 2σ`, ['rule', 'detected', 'missed', 'median s', 'p95 s', 'max s'], [
  ['radius_breach', delays.length, missed, median(delays), quantile(delays, 0.95), Math.max(...delays)],
]))
