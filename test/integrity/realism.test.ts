// Issue 25, patrol integrity: each detector on the realism kit (test/helpers/integrity-scenarios.ts).
// Honest unit-days (foot and vehicle patrols, short ride-alongs, a long parked break, network
// location): fewer than one false signal per 100 unit-days, at least 100 unit-days each. Dishonest
// ones (mock location, phone in a car, replayed track, frozen position, phone at the station):
// every one caught by its detector, on the right unit and day, and nothing said about anyone else.
import t from 'tap'
import { SCENARIOS, evaluate } from '../helpers/integrity-scenarios.js'

for (const s of SCENARIOS.filter((x) => x.honest)) {
  t.test(`honest: ${s.name}`, async (t) => {
    // Two unit-days per unit and run: 50 runs of one unit, or 25 of two, is 100 unit-days.
    const probe = s.build(1)
    const runs = Math.ceil(100 / probe.unitDays)
    const r = evaluate(s, runs)
    t.ok(r.unitDays >= 100, `${r.unitDays} unit-days`)
    t.ok(r.falseSignals / r.unitDays < 0.01, `${r.falseSignals} false signals in ${r.unitDays} unit-days: ${JSON.stringify([...r.byKind])}`)
  })
}

for (const s of SCENARIOS.filter((x) => !x.honest && x.limit !== true)) {
  t.test(`dishonest: ${s.name} → ${s.expect}`, async (t) => {
    const runs = 20
    const r = evaluate(s, runs)
    t.equal(r.caught, runs, `caught in ${r.caught} of ${runs}`)
    t.equal(r.named, runs, 'the vehicle it rode in is named (phone in a car)')
    t.equal(r.falseSignals, 0, `nothing said about honest units or days: ${JSON.stringify([...r.byKind])}`)
  })
}
