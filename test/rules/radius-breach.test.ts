import t from 'tap'
import { FixFlag } from '../../src/decode/fix.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { assumedAccuracyM, evidenceSide, initialRadius, radiusSide, stepRadius } from '../../src/rules/radius-breach.js'
import { BASE, T0, config, feed, fix, offset, standardRaw, types } from './helpers.js'

// P-020 has only a post (station-03 at BASE, radius 1500 m); defaults: dwell 60 s, hysteresis 50 m.
const setup = (over: Record<string, unknown> = {}) => new RuleEngine(compileDeployment(config(standardRaw(over))), { startedAt: T0 })
const at = (d: number) => offset(BASE, d, 0)

/** Feeds P-020 a track of [secondsAfterT0, metresFromPost, extra?] and collects the events. */
function drive(e: RuleEngine, track: Array<[number, number, Record<string, unknown>?]>): AlertEvent[] {
  const out: AlertEvent[] = []
  for (const [s, d, extra] of track) out.push(...feed(e, fix('P-020', T0 + s * 1000, at(d), extra ?? {})))
  return out
}

t.test('sides: hysteresis band around the radius', async (t) => {
  t.equal(radiusSide(1551, 1500, 50), 'out')
  t.equal(radiusSide(1449, 1500, 50), 'in')
  t.equal(radiusSide(1550, 1500, 50), 'band')
  t.equal(radiusSide(1450, 1500, 50), 'band')
  t.equal(radiusSide(1500, 1500, 0), 'band')
})

t.test('sides by the whole accuracy circle: outside beyond radius + hysteresis + accuracy (issue 19, item 6)', async (t) => {
  t.equal(radiusSide(1701, 1500, 50, 150), 'out', 'the circle lies beyond radius + hysteresis')
  t.equal(radiusSide(1700, 1500, 50, 150), 'band-out', 'the circle touches the band')
  t.equal(radiusSide(1600, 1500, 50, 150), 'band-out', 'position clear of the band, circle across its outer edge')
  t.equal(radiusSide(1550, 1500, 50, 150), 'any')
  t.equal(radiusSide(1520, 1500, 50, 20), 'band', 'the whole circle in the band')
  t.equal(radiusSide(1450, 1500, 50, 150), 'any', 'across the whole band')
  t.equal(radiusSide(1400, 1500, 50, 150), 'in-band')
  t.equal(radiusSide(1299, 1500, 50, 150), 'in', 'the circle lies within radius − hysteresis')
  t.equal(radiusSide(1300, 1500, 50, 150), 'in-band')
  t.equal(radiusSide(1560, 1500, 50, 5), 'out', 'a clean fix: as before, position beyond the band by more than its accuracy')
  t.equal(radiusSide(1552, 1500, 50, 5), 'band-out')
  t.equal(radiusSide(1448, 1500, 50, 5), 'in-band')
  t.equal(evidenceSide(5000, 50, 2000), 'out', 'even a 2 km circle 5 km outside is outside')
  t.equal(evidenceSide(-1000, 0, 0), 'in')
  t.equal(assumedAccuracyM(null, 100), 100, 'no reported accuracy: judged as max_accuracy_m')
  t.equal(assumedAccuracyM(7, 100), 7)
})

