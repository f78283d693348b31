// What the rules made of a benchmark's fixes, read from the engine's own counters after the
// measured part: fixes flagged (kept from the rules: impossible_speed, too_late, future_ts,
// duplicate), rejects by reason, alert transitions, units tracked that the config does not know.
// One line, so a benchmark shows which path its stream took (bench/lib/tracks.ts).
import type { Engine } from '../../src/engine.js'

type Values = Array<{ labels: Record<string, unknown>; value: number }>

const list = (vs: Values, key: (l: Record<string, unknown>) => string): string =>
  vs.filter((v) => v.value > 0).map((v) => `${key(v.labels)} ${v.value}`).join(', ') || 'none'

/** `fixes`: how many the benchmark sent. */
export async function ruleOutcomes(engine: Engine, fixes: number): Promise<string> {
  const m = engine.metrics
  const [flagged, rejects, alerts] = await Promise.all([m.fixesFlagged.get(), m.rejects.get(), m.alertTransitions.get()])
  const rules = engine.testHandle().rules
  // The counter counts flags, not fixes: a fix both too late and too fast counts under each.
  return `flags on ${fixes.toLocaleString('en-US')} fixes: ${list(flagged.values, (l) => String(l.flag))}; ` +
    `rejects: ${list(rejects.values, (l) => String(l.reason))}; alert transitions: ${list(alerts.values, (l) => `${String(l.kind)}.${String(l.state)}`)}; ` +
    `units tracked not in the config ${rules?.unknownUnits ?? 0}, fixes of untracked units ${rules?.untrackedFixes ?? 0}`
}
