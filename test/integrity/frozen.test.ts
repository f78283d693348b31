import t from 'tap'
import { FixFlag } from '../../src/decode/fix.js'
import { FrozenPositions } from '../../src/integrity/frozen.js'
import { O, T0, at } from './helpers.js'

t.test('identical coordinates for min_fixes over min_duration are a signal when the unit moves on', async (t) => {
  const d = new FrozenPositions(O.frozen)
  for (let s = 0; s <= 600; s += 30) t.same(d.observe(at('P-1', s, 100, 100)), [])
  t.same(d.observe(at('P-1', 601, 100.3, 100)), [], 'within tolerance_m (0.5 m)')
  const [sig] = d.observe(at('P-1', 630, 120, 100))
  t.equal(sig?.kind, 'frozen_position')
  t.equal(sig?.from, T0)
  t.equal(sig?.to, T0 + 601_000)
  t.equal(sig?.evidence.fixes, 22)
  t.equal(sig?.evidence.maxOffsetM, 0.3)
})

t.test('too few fixes, too short, flagged, (0, 0), unwatched sources and older fixes say nothing', async (t) => {
  const d = new FrozenPositions(O.frozen)
  for (let s = 0; s < 19 * 60; s += 60) d.observe(at('P-1', s))
  t.same(d.observe(at('P-1', 2000, 50)), [], '19 fixes: under min_fixes')
  for (let s = 0; s < 30; s++) d.observe(at('P-2', s * 10))
  t.same(d.observe(at('P-2', 400, 50)), [], '30 fixes in 5 min: under min_duration')
  t.same(d.observe(at('P-2', 300, 80)), [], 'older than the run: ignored')
  t.same(d.observe(at('P-3', 0, 0, 0, { flags: FixFlag.ImpossibleSpeed })), [])
  t.same(d.observe({ ...at('P-3', 0), lat: 0, lon: 0 }), [])
  t.same(d.observe(at('P-3', 0, 0, 0, { source: 'jt808' })), [], 'JT/T 808 terminals freeze a parked position by design')
  for (let s = 0; s <= 1200; s += 30) d.observe(at('P-4', s))
  t.same(d.flush().map((s) => s.unitId), ['P-4'], 'flush closes the open run')
})
