import t from 'tap'
import type { Fix } from '../../src/decode/fix.js'
import { StationaryShare } from '../../src/integrity/stationary.js'
import type { IntegritySignal } from '../../src/integrity/signal.js'
import { O, T0, at } from './helpers.js'

const DAY = 86_400
const feed = (d: StationaryShare, fixes: Fix[]): IntegritySignal[] => fixes.flatMap((f) => d.observe(f))

/** `minutes` at one spot (a fix a minute, ±20 m of noise, one 150 m outlier every 40), from second `from`. */
function stay(unit: string, from: number, minutes: number, north = 0): Fix[] {
  const out: Fix[] = []
  for (let i = 0; i < minutes; i++) out.push(at(unit, from + i * 60, north + (i % 40 === 39 ? 150 : ((i * 7) % 41) - 20), ((i * 13) % 41) - 20))
  return out
}
/** `minutes` walking north at 1.3 m/s from `north0`. */
function walk(unit: string, from: number, minutes: number, north0: number): Fix[] {
  const out: Fix[] = []
  for (let i = 0; i < minutes; i++) out.push(at(unit, from + i * 60, north0 + i * 78))
  return out
}

t.test('six hours at the station in an eight-hour day: one signal when the day ends', async (t) => {
  const d = new StationaryShare(O.stationary)
  const fixes = [...walk('F-1', 0, 60, 0), ...stay('F-1', 3600, 360, 5000), ...walk('F-1', 3600 + 360 * 60, 60, 6000)]
  t.same(feed(d, fixes), [])
  const [s] = d.observe(at('F-1', DAY + 100))
  t.equal(s?.kind, 'stationary_share')
  t.equal(s?.from, T0)
  t.ok((s?.evidence.stationaryShare as number) > 0.7)
  t.equal(s?.evidence.periods, 1, 'outliers did not split the stay')
  t.ok((s?.evidence.longestMinutes as number) >= 355)
  t.same(d.flush(), [], 'the new day has one fix')
})

t.test('ordinary stops, a short day, gaps, and what is not read', async (t) => {
  const d = new StationaryShare(O.stationary)
  // Eight hours: 20-minute stops between 40-minute walks.
  const day: Fix[] = []
  for (let k = 0; k < 8; k++) day.push(...walk('F-1', k * 3600, 40, k * 10_000), ...stay('F-1', k * 3600 + 2400, 20, k * 10_000 + 3200))
  t.same([...feed(d, day), ...d.flush()], [], 'stops under min_period do not count')
  t.same([...feed(d, stay('F-2', 0, 90)), ...d.flush()], [], '90 minutes of reporting: under min_reporting')
  // Fixes an hour apart: no reporting time between them, and each breaks the stay.
  const sparse: Fix[] = []
  for (let h = 0; h < 10; h++) sparse.push(at('F-3', h * 3600))
  t.same([...feed(d, sparse), ...d.flush()], [])
  t.same(d.observe(at('F-4', 0, 0, 0, { accuracy: 300 })), [])
  t.same(d.observe(at('F-4', 0, 0, 0, { flags: 1 })), [])
  d.observe(at('F-4', 100))
  t.same(d.observe(at('F-4', 50)), [], 'older: ignored')
  const exempt = new StationaryShare(O.stationary, { exempt: (u) => u === 'W-1', dayOf: (ts) => Math.floor(ts / 3_600_000) })
  t.same([...feed(exempt, stay('W-1', 0, 400)), ...exempt.flush()], [], "a post's watch is not judged")
})
