import { SCENARIOS, evaluate } from '../test/helpers/integrity-scenarios.js'
const n = Number(process.argv[2] ?? 5)
for (const s of SCENARIOS) {
  const t = Date.now()
  const r = evaluate(s, n)
  console.log(s.name, 'unitDays', r.unitDays, 'false', r.falseSignals, 'caught', r.caught, 'named', r.named, [...r.byKind], `${Date.now() - t}ms`)
}
