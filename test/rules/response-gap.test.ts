// response_gap on realistic GPS (test/helpers/gap-scenarios.ts): four cars parked at the quadrant
// centres of a 2 km zone (truth response ratio 0.93, min_ratio 0.8) with σ 25–40 m noise, drift,
// 2 % multipath outliers, lost locks and short dropouts, over hours of fix time. Asserts bounded
// false openings (none) and detection of a real gap (two cars leave) within dwell + a bound, and
// shows the scenario is noisy enough to matter: without the dwell the same noise opens the gap.
import t from 'tap'
import { GAP_T0, responseScenario } from '../helpers/gap-scenarios.js'

const HOUR_S = 3600
const SEEDS = [1, 2, 3]
const noise = (seed: number) => ({ sigmaM: 25 + 5 * seed, multipathRate: 0.02 })
const NO_DWELL = { response_gap: { dwell: '0s', hysteresis: 0 } }
/** Default rules.response_gap.dwell. */
const DWELL_S = 120
/** Stated bound: a real gap is confirmed at most this long after dwell has passed. */
export const RESPONSE_DETECTION_BOUND_S = 60

t.test('four cars parked on noisy GPS for a shift: response_gap never opens; without the dwell the same noise opens it', async (t) => {
  let undamped = 0
  for (const seed of SEEDS) {
    const r = responseScenario({ seed, durationS: 6 * HOUR_S, failS: null, noise: noise(seed) })
    t.same(r.clean.opened, [], `seed ${seed}: the clean reference never opens`)
    t.same(r.noisy.opened, [], `seed ${seed}: no false opening in 6 h`)
    undamped += responseScenario({ seed, durationS: 6 * HOUR_S, failS: null, noise: noise(seed), rules: NO_DWELL }).noisy.opened.length
  }
  t.ok(undamped > 0, `without dwell and hysteresis the noise alone opens response_gap ${undamped} times`)
})

t.test('two of the four cars leave: response_gap opens once, within dwell + the bound, as the clean reference does', async (t) => {
  const failS = 2 * HOUR_S
  for (const seed of SEEDS) {
    const r = responseScenario({ seed, durationS: failS + HOUR_S, failS, noise: noise(seed) })
    t.equal(r.noisy.opened.length, 1, `seed ${seed}: opened once`)
    t.equal(r.clean.opened.length, 1)
    const delayS = ((r.noisy.opened[0] as number) - GAP_T0) / 1000 - failS
    t.ok(delayS >= DWELL_S && delayS <= DWELL_S + RESPONSE_DETECTION_BOUND_S, `seed ${seed}: opened ${delayS} s after the cars left`)
    t.ok(Math.abs((r.noisy.opened[0] as number) - (r.clean.opened[0] as number)) <= 30_000, `seed ${seed}: within 30 s of the clean reference`)
  }
})
