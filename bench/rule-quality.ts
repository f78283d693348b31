// Rule quality on the GPS realism kit (test/helpers/gps-realism.ts), default rule settings, per
// rule: FALSE OPENINGS per unit-day (or zone-day) over days of fix time where nothing happened,
// and, apart, DETECTION DELAY of real events (p50/p90/max, and how many were missed):
// - radius_breach / zone_exit: units parked within ±2σ of the boundary for 24 h (σ 25–40 m, drift,
//   1 % multipath, lost locks), false = opened while the truth is inside; real excursions 300–1500 m beyond it, delay from the truth crossing
//   boundary + 2σ (60 m) to `opened` (dwell 60 s included);
// - coverage_gap: one car sweeping a 2 km zone (a lap every ~22 min, max_interval 30 min) for 24 h;
//   real gap: the car parks in the zone; delay from the truth ratio falling below min_ratio (the
//   noise-free reference's opening − dwell) to the noisy run's `opened` (dwell 120 s included);
// - response_gap: four cars parked at the quadrant centres (truth ratio 0.93) for 24 h; real gap: two
//   of them leave (truth 0.44); delay measured the same way;
// - unit_silent: a unit reporting every 10 s for 24 h with 1–3 dropouts of 30–150 s (tunnels); real
//   silence: the unit goes dark; delay from its last arrival (silent_after 180 s included).
// The scenarios (and their thresholds) are the ones the rule tests assert on (test/rules/).
//   npx tsx bench/rule-quality.ts [unit-days=20] [excursions=40] [zone-days=4] [gap events=10]
import { validateConfig } from '../src/config/load.js'
import { compileDeployment } from '../src/rules/deployment.js'
import { RuleEngine } from '../src/rules/engine.js'
import type { AlertEvent } from '../src/rules/alert-event.js'
import { drive, generateTrack, offsetM, parked, waypoints, type RealFix } from '../test/helpers/gps-realism.js'
import { coverageScenario, responseScenario, type ScenarioResult } from '../test/helpers/gap-scenarios.js'
import { rng } from '../test/helpers/workload.js'
import { quantile, table } from './lib/measure.js'

const UNIT_DAYS = Number(process.argv[2] ?? 20)
const EXCURSIONS = Number(process.argv[3] ?? 40)
const ZONE_DAYS = Number(process.argv[4] ?? 4)
const GAP_EVENTS = Number(process.argv[5] ?? 10)
const BASE = { lat: 36.49, lon: 117.86 }
const T0 = Date.UTC(2025, 2, 1, 0, 0, 0)
const DAY_S = 86_400
const HOUR_S = 3600
/** Default dwell of coverage_gap and response_gap (s). */
const GAP_DWELL_S = 120
/** Truth margin beyond a boundary that counts as "really out": 2σ of the median noise. */
const MARGIN_M = 60

function square(c: { lat: number; lon: number }, half: number) {
  const sw = offsetM(c, -half, -half)
  const ne = offsetM(c, half, half)
  return { type: 'Polygon', coordinates: [[[sw.lon, sw.lat], [ne.lon, sw.lat], [ne.lon, ne.lat], [sw.lon, ne.lat], [sw.lon, sw.lat]]] }
}

const dep = compileDeployment(validateConfig({
  units: [{ id: 'R', kind: 'vehicle', post: 'p' }, { id: 'Z', kind: 'vehicle', zone: 'z' }],
  posts: [{ id: 'p', lat: BASE.lat, lon: BASE.lon, radius_m: 1500 }],
  zones: [{ id: 'z', geometry: square(BASE, 1000), coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.8 } }],
}))
const rand = rng(99)
const openings = (evs: AlertEvent[], kind: string, unit?: string) => evs.filter((e) => e.kind === kind && e.state === 'opened' && (unit === undefined || e.unitId === unit))
const run = (fixes: RealFix[], untilS: number) => drive<AlertEvent>(new RuleEngine(dep, { startedAt: T0 }), fixes, { start: T0, until: T0 + untilS * 1000 })
/** 1–3 short dropouts (30–150 s) in a day: below silent_after, so no real silence. */
const shortDropouts = (): Array<[number, number]> => Array.from({ length: 1 + Math.floor(3 * rand()) }, () => {
  const from = Math.floor(rand() * (DAY_S - 200))
  return [from, from + 30 + Math.floor(120 * rand())]
})

interface Quality { rule: string; per: string; days: number; falseOpenings: number; delays: number[]; events: number; from: string }
const results: Quality[] = []

// radius_breach, zone_exit (and unit_silent's false openings on the zone runs, whose dropouts are
// short). A unit parked at k σ from the boundary, k in ±2: an opening is FALSE when the truth is
// inside (k < 0); one with the truth just outside (k > 0) is not false, and is reported apart.
let radiusFalse = 0
let zoneFalse = 0
let insideDays = 0
let radiusOutside = 0
let zoneOutside = 0
let silentFalse = 0
for (let i = 0; i < UNIT_DAYS; i++) {
  const sigma = 25 + 15 * rand()
  const k = -2 + 4 * rand()
  const r = generateTrack({ seed: 1000 + i, unitId: 'R', start: T0, durationS: DAY_S, periodS: 10, truth: parked(offsetM(BASE, 1500 + k * sigma, 0)), noise: { sigmaM: sigma }, dropouts: [[30_000, 30_600]] })
  const rn = openings(run(r, DAY_S), 'radius_breach').length
  const z = generateTrack({ seed: 2000 + i, unitId: 'Z', start: T0, durationS: DAY_S, periodS: 10, truth: parked(offsetM(BASE, 1000 + k * sigma, 0)), noise: { sigmaM: sigma }, dropouts: shortDropouts() })
  const evs = run(z, DAY_S)
  const zn = openings(evs, 'zone_exit').length
  if (k < 0) {
    insideDays++
    radiusFalse += rn
    zoneFalse += zn
  } else {
    radiusOutside += rn
    zoneOutside += zn
  }
  silentFalse += openings(evs, 'unit_silent', 'Z').length
}