t.test('jitter at the boundary never flaps', async (t) => {
  const e = setup()
  // 200 fixes a second apart alternating ±30 m around the radius: all inside the band.
  const band = drive(e, Array.from({ length: 200 }, (_, i) => [i, 1500 + (i % 2 === 0 ? 30 : -30)] as [number, number]))
  t.same(band, [], 'band jitter: nothing')
  // ±60 m (outside/inside the band alternately, 2 s apart so the speed is plausible): the
  // outside timer restarts every other fix.
  const alt = drive(e, Array.from({ length: 200 }, (_, i) => [200 + 2 * i, 1500 + (i % 2 === 0 ? 60 : -60)] as [number, number]))
  t.same(alt, [], 'alternating sides: no side lasts dwell')
  // Once in breach, jitter (even long jitter) produces no second opened and no resolution.
  const out = drive(e, Array.from({ length: 20 }, (_, i) => [605 + 5 * i, 1700] as [number, number]))
  t.same(types(out), ['radius_breach.opened'])
  const jitter = drive(e, Array.from({ length: 200 }, (_, i) => [710 + 2 * i, 1500 + (i % 2 === 0 ? 60 : -60)] as [number, number]))
  t.same(jitter, [], 'jitter while open: no edge')
  t.equal(e.openAlerts().length, 1)
})

t.test('a long excursion: one opened, one resolved, correct times', async (t) => {
  const e = setup()
  const track: Array<[number, number]> = []
  // Realistic gaps: 1700 m in 30 s (57 m/s) out, 1900 m in 30 s back.
  for (let s = 0; s <= 70; s += 5) track.push([s, 800])
  for (let s = 100; s <= 970; s += 5) track.push([s, 2500])
  for (let s = 1000; s <= 1200; s += 5) track.push([s, 600])
  const evs = drive(e, track)
  t.same(types(evs), ['radius_breach.opened', 'radius_breach.resolved'])
  const [o, r] = evs as [AlertEvent, AlertEvent]
  t.equal(o.at, T0 + 160_000, 'opened at the first outside fix + dwell')
  t.equal(o.openedAt, T0 + 160_000)
  t.equal(o.subject, 'unit:P-020/post:station-03')
  t.equal(o.radiusM, 1500)
  t.ok(Math.abs((o.distanceM as number) - 2500) < 1)
  t.equal(o.position?.ts, T0 + 160_000)
  t.match(o.summary, /^P-020 is 2\.5 km from Chengxi station, outside its 1\.5 km radius since 14:01:40Z$/)
  t.equal(r.at, T0 + 1_060_000, 'resolved at the first inside fix + dwell')
  t.equal(r.alertId, o.alertId)
  t.equal(r.eventId, `${o.alertId}.resolved`)
  t.equal(r.openedAt, o.openedAt)
  t.match(r.summary, /back within its 1\.5 km radius of Chengxi station \(600 m away\) since 14:16:40Z/)
  t.same(e.openAlerts(), [])
  t.equal(e.getAlert(o.alertId)?.state, 'resolved')
  t.equal(e.getAlert(o.alertId)?.resolvedAt, T0 + 1_060_000)
})

t.test('a band fix breaks the run: only continuous evidence outside confirms (observation 1)', async (t) => {
  const e = setup()
  t.same(drive(e, [[0, 1700], [30, 1520], [55, 1520], [60, 1700]]), [], 'two isolated outside fixes 60 s apart, band between: nothing')
  const e2 = setup()
  const evs = drive(e2, [[0, 1700], [20, 1700], [40, 1700], [60, 1700]])
  t.same(types(evs), ['radius_breach.opened'])
  t.equal(evs[0]?.at, T0 + 60_000)
  t.match(evs[0]?.summary, /since 14:00:00Z/)
  const e3 = setup()
  t.same(drive(e3, [[0, 1700], [30, 1400], [60, 1700], [100, 1700]]), [], 'an inside fix resets it')
  t.same(types(drive(e3, [[120, 1700]])), ['radius_breach.opened'], 'dwell counted from the fix after the reset')
  const e4 = setup()
  t.same(drive(e4, [[0, 1700], [60, 1700]]), [], 'two fixes spanning dwell are not sustained evidence')
  t.same(drive(e4, [[200, 1700], [230, 1700]]), [], 'a gap longer than the run allows starts the run again')
  t.same(types(drive(e4, [[260, 1700]])), ['radius_breach.opened'])
  const e5 = setup()
  // Accuracy 99 m: 1590 m is not outside (it would be with hysteresis 50 m alone).
  t.same(drive(e5, Array.from({ length: 20 }, (_, i) => [i * 10, 1590, { accuracy: 99 }] as [number, number, Record<string, unknown>])), [], 'the accuracy circle reaches the band: no evidence')
  t.equal(radiusSide(1590, 1500, 50, 99), 'band-out')
})

