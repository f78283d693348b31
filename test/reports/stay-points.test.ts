// The stay-point filter's rules one by one, on hand-built positions one minute apart (metres north
// and east of a base point): a dropped outlier, a departure, the return after an excursion of two,
// a stop reaching back, lone positions at a silence, two stops with a lone position between.
import t from 'tap'
import { findStays, isStop, type StayOptions, type TrackPoint } from '../../src/reports/stay-points.js'

const M = 60_000
const DEG = 1 / 111_195
const O: StayOptions = { floorM: 30, stopMinMs: 5 * M }

function track(spec: Array<[north: number, east: number, accuracy?: number | null, gapAfter?: boolean]>): TrackPoint[] {
  return spec.map(([n, e, acc, gap], i) => ({ lat: 36 + n * DEG, lon: 117 + e * DEG / Math.cos(36 * Math.PI / 180), accuracy: acc === undefined ? 10 : acc, from: i * M, to: (i + 1) * M, gapAfter: gap === true }))
}
/** [first, last] of each stay, and the outliers. */
function shape(pts: TrackPoint[]) {
  const f = findStays(pts, O)
  return { stays: f.stays.map((s) => [s.first, s.last]), outliers: [...f.outlier].flatMap((x, i) => (x === 1 ? [i] : [])), stops: f.stays.filter((s) => isStop(pts, s, O)).length, f }
}
const still = (n: number, jitter = 0): Array<[number, number]> => Array.from({ length: n }, (_, i) => [(i % 2 === 0 ? 1 : -1) * jitter, (i % 3 - 1) * jitter])

t.test('a single outlier is dropped; two in a row leave and come back: one stay', async (t) => {
  let s = shape(track([...still(8), [400, 0], ...still(8)]))
  t.same(s.stays, [[0, 16]])
  t.same(s.outliers, [8])
  s = shape(track([...still(8), [400, 0], [-300, 200], ...still(8)]))
  t.same(s.stays, [[0, 17]], 'the stay is reopened after an excursion of two positions')
  t.same(s.outliers, [8, 9])
  s = shape(track([...still(8), [400, 0], [800, 0], [1200, 0], ...still(8).map(([n, e]) => [n + 1200, e] as [number, number])]))
  t.same(s.stays.map((x) => x[0]), [0, 8, 9, 10], 'three positions away: a departure, the moving positions are stays of their own')
  t.equal(s.stops, 2)
})

t.test('a stop reaches back over earlier positions within its threshold; lone positions at the track\'s edges are its outliers', async (t) => {
  // Three positions 45 m north (their own stay: a reference of one or two noisy positions), then a
  // long noisy stay at the base whose σ (~25 m) puts them within its threshold.
  const noisy = Array.from({ length: 20 }, (_, i) => [((i * 37) % 61) - 30, ((i * 53) % 61) - 30] as [number, number])
  let s = shape(track([[45, 0], [45, 0], [45, 0], ...noisy]))
  t.same(s.stays, [[0, 22]], 'one stay from the first position')
  t.same(s.outliers, [])
  // A lone position at the start (beyond any threshold), then the stop: its outlier.
  s = shape(track([[500, 0], ...still(10)]))
  t.same(s.stays, [[0, 10]])
  t.same(s.outliers, [0])
  // And at the end, before a silence and after it.
  s = shape(track([...still(10), [500, 0, 10, true], ...still(10).map(([n, e]) => [n, e] as [number, number])]))
  t.same(s.stays, [[0, 10], [11, 20]], 'the lone position before the silence is the first stop\'s; the silence ends the stop')
  t.same(s.outliers, [10])
})

t.test('two stops at the same place with a lone position between them are one stop', async (t) => {
  // An outlier, then a fix just beyond the first stay's threshold whose poor accuracy gathers the
  // following positions into a second stay at the same place.
  const s = shape(track([...still(10), [600, 0], [70, 0, 50], ...still(10)]))
  t.same(s.stays, [[0, 21]])
  t.same(s.outliers, [10])
})

t.test('a silence ends a stay; an unconfirmed candidate before it is a position of its own', async (t) => {
  const s = shape(track([...still(6), [300, 0, 10, true], ...still(6)]))
  t.same(s.stays, [[0, 6], [7, 12]], 'two stays; the lone position before the silence is the first one\'s outlier')
  t.same(s.outliers, [6])
  const end = shape(track([...still(6), [300, 0]]))
  t.same(end.stays, [[0, 6]], 'the track ends on one candidate: a lone position at the edge, the stop\'s outlier')
})

t.test('unknown accuracy counts as 50 m; the threshold never goes below the floor', async (t) => {
  const s = shape(track([...still(5).map(([n, e]) => [n, e, null] as [number, number, null]), [90, 0, null], ...still(5).map(([n, e]) => [n, e, null] as [number, number, null])]))
  t.same(s.stays, [[0, 10]], '90 m is within 2 × 50 m')
  t.same(s.outliers, [])
})
