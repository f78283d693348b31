// Patrol-compliance scores with their inputs (each 0..1, or null when there is no data for it)
// returned beside the score so a supervisor can check it. A missing input is shown as null and
// the score is computed over the inputs that exist; with no input at all the score is null
// ("no data"), never 100. A unit's score is activity × conduct: activity is what it did for its
// mode (moving patrol, or stationed watch where its post asks for one), conduct is how it kept to
// its zone, its post and its reporting. Parking, however disciplined, earns no patrol.
import type { Score } from './model.js'

export interface Weights { coverage: number; moving: number; cells: number; presence: number; breaches: number; silences: number }
export type Mode = 'patrol' | 'watch'

/** Each minute of silence counts this many times its share of the duty time against `silences`. */
export const SILENCE_PENALTY = 4

const r4 = (x: number): number => Math.round(x * 10_000) / 10_000
const clamp01 = (x: number): number => Math.min(1, Math.max(0, x))

/** Weighted mean (0..1) of the present inputs, or null when none is present (or all weigh 0). */
function weighted(inputs: Record<string, number | null>, weights: Record<string, number>): number | null {
  let sum = 0
  let wsum = 0
  for (const [k, v] of Object.entries(inputs)) {
    const w = weights[k] ?? 0
    if (v === null || w === 0) continue
    sum += w * clamp01(v)
    wsum += w
  }
  return wsum === 0 ? null : sum / wsum
}

const shown = (inputs: Record<string, number | null>): Record<string, number | null> =>
  Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v === null ? null : r4(clamp01(v))]))

const pick = (w: Weights, keys: readonly string[]): Record<string, number> => Object.fromEntries(keys.map((k) => [k, w[k as keyof Weights]]))
const to100 = (x: number | null): number | null => (x === null ? null : Math.round(1000 * x) / 10)

/** A zone's or a post's score: the weighted mean of its inputs (keys of Weights). */
export function score(inputs: Partial<Record<keyof Weights, number | null>>, weights: Weights): Score {
  const w = pick(weights, Object.keys(inputs))
  return { score: to100(weighted(inputs as Record<string, number | null>, w)), inputs: shown(inputs as Record<string, number | null>), weights: w }
}

export interface UnitFacts {
  mode: Mode
  reportingMs: number
  silentMs: number
  movingMs: number
  /** Stationary time within its post's radius (stops there), or null without a post. */
  watchMs: number | null
  /** Its zone's cells it passed through (on the filtered track). */
  cellsVisited: number
  /** Cells of its zone, or null without a zone. */
  zoneCells: number | null
  inZoneMs: number | null
  inRadiusMs: number | null
  breachMs: number
}

/**
 * A unit's assessment. On duty = reporting + silent time. Patrol mode: `moving` = moving share of
 * the duty time over `movingTarget` (the share that earns full credit), `cells` = distinct cells
 * visited over its zone's cell count (coverage it earned). Watch mode: `watch` = stationary time in
 * its post's radius over the duty time. Conduct: `presence` = time in its zone (else post radius)
 * over reporting time, `breaches` = 1 − (breach + zone-exit time)/reporting, `silences` = 1 −
 * SILENCE_PENALTY × silent share of duty. A unit with no fix at all has no data: score null.
 */
export function unitAssessment(u: UnitFacts, weights: Weights, movingTarget: number): Score {
  const duty = u.reportingMs + u.silentMs
  const none = u.reportingMs === 0
  const activity: Record<string, number | null> = u.mode === 'watch'
    ? { watch: none || u.watchMs === null ? null : u.watchMs / duty }
    : { moving: none ? null : u.movingMs / duty / movingTarget, cells: none || u.zoneCells === null || u.zoneCells === 0 ? null : u.cellsVisited / u.zoneCells }
  const inside = u.inZoneMs ?? u.inRadiusMs
  const conduct: Record<string, number | null> = {
    presence: none || inside === null ? null : inside / u.reportingMs,
    breaches: none ? null : 1 - u.breachMs / u.reportingMs,
    silences: none ? null : 1 - (SILENCE_PENALTY * u.silentMs) / duty,
  }
  const w = { ...pick(weights, u.mode === 'watch' ? [] : ['moving', 'cells']), ...(u.mode === 'watch' ? { watch: 1 } : {}), ...pick(weights, ['presence', 'breaches', 'silences']) }
  const a = weighted(activity, w)
  const c = weighted(conduct, w)
  // Conduct without activity data (a watch unit without a post) is no evidence of duty done.
  const s = a === null ? null : a * (c ?? 1)
  return { score: to100(s), mode: u.mode, inputs: shown({ ...activity, ...conduct }), weights: w }
}

export const mean = (xs: ReadonlyArray<number | null>): number | null => {
  const v = xs.filter((x): x is number => x !== null)
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length
}