t.test('an inconclusive fix neither confirms nor breaks a run; a band fix breaks it', async (t) => {
  const e = setup()
  // 1700 m ± 20 m is outside; 1620 m ± 300 m (network location) may be outside: inconclusive.
  const evs = drive(e, [[0, 1700, { accuracy: 20 }], [20, 1620, { accuracy: 300 }], [30, 1700, { accuracy: 20 }], [45, 1620, { accuracy: 300 }], [50, 1620, { accuracy: 300 }]])
  t.same(evs, [], 'two outside fixes, dwell not reached: inconclusive fixes do not confirm')
  t.same(types(drive(e, [[60, 1700, { accuracy: 20 }]])), ['radius_breach.opened'], 'the run went on through them')
  t.match(e.openAlerts()[0]?.last.summary, /since 14:00:00Z/, 'counted from the first outside fix')
  const e2 = setup()
  t.same(drive(e2, [[0, 1700, { accuracy: 20 }], [20, 1700, { accuracy: 20 }], [40, 1200, { accuracy: 300 }], [60, 1700, { accuracy: 20 }], [80, 1700, { accuracy: 20 }]]), [], 'a fix that cannot lie outside (1200 m ± 300 m) breaks the run, however inaccurate')
  t.same(drive(e2, [[100, 1700, { accuracy: 20 }], [120, 1540, { accuracy: 5 }], [140, 1700, { accuracy: 20 }]]), [], 'so does a clean fix in the band')
  t.same(types(drive(e2, [[160, 1700, { accuracy: 20 }], [180, 1540, { accuracy: 300 }], [200, 1700, { accuracy: 20 }]])), ['radius_breach.opened'], 'but not a fix in the band whose circle reaches outside')
  t.same(drive(e2, [[220, 1200, { accuracy: 300 }], [240, 1200, { accuracy: 300 }], [260, 1200, { accuracy: 300 }], [280, 1600, { accuracy: 10 }], [300, 1200, { accuracy: 300 }], [320, 1200, { accuracy: 300 }]]), [], 'while open, the same the other way: 1200 m ± 300 m may be inside, 1600 m ± 10 m breaks the run')
  const e3 = setup()
  t.same(drive(e3, [[0, 1700, { accuracy: 20 }], [30, 1620, { accuracy: 300 }], [60, 1620, { accuracy: 300 }], [90, 1620, { accuracy: 300 }], [100, 1700, { accuracy: 20 }], [120, 1700, { accuracy: 20 }]]), [], 'inconclusive fixes do not bridge a gap longer than the run allows')
  t.same(types(drive(e3, [[160, 1700, { accuracy: 20 }]])), ['radius_breach.opened'])
  t.equal(e3.openAlerts()[0]?.openedAt, T0 + 160_000, 'the run restarted at 100 s')
})

