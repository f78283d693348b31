// device_disagreement on hand-made fixes: a phone and its paired terminal compared at overlapping
// times; a stretch apart ends at the second agreeing comparison or after max_gap; stretches under
// min_duration say nothing; unpaired units and inaccurate fixes are not compared. The honest and
// dishonest rates on the realism kit are in realism.test.ts (crew scenarios).
import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { PairDistance } from '../../src/integrity/pair-distance.js'
import { O, T0, at } from './helpers.js'

const PAIRS = new Map([['P-1', 'V-1']])

t.test('apart for 40 min: one signal on the phone naming the terminal, closed when they agree twice', async (t) => {
  const d = new PairDistance(O.pair, PAIRS)
  for (let s = 0; s <= 2400; s += 30) {
    t.same(d.observe(at('V-1', s, 0, 0)), [])
    t.same(d.observe(at('P-1', s + 5, 800, 0)), [])
  }
  t.same(d.observe(at('V-1', 2430)), [])
  t.same(d.observe(at('P-1', 2435, 20)), [], 'one agreeing comparison does not end it (an outlier)')
  const [sig] = d.observe(at('V-1', 2460))
  t.equal(sig?.kind, 'device_disagreement')
  t.equal(sig?.unitId, 'P-1')
  t.equal(sig?.relatedUnitId, 'V-1')
  t.equal(sig?.from, T0)
  t.equal(sig?.to, T0 + 2_430_000, 'up to the last disagreeing comparison')
  t.match(sig?.evidence, { durationMinutes: 40.5, meanDistanceM: Number, maxDistanceM: Number })
  t.ok(Math.abs((sig?.evidence.meanDistanceM ?? 0) - 800) < 1, 'the distance apart')
  t.same(d.flush(), [])
})

t.test('short stretches, far-apart times, inaccurate fixes and unpaired units say nothing', async (t) => {
  const d = new PairDistance(O.pair, PAIRS)
  for (let s = 0; s <= 1200; s += 30) {
    d.observe(at('V-1', s))
    d.observe(at('P-1', s + 5, 800))
  }
  t.same(d.flush(), [], '20 min apart is under min_duration (30 min)')
  const late = new PairDistance(O.pair, PAIRS)
  late.observe(at('V-1', 0))
  for (let s = 300; s <= 4000; s += 30) late.observe(at('P-1', s, 800))
  t.same(late.flush(), [], 'the terminal silent: nothing to compare with (max_dt)')
  const vague = new PairDistance(O.pair, PAIRS)
  for (let s = 0; s <= 4000; s += 30) {
    vague.observe(at('V-1', s))
    vague.observe(at('P-1', s + 5, 800, 0, { accuracy: 900 }))
  }
  t.same(vague.flush(), [], 'network location (900 m) is not compared')
  const other = new PairDistance(O.pair, PAIRS)
  for (let s = 0; s <= 4000; s += 30) {
    other.observe(at('V-2', s))
    other.observe(at('P-2', s + 5, 800))
  }
  t.same(other.flush(), [], 'unpaired units')
})

t.test('a silence longer than max_gap ends the stretch; flush closes an open one', async (t) => {
  const d = new PairDistance(O.pair, PAIRS)
  for (let s = 0; s <= 2400; s += 30) {
    d.observe(at('V-1', s))
    d.observe(at('P-1', s + 5, 800))
  }
  const after = 2405 + 11 * 60
  const [sig] = d.observe(at('V-1', after))
  t.equal(sig?.to, T0 + 2_405_000, 'closed at the gap, before the new comparison')
  d.observe(at('P-1', after + 5, 800))
  for (let s = after + 30; s <= after + 2400; s += 30) {
    d.observe(at('V-1', s))
    d.observe(at('P-1', s + 5, 800))
  }
  t.same(d.flush().map((x) => x.from), [T0 + after * 1000], 'a new stretch from the first comparison after the gap')
})

t.test('units[].pair: another configured unit, one phone per terminal; integrity.pair defaults', async (t) => {
  const units = (list: Array<Record<string, unknown>>) => validateConfig({ units: list })
  t.same(units([{ id: 'P-1', pair: 'V-1' }, { id: 'V-1' }]).units.map((u) => u.pair), ['V-1', undefined])
  t.throws(() => units([{ id: 'P-1', pair: 'V-9' }]), /units\.P-1\.pair: no unit with id "V-9"/)
  t.throws(() => units([{ id: 'P-1', pair: 'P-1' }]), /cannot be paired with itself/)
  t.throws(() => units([{ id: 'P-1', pair: 'V-1' }, { id: 'P-2', pair: 'V-1' }, { id: 'V-1' }]), /already the pair of "P-1"/)
  t.throws(() => units([{ id: 'P-1', pair: 'V-1' }, { id: 'V-1', pair: 'W-1' }, { id: 'W-1' }]), /itself another unit's terminal/)
  t.same(O.pair, { distanceM: 500, minDurationMs: 1_800_000, maxDtMs: 120_000, maxGapMs: 600_000, maxAccuracyM: 100 })
})
