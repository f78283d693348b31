// Exports the rule engine's state as gauges after every tick: coverage and response ratios per
// zone, open alerts per kind (every kind, so a resolved kind drops to 0), live units.
import { ALERT_KINDS } from './alert-event.js'
import type { RuleEngine } from './engine.js'
import type { Metrics } from '../telemetry/metrics.js'

type RuleGauges = Pick<Metrics, 'zoneCoverage' | 'zoneResponse' | 'alertsOpen' | 'unitsLive'>
type RuleViews = Pick<RuleEngine, 'zones' | 'openAlerts' | 'units'>

export function exportRuleGauges(m: RuleGauges, rules: RuleViews, now: number): void {
  for (const z of rules.zones(now)) {
    m.zoneCoverage.set({ zone: z.id }, z.ratio)
    if (z.responseRatio !== null) m.zoneResponse.set({ zone: z.id }, z.responseRatio)
  }
  const open = new Map<string, number>(ALERT_KINDS.map((k) => [k, 0]))
  for (const a of rules.openAlerts()) open.set(a.kind, (open.get(a.kind) ?? 0) + 1)
  for (const [kind, n] of open) m.alertsOpen.set({ kind }, n)
  m.unitsLive.set(rules.units(now).filter((u) => u.lastFix !== null && !u.silent).length)
}