t.test('inaccurate fixes are evidence by their whole circle: network location 5 km out breaches (issue 19, item 6)', async (t) => {
  const e = setup()
  const evs = drive(e, Array.from({ length: 30 }, (_, i) => [i * 10, 5000, { accuracy: 150 }] as [number, number, Record<string, unknown>]))
  t.same(types(evs), ['radius_breach.opened'], 'accuracy 150 m ≥ max_accuracy_m, 5 km out: a breach')
  t.equal(evs[0]?.at, T0 + 60_000, 'after dwell, like a clean fix')
  t.equal(evs[0]?.position?.accuracy, 150, 'the alert carries the accuracy it was judged by')
  const back = drive(e, Array.from({ length: 10 }, (_, i) => [300 + i * 10, 600, { accuracy: 800 }] as [number, number, Record<string, unknown>]))
  t.same(types(back), ['radius_breach.resolved'], '600 m ± 800 m lies within 1450 m: inside')
  // 1900 m ± 400 m: the circle reaches the band. Neither evidence nor a break.
  const e2 = setup()
  t.same(drive(e2, Array.from({ length: 30 }, (_, i) => [i * 10, 1900, { accuracy: 400 }] as [number, number, Record<string, unknown>])), [], 'below the detection limit: no breach')
  t.same(types(drive(e2, Array.from({ length: 7 }, (_, i) => [300 + i * 10, 1960, { accuracy: 400 }] as [number, number, Record<string, unknown>]))), ['radius_breach.opened'], 'beyond radius + hysteresis + accuracy: a breach')
})

t.test('a fix without accuracy is judged as max_accuracy_m inaccurate', async (t) => {
  const e = setup()
  t.same(drive(e, Array.from({ length: 10 }, (_, i) => [i * 10, 1620, { accuracy: null }] as [number, number, Record<string, unknown>])), [], '1620 m ± 100 m: inconclusive (a 5 m fix there would be outside)')
  const ok = drive(e, [[600, 5000, { accuracy: null }], [630, 5000, { accuracy: null }], [660, 5000, { accuracy: null }]])
  t.same(types(ok), ['radius_breach.opened'], 'far outside: a breach')
  const clean = setup()
  t.same(types(drive(clean, Array.from({ length: 7 }, (_, i) => [i * 10, 1620, { accuracy: 5 }] as [number, number, Record<string, unknown>]))), ['radius_breach.opened'])
})

t.test('an impossible jump is flagged and drives nothing', async (t) => {
  const e = setup()
  drive(e, [[0, 500], [10, 510]])
  const jump = fix('P-020', T0 + 11_000, at(60_000))
  t.equal(e.classify(jump), FixFlag.ImpossibleSpeed)
  t.equal(jump.flags, 0, 'classify does not touch the fix')
  t.same(feed(e, jump), [])
  t.equal(jump.flags, FixFlag.ImpossibleSpeed)
  const after = drive(e, Array.from({ length: 20 }, (_, i) => [12 + i * 10, 520] as [number, number]))
  t.same(after, [], 'no breach from the bad fix')
  t.same(e.openAlerts(), [])
  t.ok(Math.abs((e.unit('P-020', T0 + 300_000)?.distanceFromPostM as number) - 520) < 1, 'the bad fix is not the live position')
})

t.test('a unit that appears already outside opens after dwell', async (t) => {
  const e = setup()
  const evs = drive(e, Array.from({ length: 10 }, (_, i) => [300 + i * 10, 3000] as [number, number]))
  t.same(types(evs), ['radius_breach.opened'])
  t.equal(evs[0]?.at, T0 + 360_000)
  t.equal(e.unit('P-020', T0 + 400_000)?.inBreach, true)
})

t.test('dwell 0 opens on the first outside fix; a post missing from the deployment is skipped', async (t) => {
  const e = setup({ rules: { allowed_lateness: '0s', radius: { dwell: '0s' } } })
  t.same(types(drive(e, [[0, 1600]])), ['radius_breach.opened'])
  t.same(types(drive(e, [[10, 1400]])), ['radius_breach.resolved'])
  const post = { id: 'station-03', lat: BASE.lat, lon: BASE.lon, radiusM: 100 }
  const s = initialRadius(post)
  const cfg = { dwellMs: 0, hysteresisM: 0, maxAccuracyM: 100 }
  t.same(stepRadius(s, post, fix('X', T0, at(200)), cfg), { edge: 'opened', distanceM: stepRadius(initialRadius(post), post, fix('X', T0, at(200)), cfg)?.distanceM, since: T0 })
  t.equal(s.activeSince, T0)
})
