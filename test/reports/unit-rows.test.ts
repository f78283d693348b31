// A unit row's steps: the cells it earned (a stay counts as its centre), its watch time at the
// post, the row and its assessment mode, and the detail without its lists.
import t from 'tap'
import { latLngToCell, cellToLatLng, gridDisk } from 'h3-js'
import { validateConfig } from '../../src/config/load.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { alertSpanTotals } from '../../src/reports/alert-spans.js'
import { earned, unitDetails, unitRow, watchMs, withoutLists } from '../../src/reports/unit-rows.js'
import type { Stop, TrackFigures } from '../../src/reports/track.js'

const W = { coverage: 1, moving: 1, cells: 1, presence: 1, breaches: 1, silences: 1 }
const S = { weights: W, movingTarget: 0.5, watchPosts: new Set<string>() }
const R = 9
const home = latLngToCell(36.49, 117.86, R)
const ring = gridDisk(home, 1).filter((c) => c !== home)
const at = (cell: string) => cellToLatLng(cell) as [number, number]
const stop = (from: number, to: number, cell: string): Stop => ({ from, to, lat: at(cell)[0], lon: at(cell)[1], durationMs: to - from })
const seg = (from: number, cell: string) => ({ from, to: from + 10, lat: at(cell)[0], lon: at(cell)[1] })
const track = (o: Partial<TrackFigures> = {}): TrackFigures => ({
  fixes: 10, firstFixAt: 0, lastFixAt: 100, distanceKm: 1.5, reportingMs: 100, movingMs: 60, stationaryMs: 40, inRadiusMs: 50, inZoneMs: 70,
  silent: { count: 1, totalMs: 5, periods: [{ from: 40, to: 45 }] }, stops: [], trips: [], segments: [], ...o,
})

t.test('earned: distinct zone cells passed through; a segment inside a stay counts as the stay\'s centre', async (t) => {
  const zone = { cells: new Set([home, ...ring.slice(0, 3)]), resolution: R }
  const moving = track({ segments: [seg(0, ring[0]!), seg(10, ring[1]!), seg(20, ring[0]!), seg(30, ring[5]!)] })
  t.same(earned(moving, zone), { cellsVisited: 2, zoneCells: 4 }, 'a cell outside the zone earns nothing')
  const parked = track({ stops: [stop(100, 200, home)], segments: [seg(100, ring[0]!), seg(150, ring[1]!), seg(210, ring[2]!)] })
  t.same(earned(parked, zone), { cellsVisited: 2, zoneCells: 4 }, 'the scatter during the stay earns only the stay\'s cell')
  t.same(earned(moving, undefined), { cellsVisited: 0, zoneCells: null }, 'no zone')
})

t.test('watchMs: stop time within the post radius; null without a post', async (t) => {
  const tr = track({ stops: [stop(0, 100, home), stop(200, 260, latLngToCell(36.6, 117.86, R))] })
  const [lat, lon] = at(home)
  t.equal(watchMs(tr, { lat, lon, radiusM: 100 }), 100)
  t.equal(watchMs(tr, undefined), null)
  t.equal(watchMs(track(), { lat, lon, radiusM: 100 }), 0)
})

const dep = compileDeployment(validateConfig({
  units: [{ id: 'P-1', name: 'Car 1', kind: 'car', post: 's1', zone: 'g1' }, { id: 'O-2', kind: 'officer' }],
  posts: [{ id: 's1', lat: 36.49, lon: 117.86, radius_m: 1500, watch: true }],
  zones: [{ id: 'g1', geometry: { type: 'Polygon', coordinates: [[[117.84, 36.47], [117.88, 36.47], [117.88, 36.51], [117.84, 36.51], [117.84, 36.47]]] } }],
}))
const P = { from: 0, to: 1000 }

t.test('unitRow: names, spans of the unit, and the assessment mode of its post', async (t) => {
  const spans = alertSpanTotals([
    { alert_id: 'a', k: 'radius_breach', subj: '', unit: 'P-1', zone: '', post: '', opened_ms: 10, resolved_ms: 30 },
    { alert_id: 'b', k: 'zone_exit', subj: '', unit: 'P-1', zone: '', post: '', opened_ms: 50, resolved_ms: 55 },
  ], P, P.to)
  const row = unitRow('P-1', dep.units.get('P-1'), track(), { post: dep.posts.get('s1'), zone: undefined, cellsVisited: 7, spans }, { ...S, watchPosts: new Set(['s1']) })
  t.match(row, { unitId: 'P-1', name: 'Car 1', kind: 'car', postId: 's1', zoneId: 'g1', cellsVisited: 7, breaches: { count: 1, totalMs: 20 }, zoneExits: { count: 1, totalMs: 5 }, silent: { count: 1, totalMs: 5 } })
  t.equal(row.assessment.mode, 'watch')
  t.equal(unitRow('P-1', dep.units.get('P-1'), track(), { post: undefined, zone: undefined, cellsVisited: 0, spans }, S).assessment.mode, 'patrol', 'a post without watch')
  const ghost = unitRow('X-9', undefined, track(), { post: undefined, zone: undefined, cellsVisited: 0, spans }, S)
  t.match(ghost, { unitId: 'X-9', name: 'X-9', kind: 'unknown', postId: null, zoneId: null, breaches: { count: 0, totalMs: 0 } })
  t.equal(ghost.assessment.mode, 'patrol')
})

t.test('unitDetails: one detail per track in track order, with its lists; withoutLists drops them', async (t) => {
  const tr = track({ stops: [stop(0, 100, home)] })
  const details = unitDetails(dep, S, new Map([['O-2', track()], ['P-1', tr], ['X-9', track()]]), new Map([['P-1', 12]]), alertSpanTotals([], P, P.to))
  t.same([...details.keys()], ['O-2', 'P-1', 'X-9'])
  const d = details.get('P-1')!
  t.equal(d.cellsVisited, 12)
  t.equal(details.get('O-2')!.cellsVisited, 0)
  t.equal(d.stopList, tr.stops)
  t.equal(d.tripList, tr.trips)
  t.equal(d.silentPeriods, tr.silent.periods)
  t.not(d.assessment.inputs.cells, undefined, 'a unit with a zone is judged on the cells it earned')
  const row = withoutLists(d)
  t.same(Object.keys(row).filter((k) => /List|Periods/.test(k)), [])
  t.same(Object.keys(row), Object.keys(d).slice(0, -3), 'the row keeps the detail\'s field order')
})
