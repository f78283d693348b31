import { SCENARIOS, evaluate } from '../test/helpers/integrity-scenarios.js'
for (const s of SCENARIOS.filter((x) => x.name.startsWith('crew'))) {
  const t0 = Date.now()
  const r = evaluate(s, s.honest ? 50 : 20)
  console.log(s.name, r.unitDays, r.falseSignals, [...r.falseByKind], r.caught, r.named, [...r.byKind], Date.now() - t0)
}