/** A drive from boundary − 700 m to boundary + beyond and back; delay from the truth crossing boundary + MARGIN_M. */
function excursions(unit: 'R' | 'Z', boundaryM: number, kind: 'radius_breach' | 'zone_exit', seed0: number): { delays: number[]; missed: number } {
  const delays: number[] = []
  let missed = 0
  for (let i = 0; i < EXCURSIONS; i++) {
    const beyond = 300 + 1200 * rand()
    const stayS = 90 + 1500 * rand()
    const periodS = 5 + Math.floor(10 * rand())
    const driveS = Math.ceil((700 + beyond) / 15)
    const outS = 600 + driveS
    const endS = outS + stayS + driveS + 900
    const inside = offsetM(BASE, boundaryM - 700, 0)
    const truth = waypoints([[0, inside], [600, inside], [outS, offsetM(BASE, boundaryM + beyond, 0)], [outS + stayS, offsetM(BASE, boundaryM + beyond, 0)], [outS + stayS + driveS, inside]])
    const evs = run(generateTrack({ seed: seed0 + i, unitId: unit, start: T0, durationS: endS, periodS, truth, noise: { sigmaM: 30, multipathRate: 0.02 } }), endS)
    const o = openings(evs, kind)[0]
    const crossS = 600 + ((700 + MARGIN_M) / (700 + beyond)) * driveS
    if (o === undefined) missed++
    else delays.push((o.at - (T0 + crossS * 1000)) / 1000)
  }
  return { delays, missed }
}
const from = `truth ${MARGIN_M} m beyond the boundary`
const rx = excursions('R', 1500, 'radius_breach', 5000)
results.push({ rule: 'radius_breach', per: 'unit', days: insideDays, falseOpenings: radiusFalse, delays: rx.delays, events: EXCURSIONS, from })
const zx = excursions('Z', 1000, 'zone_exit', 6000)
results.push({ rule: 'zone_exit', per: 'unit', days: insideDays, falseOpenings: zoneFalse, delays: zx.delays, events: EXCURSIONS, from })

// coverage_gap, response_gap: zone-days without a gap, then real gaps at a random hour.
for (const [rule, scenario] of [['coverage_gap', coverageScenario], ['response_gap', responseScenario]] as const) {
  let falseOpenings = 0
  for (let i = 0; i < ZONE_DAYS; i++) falseOpenings += scenario({ seed: 100 + i, durationS: DAY_S, failS: null, noise: { sigmaM: 25 + 15 * rand(), multipathRate: 0.02 } }).noisy.opened.length
  const delays: number[] = []
  for (let i = 0; i < GAP_EVENTS; i++) {
    const failS = Math.round((2 + 2 * rand()) * HOUR_S)
    const r: ScenarioResult = scenario({ seed: 200 + i, durationS: failS + 2 * HOUR_S, failS, noise: { sigmaM: 25 + 15 * rand(), multipathRate: 0.02 } })
    const onset = r.clean.opened[0]
    const o = r.noisy.opened[0]
    if (onset !== undefined && o !== undefined) delays.push((o - (onset - GAP_DWELL_S * 1000)) / 1000)
  }
  results.push({ rule, per: 'zone', days: ZONE_DAYS, falseOpenings, delays, events: GAP_EVENTS, from: 'truth ratio below min_ratio (clean reference − dwell)' })
}

// unit_silent: the unit goes dark at a random time; delay from its last arrival.
const silentDelays: number[] = []
for (let i = 0; i < EXCURSIONS; i++) {
  const darkS = Math.round((0.5 + rand()) * HOUR_S)
  const fixes = generateTrack({ seed: 7000 + i, unitId: 'Z', start: T0, durationS: darkS, periodS: 5 + Math.floor(10 * rand()), truth: parked(offsetM(BASE, 200, 0)), noise: { sigmaM: 30 } })
  const last = Math.max(...fixes.map((f) => f.fix.receivedAt))
  const o = openings(run(fixes, darkS + HOUR_S), 'unit_silent', 'Z').find((e) => e.at > last)
  if (o !== undefined) silentDelays.push((o.at - last) / 1000)
}
results.push({ rule: 'unit_silent', per: 'unit', days: UNIT_DAYS, falseOpenings: silentFalse, delays: silentDelays, events: EXCURSIONS, from: 'last arrival (silent_after 180 s)' })

console.log(table(`Rule quality on the realism kit, default settings (dwell: radius/zone 60 s, gaps 120 s; silent_after 180 s; tick 5 s)`,
  ['rule', 'days without events', 'false openings', 'per unit/zone-day', 'real events', 'detected', 'missed', 'delay p50 s', 'p90 s', 'max s', 'delay measured from'],
  results.map((q) => [q.rule, `${q.days} ${q.per}-days`, q.falseOpenings, q.falseOpenings / q.days, q.events, q.delays.length, q.events - q.delays.length, quantile(q.delays, 0.5), quantile(q.delays, 0.9), q.delays.length === 0 ? Number.NaN : Math.max(...q.delays), q.from])))
console.log(`\nradius_breach / zone_exit days: ${insideDays} of ${UNIT_DAYS} units parked 0–2σ INSIDE the boundary (their openings are the false ones above); the ${UNIT_DAYS - insideDays} parked 0–2σ outside opened ${radiusOutside} radius_breach and ${zoneOutside} zone_exit (not false: the truth is out, within the noise).`)
