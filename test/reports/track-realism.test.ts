// The track filter on the realism kit (test/helpers/gps-realism.ts): hours of fix time with
// Gaussian error, urban drift, multipath outliers, lost lock and unknown accuracy, bucketed per
// minute exactly as store/clickhouse/report-queries.ts does, through analyseTrack with the default settings.
// Targets: a parked phone adds ≤ 0.3 km and no trip in 12 h at σ 10/20/30 m; a walked beat and a
// driven route within ±5 %; a car stopping at 20 traffic lights makes one trip.
import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { haversineM } from '../../src/geo/distance.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { analyseTrack, type TrackParams } from '../../src/reports/track.js'
import { bucketsOf } from '../helpers/report-buckets.js'
import { generateTrack, offsetM, parked, waypoints, type LatLon, type Noise } from '../helpers/gps-realism.js'

const H = 3_600_000
const START = Date.UTC(2026, 10, 30, 0, 0, 0)
const HOME = { lat: 36.49, lon: 117.86 }
const config = validateConfig({})
const dep = compileDeployment(config)

function params(durationMs: number): TrackParams {
  return {
    from: START,
    to: START + durationMs,
    silentAfterMs: config.rules.silent_after,
    liveness: dep.livenessOf('officer'),
    stopRadiusM: config.reports.stop_radius_m,
    stopMinMs: config.reports.stop_min_duration,
    noiseM: config.reports.noise_m,
    post: null,
    zone: null,
  }
}

function run(truth: (tS: number) => LatLon, durationS: number, periodS: number, noise: Partial<Noise>, seed: number) {
  const fixes = generateTrack({ seed, unitId: 'U', start: START, durationS, periodS, truth, noise }).map((r) => r.fix)
  return analyseTrack(bucketsOf(fixes, config.reports.max_accuracy_m), params(durationS * 1000))
}

const pathKm = (pts: LatLon[]) => pts.slice(1).reduce((d, p, i) => d + haversineM((pts[i] as LatLon).lat, (pts[i] as LatLon).lon, p.lat, p.lon), 0) / 1000

t.test('a phone parked for 12 h, one fix a minute: ≤ 0.3 km and no trip at σ 10, 20 and 30 m', async (t) => {
  const worst: string[] = []
  for (const sigmaM of [10, 20, 30]) {
    let maxKm = 0
    let trips = 0
    for (let seed = 1; seed <= 8; seed++) {
      const r = run(parked(HOME), 12 * 3600, 60, { sigmaM }, seed * 100 + sigmaM)
      maxKm = Math.max(maxKm, r.distanceKm)
      trips += r.trips.length
      t.equal(r.silent.count, 0, `σ ${sigmaM} m seed ${seed}: never silent`)
      t.ok(r.stationaryMs >= 11.9 * H, `σ ${sigmaM} m seed ${seed}: stationary all day (${(r.stationaryMs / H).toFixed(2)} h)`)
    }
    t.ok(maxKm <= 0.3, `σ ${sigmaM} m: at most ${maxKm} km over 8 phone-days`)
    t.equal(trips, 0, `σ ${sigmaM} m: no trip in 8 phone-days`)
    worst.push(`σ ${sigmaM}: ${maxKm} km`)
  }
  t.comment(`worst distance of a parked phone in 12 h: ${worst.join(', ')}`)
})

t.test('a phone at Traccar Client\'s default 300 s, parked for 12 h: no trip, no silence', async (t) => {
  for (let seed = 1; seed <= 4; seed++) {
    const r = run(parked(HOME), 12 * 3600, 300, { sigmaM: 20 }, seed)
    t.ok(r.distanceKm <= 0.3, `${r.distanceKm} km`)
    t.equal(r.trips.length, 0)
    t.equal(r.silent.count, 0, 'its cadence is 300 s: a 300 s gap is no silence')
  }
})

t.test('an officer walking an 8.0 km beat (a fix every 10 s, σ 8 m): within ±5 %', async (t) => {
  // Four laps of a 2 km square at 1.4 m/s.
  const corners = [HOME, offsetM(HOME, 500, 0), offsetM(HOME, 500, 500), offsetM(HOME, 0, 500)]
  const legs: LatLon[] = []
  for (let lap = 0; lap < 4; lap++) legs.push(...corners)
  legs.push(HOME)
  const km = pathKm(legs)
  let tS = 0
  const wp: Array<[number, LatLon]> = [[0, legs[0] as LatLon]]
  for (let i = 1; i < legs.length; i++) {
    tS += haversineM((legs[i - 1] as LatLon).lat, (legs[i - 1] as LatLon).lon, (legs[i] as LatLon).lat, (legs[i] as LatLon).lon) / 1.4
    wp.push([tS, legs[i] as LatLon])
  }
  for (let seed = 1; seed <= 5; seed++) {
    const r = run(waypoints(wp), Math.ceil(tS), 10, { sigmaM: 8, driftSigmaM: 5, multipathRate: 0.005 }, seed)
    const err = (r.distanceKm - km) / km
    t.ok(Math.abs(err) <= 0.05, `seed ${seed}: ${r.distanceKm} km for ${km.toFixed(2)} km walked (${(err * 100).toFixed(1)} %)`)
    t.equal(r.trips.length, 1, 'one walk')
  }
})

t.test('a car parked 10 min, driving 21 km with 20 traffic lights (30–90 s), parked 10 min: one trip within ±5 %', async (t) => {
  const legs: LatLon[] = [HOME]
  for (let i = 1; i <= 21; i++) legs.push(offsetM(legs[i - 1] as LatLon, i % 2 === 0 ? 1000 : 0, i % 2 === 1 ? 1000 : 0))
  const km = pathKm(legs)
  const wp: Array<[number, LatLon]> = [[0, HOME], [600, HOME]]
  let tS = 600
  for (let i = 1; i < legs.length; i++) {
    tS += 1000 / 12
    wp.push([tS, legs[i] as LatLon])
    if (i < legs.length - 1) {
      tS += 30 + ((i * 37) % 61) // a red light of 30–90 s at each corner
      wp.push([tS, legs[i] as LatLon])
    }
  }
  wp.push([tS + 600, legs[legs.length - 1] as LatLon])
  for (let seed = 1; seed <= 5; seed++) {
    const r = run(waypoints(wp), Math.ceil(tS + 600), 5, { sigmaM: 6, driftSigmaM: 5, multipathRate: 0.005 }, seed)
    const err = (r.distanceKm - km) / km
    t.ok(Math.abs(err) <= 0.05, `seed ${seed}: ${r.distanceKm} km for ${km.toFixed(2)} km driven (${(err * 100).toFixed(1)} %)`)
    t.equal(r.trips.length, 1, 'the lights do not cut the trip')
    t.equal(r.stops.length, 2, 'parked before and after')
    t.ok(Math.abs((r.trips[0]?.distanceKm ?? 0) - r.distanceKm) < 0.05, 'the trip carries the distance')
  }
})

t.test('found by bench/track-filter.ts: a multipath outlier then a 3.5 σ fix in a row, inside a 12 h park', async (t) => {
  // The pair leaves the stay and a new one forms at once around the noisy fix: two stops at the
  // same place with one lone position between are one stop (before that rule: a 0.87 km trip).
  const r = run(parked(HOME), 12 * 3600, 60, { sigmaM: 30 }, 8 * 7919 + 30 + 60)
  t.equal(r.trips.length, 0)
  t.equal(r.distanceKm, 0)
  t.equal(r.stops.length, 1)
})
