import t from 'tap'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { compilePolygon } from '../../src/geo/polygon.js'
import { zoneSide } from '../../src/rules/zone-exit.js'
import { BASE, T0, config, feed, fix, offset, square, standardRaw, types } from './helpers.js'

// O-003 (officer, ≤ 40 km/h) patrols grid-2, a 2 km square centred on BASE (edges 1000 m away).
const setup = (over: Record<string, unknown> = {}) => new RuleEngine(compileDeployment(config(standardRaw(over))), { startedAt: T0 })

function walk(e: RuleEngine, track: Array<[number, number, number?]>, unit = 'O-003'): AlertEvent[] {
  const out: AlertEvent[] = []
  for (const [s, north, acc] of track) out.push(...feed(e, fix(unit, T0 + s * 1000, offset(BASE, north, 0), { accuracy: acc ?? 10 })))
  return out.filter((x) => x.kind === 'zone_exit')
}

t.test('sides against the polygon, with the hysteresis band on both sides of the boundary', async (t) => {
  const poly = compilePolygon(square(BASE, 1000))
  t.equal(zoneSide(poly, offset(BASE, 900, 0).lat, BASE.lon, 50).side, 'in')
  t.equal(zoneSide(poly, offset(BASE, 970, 0).lat, BASE.lon, 50).side, 'band')
  t.equal(zoneSide(poly, offset(BASE, 1030, 0).lat, BASE.lon, 50).side, 'band')
  const out = zoneSide(poly, offset(BASE, 1100, 0).lat, BASE.lon, 50)
  t.equal(out.side, 'out')
  t.ok(Math.abs(out.distanceM - 100) < 1)
  // The whole accuracy circle must clear the band (issue 19, item 6).
  t.equal(zoneSide(poly, offset(BASE, 1100, 0).lat, BASE.lon, 50, 50).side, 'band-out')
  t.equal(zoneSide(poly, offset(BASE, 1500, 0).lat, BASE.lon, 50, 400).side, 'out')
  t.equal(zoneSide(poly, offset(BASE, 500, 0).lat, BASE.lon, 50, 400).side, 'in')
  t.equal(zoneSide(poly, offset(BASE, 700, 0).lat, BASE.lon, 50, 400).side, 'any')
  t.equal(zoneSide(poly, offset(BASE, 800, 0).lat, BASE.lon, 50, 200).side, 'in-band')
  t.equal(zoneSide(poly, offset(BASE, 1040, 0).lat, BASE.lon, 50, 400).side, 'any')
})

t.test('zone exit: opens after dwell outside, resolves after dwell back inside', async (t) => {
  const e = setup()
  const track: Array<[number, number]> = []
  // Walk north at 5 m/s from 800 m to 1300 m, stay, walk back to 700 m.
  for (let s = 0; s <= 100; s += 10) track.push([s, 800 + 5 * s])
  for (let s = 110; s <= 300; s += 10) track.push([s, 1300])
  for (let s = 310; s <= 460; s += 10) track.push([s, Math.max(700, 1300 - 5 * (s - 300))])
  const evs = walk(e, track)
  t.same(types(evs), ['zone_exit.opened', 'zone_exit.resolved'])
  const [o, r] = evs as [AlertEvent, AlertEvent]
  // First outside fix (> 1050 m): s = 60 (1100 m). Dwell 60 s → 120.
  t.equal(o.at, T0 + 120_000)
  t.equal(o.subject, 'unit:O-003/zone:grid-2', 'the subject names the zone')
  t.equal(o.zoneId, 'grid-2')
  t.equal(o.zoneName, 'Grid 2')
  t.equal(o.unitKind, 'officer')
  t.ok(Math.abs((o.distanceM as number) - 300) < 1)
  t.match(o.summary, /^Officer 3 \(O-003\) left Grid 2: 300 m outside its boundary since 14:01:00Z$/)
  // First inside fix (< 950 m): 1300 - 5 (s - 300) < 950 → s = 380 (900 m). Dwell 60 s → 440.
  t.equal(r.at, T0 + 440_000)
  t.equal(r.alertId, o.alertId)
})

t.test('zone exit resolves after dwell inside; band fixes at the edge do not flap', async (t) => {
  const e = setup()
  const out: AlertEvent[] = []
  out.push(...walk(e, [[0, 1200], [30, 1200], [60, 1200]]))
  t.same(types(out), ['zone_exit.opened'])
  t.equal(e.unit('O-003', T0 + 60_000)?.outsideZone, true)
  // 200 fixes jittering within ±40 m of the edge: all in the band.
  const jitter = walk(e, Array.from({ length: 200 }, (_, i) => [100 + 10 * i, 1000 + (i % 2 === 0 ? 40 : -40)] as [number, number]))
  t.same(jitter, [])
  const back = walk(e, [[2200, 900], [2230, 900], [2260, 900]])
  t.same(types(back), ['zone_exit.resolved'])
  t.equal(back[0]?.at, T0 + 2_260_000)
  t.match(back[0]?.summary, /^Officer 3 \(O-003\) is back inside Grid 2 since 14:36:40Z$/)
  t.equal(e.unit('O-003', T0 + 2_260_000)?.outsideZone, false)
})

t.test('an inaccurate fix whose circle reaches the band is no evidence for the zone rule', async (t) => {
  const e = setup()
  t.same(walk(e, [[0, 1500, 500], [100, 1500, 500], [200, 1500, 500]]), [])
})

t.test('network location far outside the zone is an exit (issue 19, item 6)', async (t) => {
  const e = setup()
  // P-017 (a car) on network location (±150 m), 3 km north of a zone whose edge is 1 km north.
  const evs = walk(e, Array.from({ length: 12 }, (_, i) => [i * 30, 3000, 150] as [number, number, number]), 'P-017')
  t.same(types(evs), ['zone_exit.opened'], 'before: fixes with accuracy ≥ max_accuracy_m were dropped, no exit')
  t.equal(evs[0]?.at, T0 + 60_000)
  const back = walk(e, Array.from({ length: 24 }, (_, i) => [400 + i * 30, i < 12 ? 1100 : 0, 150] as [number, number, number]), 'P-017')
  t.same(types(back), ['zone_exit.resolved'], '1100 m ± 150 m is no evidence; the centre ± 150 m is inside')
  t.equal(back[0]?.at, T0 + 400_000 + 14 * 30_000, 'resolved on inside evidence only')
  // No accuracy: judged as max_accuracy_m (100 m).
  const e2 = setup()
  const none = Array.from({ length: 6 }, (_, i) => feed(e2, fix('O-003', T0 + i * 30_000, offset(BASE, 1120, 0), { accuracy: null }))).flat()
  t.same(none, [], '120 m out ± 100 m: inconclusive (a 10 m fix there would be outside)')
})
