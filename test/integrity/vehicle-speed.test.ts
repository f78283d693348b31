import t from 'tap'
import type { Fix } from '../../src/decode/fix.js'
import { VehicleSpeed } from '../../src/integrity/vehicle-speed.js'
import { VehicleTracks } from '../../src/integrity/vehicle-tracks.js'
import type { IntegritySignal } from '../../src/integrity/signal.js'
import { O, T0, at } from './helpers.js'

const KINDS = new Map([['F-1', 'officer'], ['F-2', 'officer'], ['V-1', 'vehicle'], ['D-1', 'dog']])
const kindOf = (id: string) => KINDS.get(id)

/** `unit` moving east at `mps` from second `from` to `to`, a fix every `every` s, starting `east0` metres east. */
function leg(unit: string, from: number, to: number, mps: number, every: number, east0 = 0, north = 0): Fix[] {
  const out: Fix[] = []
  for (let s = from; s < to; s += every) out.push(at(unit, s, north, east0 + (s - from) * mps))
  return out
}

function feed(d: VehicleSpeed, fixes: Fix[]): IntegritySignal[] {
  return fixes.sort((a, b) => a.ts - b.ts).flatMap((f) => d.observe(f))
}

t.test('a foot unit at 36 km/h for 40 min beside a vehicle: one signal naming the vehicle, closed half a window after', async (t) => {
  const d = new VehicleSpeed(O.vehicleSpeed, kindOf)
  const sig = feed(d, [
    ...leg('F-1', 0, 2400, 10, 30), ...leg('V-1', 0, 2400, 10, 10, 0, 30),
    // Then the phone stands still for 40 min.
    ...leg('F-1', 2400, 4800, 0, 30, 24_000),
  ])
  t.equal(sig.length, 1)
  const s = sig[0] as IntegritySignal
  t.equal(s.kind, 'vehicle_speed')
  t.equal(s.relatedUnitId, 'V-1')
  t.equal(s.from, T0 + 150_000, 'from the first fast stretch (speed_window in)')
  t.equal(s.to, T0 + 2460_000, 'the speed window still spans the last metres after the stop')
  t.ok(Math.abs((s.evidence.meanFastKmh as number) - 36) < 1)
  t.ok((s.evidence.companionShare as number) > 0.95)
  // The phone's fix is compared with the vehicle's fix of 10 s before (the same second's one comes after it): ~100 m.
  t.ok((s.evidence.companionMeanDistanceM as number) < 110)
  t.ok((s.evidence.fastMinutes as number) > 35)
})

t.test('without a vehicle alongside the signal names none; flush closes an open stretch', async (t) => {
  const d = new VehicleSpeed(O.vehicleSpeed, kindOf)
  // The vehicle is 5 km north: never within companion_distance_m.
  t.same(feed(d, [...leg('F-1', 0, 2400, 10, 30), ...leg('V-1', 0, 2400, 10, 10, 0, 5000)]), [])
  const [s] = d.flush()
  t.equal(s?.relatedUnitId, undefined)
  t.equal(s?.evidence.companionShare, 0)
  t.same(d.flush(), [])
})

t.test('short rides stay under min_fast; walking never reaches the speed', async (t) => {
  const d = new VehicleSpeed(O.vehicleSpeed, kindOf)
  // Walk 30 min, ride 10 min, walk 60 min.
  const fixes = [...leg('F-1', 0, 1800, 1.4, 30), ...leg('F-1', 1800, 2400, 10, 30, 2520), ...leg('F-1', 2400, 6000, 1.4, 30, 8520)]
  t.same(feed(d, fixes), [])
  t.same(d.flush(), [])
})

