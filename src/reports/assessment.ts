// Patrol-compliance scores: a weighted mean of inputs in 0..1, with the inputs returned beside the
// score so a supervisor can check it. Missing inputs (a unit without a zone has no coverage) drop
// out of the weighting instead of counting as zero.
import type { Score } from './model.js'

export interface Weights { coverage: number; presence: number; breaches: number; silences: number }

const r4 = (x: number): number => Math.round(x * 10_000) / 10_000
const clamp01 = (x: number): number => Math.min(1, Math.max(0, x))

export function score(inputs: Record<keyof Weights, number | null>, weights: Weights): Score {
  let sum = 0
  let wsum = 0
  const shown: Record<string, number | null> = {}
  for (const k of Object.keys(weights) as Array<keyof Weights>) {
    const v = inputs[k]
    shown[k] = v === null ? null : r4(clamp01(v))
    if (v === null) continue
    sum += weights[k] * clamp01(v)
    wsum += weights[k]
  }
  return { score: wsum === 0 ? 0 : Math.round((1000 * sum) / wsum) / 10, inputs: shown, weights: { ...weights } }
}

/**
 * A unit's inputs. presence: share of its reporting time inside its zone (else its post radius);
 * breaches: 1 − breach and zone-exit time over reporting time; silences: 1 − silent share.
 * A unit that never reported earns nothing on its own inputs.
 */
export function unitInputs(u: { reportingMs: number; inZoneMs: number | null; inRadiusMs: number | null; breachMs: number; silentMs: number }, zoneCoverage: number | null): Record<keyof Weights, number | null> {
  if (u.reportingMs === 0) return { coverage: zoneCoverage, presence: 0, breaches: 0, silences: 0 }
  const inside = u.inZoneMs ?? u.inRadiusMs
  return {
    coverage: zoneCoverage,
    presence: inside === null ? null : inside / u.reportingMs,
    breaches: 1 - u.breachMs / u.reportingMs,
    silences: 1 - u.silentMs / (u.reportingMs + u.silentMs),
  }
}

export const mean = (xs: ReadonlyArray<number | null>): number | null => {
  const v = xs.filter((x): x is number => x !== null)
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length
}
