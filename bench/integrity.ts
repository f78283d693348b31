// Patrol integrity on the GPS realism kit (test/helpers/integrity-scenarios.ts), default
// `integrity` settings: per scenario, the unit-days run, the false signals (per 100 unit-days) and,
// for a dishonest scenario, how many runs its detector caught (and named the vehicle, for a phone
// left in a car); then per detector its detection rate and its false signals per 100 unit-days
// over every unit-day it was not meant to flag (honest scenarios, and the honest units and days of
// the dishonest ones). Rows marked `beyond` are faked patrols the detectors do not promise to
// catch (their rate shows where the limit lies; they do not count in the detection column). Last, the honest scenarios again with every threshold halved, to show the
// margin the defaults keep. Seeded: the same arguments give the same figures.
//   npx tsx bench/integrity.ts [honest unit-days per scenario=200] [dishonest runs per scenario=50]
import { DEFAULT_OPTIONS as D, SCENARIOS, evaluate, type Rates } from '../test/helpers/integrity-scenarios.js'
import type { IntegrityOptions } from '../src/integrity/options.js'
import { INTEGRITY_KINDS, type IntegrityKind } from '../src/integrity/signal.js'
import { table } from './lib/measure.js'

const HONEST_UNIT_DAYS = Number(process.argv[2] ?? 200)
const DISHONEST_RUNS = Number(process.argv[3] ?? 50)
const KINDS: readonly IntegrityKind[] = INTEGRITY_KINDS

const per100 = (n: number, d: number): string => (d === 0 ? '-' : (100 * n / d).toFixed(2))
const started = Date.now()
const rows: Array<Array<string | number>> = []
const results: Array<{ expect?: IntegrityKind; limit: boolean; r: Rates }> = []
let unitDays = 0
for (const s of SCENARIOS) {
  const runs = s.honest ? Math.ceil(HONEST_UNIT_DAYS / s.build(1).unitDays) : DISHONEST_RUNS
  const r = evaluate(s, runs)
  results.push(s.expect === undefined ? { r, limit: false } : { expect: s.expect, limit: s.limit === true, r })
  unitDays += r.unitDays
  rows.push([
    s.honest ? 'honest' : s.limit === true ? 'beyond' : 'dishonest', s.name, s.expect ?? '-', r.unitDays, r.falseSignals, per100(r.falseSignals, r.unitDays),
    s.honest ? '-' : `${r.caught}/${runs}`, s.honest ? '-' : `${r.named}/${runs}`,
  ])
}
console.log(table(`Integrity scenarios (${unitDays} unit-days, ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  ['', 'scenario', 'detector', 'unit-days', 'false signals', 'per 100 unit-days', 'caught', 'named'], rows))

const perKind = KINDS.map((k) => {
  const mine = results.filter((x) => x.expect === k && !x.limit)
  const runs = mine.reduce((a, x) => a + x.r.runs, 0)
  const caught = mine.reduce((a, x) => a + x.r.caught, 0)
  const falses = results.reduce((a, x) => a + (x.r.falseByKind.get(k) ?? 0), 0)
  return [k, runs === 0 ? '-' : `${(100 * caught / runs).toFixed(1)} % (${caught}/${runs})`, falses, per100(falses, unitDays)]
})
console.log(table('Per detector (false signals over all unit-days run; target below 1 per 100)', ['detector', 'detection', 'false signals', 'per 100 unit-days'], perKind))

// The margin: honest unit-days again with every threshold at half its default (twice as eager).
const HALF: IntegrityOptions = {
  mock: { ...D.mock, minFixes: 1 },
  vehicleSpeed: { ...D.vehicleSpeed, minFastMs: D.vehicleSpeed.minFastMs / 2, speedMps: D.vehicleSpeed.speedMps / 2 },
  frozen: { ...D.frozen, minFixes: D.frozen.minFixes / 2, minDurationMs: D.frozen.minDurationMs / 2, toleranceM: D.frozen.toleranceM * 2 },
  replay: { ...D.replay, minFixes: D.replay.minFixes / 2, minDistanceM: D.replay.minDistanceM / 2, matchM: D.replay.matchM * 2 },
  stationary: { ...D.stationary, maxShare: D.stationary.maxShare / 2, minPeriodMs: D.stationary.minPeriodMs / 2 },
  pair: { ...D.pair, distanceM: D.pair.distanceM / 2, minDurationMs: D.pair.minDurationMs / 2 },
}
const honestDays = { n: 0 }
const halfFalse = new Map<IntegrityKind, number>()
for (const s of SCENARIOS.filter((x) => x.honest)) {
  const r = evaluate(s, Math.ceil(HONEST_UNIT_DAYS / s.build(1).unitDays), 1, HALF)
  honestDays.n += r.unitDays
  for (const [k, n] of r.falseByKind) halfFalse.set(k, (halfFalse.get(k) ?? 0) + n)
}
console.log(table(`Honest unit-days (${honestDays.n}) at half the default thresholds (speed 10 km/h for 12.5 of 60 min; frozen 10 fixes over 5 min within 1 m; replay 15 fixes over 150 m within 6 m; stationary share 0.25 of periods from 15 min; paired devices 250 m apart for 15 min)`,
  ['detector', 'false signals', 'per 100 unit-days'], KINDS.map((k) => [k, halfFalse.get(k) ?? 0, per100(halfFalse.get(k) ?? 0, honestDays.n)])))
