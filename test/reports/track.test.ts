// Track analysis on hand-built minute buckets: clipping at the period's ends, silences, stops
// broken by silences, a trip into a stop, noise below the floor, zone time.
import t from 'tap'
import { analyseTrack, type Bucket, type TrackParams } from '../../src/reports/track.js'
import { compilePolygon } from '../../src/geo/polygon.js'

const M = 60_000
const P: TrackParams = { from: 10 * M, to: 100 * M, silentAfterMs: 3 * M, stopRadiusM: 60, stopMinMs: 5 * M, noiseM: 30, post: null, zone: null }
const b = (min: number, lat: number, lon = 117.8, n = 6): Bucket => [min * M, n, min * M, min * M + 50_000, lat, lon]
const DEG = 1 / 111_195 // one metre of latitude

t.test('empty', async (t) => {
  const r = analyseTrack([], P)
  t.same([r.fixes, r.firstFixAt, r.lastFixAt, r.distanceKm, r.reportingMs, r.inRadiusMs, r.inZoneMs, r.stops, r.trips], [0, null, null, 0, 0, null, null, [], []])
})

t.test('clipped at both ends; the bucket before the period anchors distance', async (t) => {
  const xs: Bucket[] = []
  for (let m = 5; m <= 105; m++) xs.push(b(m, 36 + m * 100 * DEG))
  const r = analyseTrack(xs, { ...P, stopMinMs: 1000 * M })
  t.equal(r.reportingMs, 90 * M)
  t.equal(r.fixes, 90 * 6)
  t.equal(r.firstFixAt, 10 * M)
  t.equal(r.lastFixAt, 99 * M + 50_000)
  t.ok(Math.abs(r.distanceKm - 9) < 0.01, `90 steps of 100 m: ${r.distanceKm}`)
  t.equal(r.stops.length, 0)
  t.equal(r.trips.length, 1)
  t.equal(r.trips[0]!.durationMs, 90 * M)
})

t.test('silences, stops broken by a silence, a trip ending in a stop, jitter below the floor', async (t) => {
  const xs: Bucket[] = []
  for (let m = 10; m < 30; m++) xs.push(b(m, 36 + ((m % 2) * 20) * DEG)) // 20 m of jitter: a stop
  for (let m = 30; m < 40; m++) xs.push(b(m, 36 + (m - 29) * 200 * DEG)) // 200 m … 2 km north, then the stop 200 m further
  for (let m = 40; m < 50; m++) xs.push(b(m, 36 + 2200 * DEG)) // stop
  // silent 50 → 60 (last fix 49:50 → 60:00)
  for (let m = 60; m < 70; m++) xs.push(b(m, 36 + 2200 * DEG)) // another stop after the silence
  xs.push([95 * M, 1, 95 * M, 95 * M, 36, 117.8]) // silence 69:50 → 95:00, clipped nowhere
  xs.push([120 * M, 1, 120 * M, 120 * M, 36, 117.8]) // after the period: a silence 95:00 → 100:00 (clipped)
  const zone = compilePolygon({ type: 'Polygon', coordinates: [[[117.7, 35.9], [117.9, 35.9], [117.9, 36.01], [117.7, 36.01], [117.7, 35.9]]] })
  const r = analyseTrack(xs, { ...P, post: { lat: 36, lon: 117.8, radiusM: 500 }, zone })
  t.equal(r.silent.count, 3)
  t.same(r.silent.periods, [{ from: 49 * M + 50_000, to: 60 * M }, { from: 69 * M + 50_000, to: 95 * M }, { from: 95 * M, to: 100 * M }])
  t.equal(r.stops.length, 3)
  t.same(r.stops.map((s) => [s.from, s.to]), [[10 * M, 30 * M], [40 * M, 49 * M + 50_000], [60 * M, 69 * M + 50_000]])
  t.same(r.stops[0] && [Math.round((r.stops[0].lat - 36) / DEG), r.stops[0].lon], [10, 117.8], 'a stop is where the unit stood: the mean of its positions')
  t.equal(r.trips.length, 2, 'the drive, and the lone fix at 95:00')
  const drive = r.trips[0]!
  t.equal(drive.distanceKm, 2.19, 'from where the unit stood (the mean of the stop\'s 0/20 m jitter: 10 m) to 2,200 m, the step into the stop included')
  t.equal(drive.from, 30 * M)
  t.equal(drive.to, 40 * M)
  t.same(drive.end, { lat: 36 + 2200 * DEG, lon: 117.8 })
  t.equal(r.distanceKm, 4.39, 'jitter of 20 m adds nothing; the way back across the silence counts (2.19 + 2.2)')
  t.equal(r.movingMs, 10 * M, 'the drive; the lone fix stands for no time')
  t.equal(r.inRadiusMs, 20 * M + 2 * M, 'the stop and the drive\'s buckets at 200 and 400 m')
  t.equal(r.inZoneMs, 20 * M + 5 * M, 'inside 36.01°N: the stop and 1 km of the drive')
})
