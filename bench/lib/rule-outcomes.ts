// What the rules made of a benchmark's fixes, read from the engine's own counters after the
// measured part: fixes flagged (kept from the rules: impossible_speed, too_late, future_ts,
// duplicate), rejects by reason, alert transitions, units tracked that the config does not know.
// One line, so a benchmark shows which path its stream took (bench/lib/tracks.ts). A benchmark
// that scripts alerts of its own counts the others' transitions itself (countTransition) and
// passes them in place of the engine's counter.
import type { Engine } from '../../src/engine.js'

type Values = Array<{ labels: Record<string, unknown>; value: number }>

const list = (vs: Values, key: (l: Record<string, unknown>) => string): string =>
  vs.filter((v) => v.value > 0).map((v) => `${key(v.labels)} ${v.value}`).join(', ') || 'none'

/** Alert transitions by `kind.state`, counted by the benchmark. */
export type TransitionCounts = Map<string, number>

/** Counts one transition (`kind.state`) unless its unit is one of `skip` (the benchmark's scripted units). Pure. */
export function countTransition(counts: TransitionCounts, e: { kind: string; state: string; unitId?: string | null }, skip: ReadonlySet<string>): void {
  if (e.unitId != null && skip.has(e.unitId)) return
  const k = `${e.kind}.${e.state}`
  counts.set(k, (counts.get(k) ?? 0) + 1)
}

/** `kind.state n, …` in the counter's order, or `none`. Pure. */
export function formatTransitions(counts: ReadonlyMap<string, number>): string {
  return list([...counts].map(([k, value]) => ({ labels: { k }, value })), (l) => String(l.k))
}

/**
 * `fixes`: how many the benchmark sent. `alerts`: the transitions to print instead of the
 * engine's counter (which counts every one), with what they are (e.g. "of the background units").
 */
export async function ruleOutcomes(engine: Engine, fixes: number, alerts?: { counts: ReadonlyMap<string, number>; label: string }): Promise<string> {
  const m = engine.metrics
  const [flagged, rejects, transitions] = await Promise.all([m.fixesFlagged.get(), m.rejects.get(), m.alertTransitions.get()])
  const rules = engine.testHandle().rules
  const alertText = alerts === undefined
    ? `alert transitions: ${list(transitions.values, (l) => `${String(l.kind)}.${String(l.state)}`)}`
    : `alert transitions ${alerts.label}: ${formatTransitions(alerts.counts)}`
  // The counter counts flags, not fixes: a fix both too late and too fast counts under each.
  return `flags on ${fixes.toLocaleString('en-US')} fixes: ${list(flagged.values, (l) => String(l.flag))}; ` +
    `rejects: ${list(rejects.values, (l) => String(l.reason))}; ${alertText}; ` +
    `units tracked not in the config ${rules?.unknownUnits ?? 0}, fixes of untracked units ${rules?.untrackedFixes ?? 0}`
}
