// The report track filter on the realism kit: false distance and false trips of parked phones per
// phone-day, and the error of walked and driven distances, over many seeds; and the filter's cost
// per unit-day. Usage: npx tsx bench/track-filter.ts [days per case = 50]
import { validateConfig } from '../src/config/load.js'
import { haversineM } from '../src/geo/distance.js'
import { compileDeployment } from '../src/rules/deployment.js'
import { analyseTrack, type Bucket } from '../src/reports/track.js'
import { generateTrack, offsetM, parked, waypoints, type LatLon, type Noise } from '../test/helpers/gps-realism.js'
import { bucketsOf } from '../test/helpers/report-buckets.js'
import { median, quantile, table } from './lib/measure.js'

const days = Number(process.argv[2] ?? 50)
const START = Date.UTC(2026, 10, 30)
const HOME = { lat: 36.49, lon: 117.86 }
const config = validateConfig({})
const dep = compileDeployment(config)
const costs: number[] = []

function analyse(buckets: Bucket[], durationS: number) {
  const t0 = performance.now()
  const r = analyseTrack(buckets, {
    from: START, to: START + durationS * 1000, silentAfterMs: config.rules.silent_after, liveness: dep.livenessOf('officer'),
    stopRadiusM: config.reports.stop_radius_m, stopMinMs: config.reports.stop_min_duration, noiseM: config.reports.noise_m, post: null, zone: null,
  })
  costs.push((performance.now() - t0) / (buckets.length / 1440))
  return r
}

function run(truth: (tS: number) => LatLon, durationS: number, periodS: number, noise: Partial<Noise>, seed: number) {
  const fixes = generateTrack({ seed, unitId: 'U', start: START, durationS, periodS, truth, noise }).map((r) => r.fix)
  return analyse(bucketsOf(fixes, config.reports.max_accuracy_m), durationS)
}

const rows: Array<Array<string | number>> = []
for (const [sigmaM, periodS] of [[10, 60], [20, 60], [30, 60], [20, 10], [20, 300]] as const) {
  let trips = 0
  const km: number[] = []
  for (let d = 1; d <= days; d++) {
    const r = run(parked(HOME), 12 * 3600, periodS, { sigmaM }, d * 7919 + sigmaM + periodS)
    trips += r.trips.length
    km.push(r.distanceKm)
  }
  rows.push([`parked 12 h, σ ${sigmaM} m, a fix every ${periodS} s`, days, (trips / days).toFixed(3), median(km).toFixed(3), quantile(km, 0.95).toFixed(3), Math.max(...km).toFixed(3)])
}

const pathKm = (pts: LatLon[]) => pts.slice(1).reduce((d, p, i) => d + haversineM((pts[i] as LatLon).lat, (pts[i] as LatLon).lon, p.lat, p.lon), 0) / 1000
function route(legs: LatLon[], speed: number, pauseS: (i: number) => number): Array<[number, LatLon]> {
  const wp: Array<[number, LatLon]> = [[0, legs[0] as LatLon], [600, legs[0] as LatLon]]
  let tS = 600
  for (let i = 1; i < legs.length; i++) {
    const a = legs[i - 1] as LatLon
    const b = legs[i] as LatLon
    tS += haversineM(a.lat, a.lon, b.lat, b.lon) / speed
    wp.push([tS, b])
    if (i < legs.length - 1 && pauseS(i) > 0) wp.push([(tS += pauseS(i)), b])
  }
  wp.push([tS + 600, legs[legs.length - 1] as LatLon])
  return wp
}
const beat: LatLon[] = []
for (let lap = 0; lap < 4; lap++) beat.push(HOME, offsetM(HOME, 500, 0), offsetM(HOME, 500, 500), offsetM(HOME, 0, 500))
beat.push(HOME)
const drive: LatLon[] = [HOME]
for (let i = 1; i <= 21; i++) drive.push(offsetM(drive[i - 1] as LatLon, i % 2 === 0 ? 1000 : 0, i % 2 === 1 ? 1000 : 0))
const moving: Array<[string, LatLon[], number, (i: number) => number, number, Partial<Noise>]> = [
  ['8.0 km beat walked, a fix every 10 s, σ 8 m', beat, 1.4, () => 0, 10, { sigmaM: 8, driftSigmaM: 5, multipathRate: 0.005 }],
  ['8.0 km beat walked, a fix every 60 s, σ 15 m', beat, 1.4, () => 0, 60, { sigmaM: 15, driftSigmaM: 8, multipathRate: 0.01 }],
  ['21 km drive, 20 red lights, a fix every 5 s, σ 6 m', drive, 12, (i) => 30 + ((i * 37) % 61), 5, { sigmaM: 6, driftSigmaM: 5, multipathRate: 0.005 }],
  ['21 km drive, 20 red lights, a fix every 60 s, σ 15 m', drive, 12, (i) => 30 + ((i * 37) % 61), 60, { sigmaM: 15, driftSigmaM: 8, multipathRate: 0.01 }],
]
const mrows: Array<Array<string | number>> = []
for (const [name, legs, speed, pause, periodS, noise] of moving) {
  const truth = pathKm(legs)
  const wp = route(legs, speed, pause)
  const errs: number[] = []
  const trips: number[] = []
  for (let d = 1; d <= days; d++) {
    const r = run(waypoints(wp), Math.ceil((wp[wp.length - 1] as [number, LatLon])[0]), periodS, noise, d * 104729 + periodS)
    errs.push((r.distanceKm - truth) / truth * 100)
    trips.push(r.trips.length)
  }
  mrows.push([name, days, median(errs).toFixed(1), quantile(errs, 0.05).toFixed(1), quantile(errs, 0.95).toFixed(1), `${trips.filter((x) => x === 1).length}/${days}`])
}
console.log(table('Parked phones (truth: 0 km, 0 trips)', ['case', 'phone-days', 'trips/phone-day', 'km median', 'km p95', 'km max'], rows))
console.log(table('Moving units (distance error, %)', ['case', 'runs', 'median', 'p5', 'p95', 'one trip'], mrows))
console.log(`filter cost: median ${median(costs).toFixed(2)} ms per unit-day of buckets (${costs.length} tracks)`)