t.test('what is not read: inaccurate, unknown or other kinds, older fixes; gaps reset the speed window', async (t) => {
  const d = new VehicleSpeed(O.vehicleSpeed, kindOf)
  t.same(d.observe(at('F-1', 0, 0, 0, { accuracy: null })), [])
  t.same(d.observe(at('F-1', 0, 0, 0, { accuracy: 80 })), [])
  t.same(d.observe(at('X-1', 0)), [], 'not in the deployment')
  t.same(d.observe(at('D-1', 0)), [], 'neither a foot nor a vehicle kind')
  d.observe(at('F-2', 100))
  t.same(d.observe(at('F-2', 50)), [], 'older than the last: ignored')
  // After a 20 min hole the far fix does not make a speed with the one before it.
  t.same(feed(d, [at('F-2', 1300, 0, 20_000), at('F-2', 1330, 0, 20_010)]), [])
  t.same(d.flush(), [])
  // One fix a tenth of a second for 2 minutes: the window keeps at most its bound of fixes.
  const dense = new VehicleSpeed(O.vehicleSpeed, kindOf)
  for (let i = 0; i < 1200; i++) dense.observe(at('F-1', i / 10, 0, i))
  t.same(dense.flush(), [])
})

t.test('vehicle tracks: interpolated between fixes, nearest fix within the time bound, squares followed', async (t) => {
  const v = new VehicleTracks()
  for (let s = 0; s <= 100; s += 10) v.add(at('V-1', s, 0, s * 10))
  v.add(at('V-1', 50, 0, 0))
  const p = at('F-1', 55, 0, 550)
  t.ok((v.nearest(p.lat, p.lon, p.ts, 50, 60_000)?.distanceM as number) < 1, 'interpolated at 55 s')
  t.equal(v.nearest(p.lat, p.lon, p.ts + 500_000, 50, 60_000), null, 'long after its last fix: unknown')
  const q = at('F-1', 130, 0, 1000)
  t.equal(v.nearest(q.lat, q.lon, q.ts, 50, 60_000)?.unitId, 'V-1', 'after its last fix, within the bound')
  const early = at('F-1', 0, 0, 300)
  t.equal(v.nearest(early.lat, early.lon, T0 - 50_000, 50, 60_000), null, 'before its kept fixes (the last 8), far in time from the oldest')
  t.equal(v.nearest(early.lat, early.lon, T0 + 60_000, 5, 60_000), null, 'too far')
  // It drives 3 km east: filed under its new square only.
  v.add(at('V-1', 400, 0, 4000))
  const old = at('F-1', 0, 0, 1000)
  t.equal(v.nearest(old.lat, old.lon, T0 + 400_000, 100, 60_000), null)
  const now = at('F-1', 0, 0, 4000)
  t.equal(v.nearest(now.lat, now.lon, T0 + 400_000, 100, 60_000)?.unitId, 'V-1')
})

t.test('two vehicles about: the nearer is taken, the one it stayed with most is named; a hole in a track is not bridged', async (t) => {
  const kinds = new Map([['F-1', 'officer'], ['V-1', 'vehicle'], ['V-2', 'vehicle'], ['V-3', 'vehicle']])
  const d = new VehicleSpeed({ ...O.vehicleSpeed, minFastMs: 0 }, (id) => kinds.get(id))
  const sig = feed(d, [...leg('F-1', 0, 2400, 10, 30), ...leg('V-2', 0, 600, 10, 10, 0, 120), ...leg('V-1', 0, 2100, 10, 10, 0, 40), ...leg('V-2', 600, 2400, 10, 10, 9000, 20), ...leg('V-3', 2100, 2400, 10, 10, 21_000, 30)])
  t.same(sig, [])
  const [s] = d.flush()
  t.equal(s?.relatedUnitId, 'V-1')
  const v = new VehicleTracks()
  v.add(at('V-1', 0, 0, 0))
  v.add(at('V-1', 600, 0, 600))
  const p = at('F-1', 0, 0, 100)
  t.equal(v.nearest(p.lat, p.lon, T0 + 50_000, 200, 60_000)?.unitId, 'V-1', 'the fix before, nearer in time than the one after a 10 min hole')
  const q = at('F-1', 0, 0, 500)
  t.equal(v.nearest(q.lat, q.lon, T0 + 560_000, 200, 60_000)?.unitId, 'V-1', 'the fix after')
  const two = new VehicleTracks()
  two.add(at('V-1', 0, 0, 50))
  two.add(at('V-2', 0, 0, 20))
  two.add(at('V-3', 0, 0, 90))
  t.equal(two.nearest(p.lat, p.lon, T0, 200, 60_000)?.unitId, 'V-3')
})
