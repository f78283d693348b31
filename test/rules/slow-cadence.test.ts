// Phones at their apps' default cadence (Traccar Client: a fix every 300 s) on the GPS realism
// kit. A rule's run may pause at most max(dwell, 60 s) between fixes, so such a phone used to be
// unable to breach at all: 100 min 5 km outside its post raised nothing. The pause a run may take
// now stretches to 1.5 × the unit's reporting interval (learned from its arrivals, or configured),
// so the phone breaches after three fixes outside (15 min at 300 s; 25 min when a fix in the run
// is lost or an outlier) and resolves after three
// inside. Error rates over SEEDS seeded 6-hour days: every excursion caught once and resolved; no
// false opening for phones patrolling 200–400 m inside the radius at the same cadence.
import t from 'tap'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { drive, generateTrack, mergeByArrival, offsetM, waypoints, type LatLon } from '../helpers/gps-realism.js'
import { BASE, T0, config, standardRaw } from './helpers.js'

const SEEDS = Number(process.env.SLOW_SEEDS ?? 6)
const HOURS = 6
const INSIDE = 4
const raw = standardRaw({
  units: [
    { id: 'OUT', kind: 'officer', post: 'station-03', zone: 'grid-2' },
    ...Array.from({ length: INSIDE }, (_, i) => ({ id: `IN-${i}`, kind: 'officer', post: 'station-03' })),
  ],
})

function circling(r: number, speed: number, phase: number): (tS: number) => LatLon {
  return (tS) => {
    const th = phase + (speed * tS) / r
    return offsetM(BASE, r * Math.cos(th), r * Math.sin(th))
  }
}

t.test(`a phone reporting every 300 s: 100 min 5 km outside is one breach; ${INSIDE} phones inside raise none (${SEEDS} days)`, async (t) => {
  let caught = 0
  let falseOpenings = 0
  const delays: number[] = []
  for (let seed = 1; seed <= SEEDS; seed++) {
    const e = new RuleEngine(compileDeployment(config(raw)), { startedAt: T0 })
    const inside = offsetM(BASE, 500, 0)
    const far = offsetM(BASE, 5000, 0)
    const out = generateTrack({
      seed, unitId: 'OUT', start: T0, durationS: HOURS * 3600, periodS: 300,
      truth: waypoints([[0, inside], [3600, inside], [3900, far], [3900 + 6000, far], [4200 + 6000, inside]]),
      noise: { sigmaM: 15 },
    })
    const others = Array.from({ length: INSIDE }, (_, i) => generateTrack({
      seed: seed * 100 + i, unitId: `IN-${i}`, start: T0 + i * 37_000, durationS: HOURS * 3600, periodS: 300,
      truth: circling(1100 + 100 * i, 1.2, i), noise: { sigmaM: 15 },
    }))
    const events = drive(e, mergeByArrival(out, ...others), { start: T0, until: T0 + HOURS * 3600_000 }) as AlertEvent[]
    const breach = events.filter((x) => x.kind === 'radius_breach')
    const mine = breach.filter((x) => x.unitId === 'OUT')
    if (mine.map((x) => x.state).join() === 'opened,resolved') caught++
    t.same(mine.map((x) => x.state), ['opened', 'resolved'], `seed ${seed}: one breach, resolved after the return`)
    const opened = mine.find((x) => x.state === 'opened')
    if (opened !== undefined) delays.push((opened.at - (T0 + 3900_000)) / 60_000)
    falseOpenings += breach.filter((x) => x.unitId !== 'OUT' && x.state === 'opened').length
  }
  t.equal(caught, SEEDS, 'every excursion caught')
  t.equal(falseOpenings, 0, `no false opening in ${SEEDS * INSIDE * HOURS} unit-hours inside`)
  t.ok(delays.every((d) => d <= 30), `opened ${delays.map((d) => d.toFixed(1)).join(', ')} min after arriving 5 km out (three fixes at 300 s)`)
})
