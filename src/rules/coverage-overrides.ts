// The narrow seam through which other stages steer coverage requirements at run time (patrol
// levels and incident hotspots, src/incidents/): the rule engine asks a provider once per tick
// for each zone's override and rebuilds that zone's coverage spec only when the answer changed.
// Pure: the provider owns the policy, this module only merges an override into the config spec.
import type { ZoneSpec } from './deployment.js'

export interface CoverageOverride {
  /** Replaces coverage.max_interval. */
  maxIntervalMs?: number
  /** Replaces coverage.min_ratio (coverage_gap and response_gap thresholds). */
  minRatio?: number
  /** Replaces (or adds) coverage.response_radius_m. */
  responseRadiusM?: number
  /**
   * Extra priority cells (hotspots) at the zone's coverage resolution. Cells outside the zone's
   * cells are ignored (they earn no credit); a cell already configured keeps the tighter interval.
   */
  priority?: ReadonlyArray<{ cell: string; name?: string; maxIntervalMs: number }>
}

/** Asked by RuleEngine.tick() for every zone; null = the zone's configuration as is. */
export type CoverageOverrides = (zoneId: string, now: number) => CoverageOverride | null

/** A stable key for an override, so the engine rebuilds a zone only when its override changed. */
export function overrideKey(o: CoverageOverride | null): string {
  return o === null ? '' : JSON.stringify([o.maxIntervalMs, o.minRatio, o.responseRadiusM, o.priority ?? []])
}

/** The zone spec with the override applied (the configured spec when `o` is null). */
export function applyOverride(base: ZoneSpec, o: CoverageOverride | null): ZoneSpec {
  if (o === null) return base
  const maxIntervalMs = o.maxIntervalMs ?? base.maxIntervalMs
  const minRatio = o.minRatio ?? base.minRatio
  const cells = new Set(base.coverage.cells)
  const priority = base.coverage.priority.map((p) => ({ ...p }))
  const byCell = new Map(priority.map((p) => [p.cell, p]))
  for (const p of o.priority ?? []) {
    if (!cells.has(p.cell)) continue
    const have = byCell.get(p.cell)
    if (have !== undefined) {
      have.maxIntervalMs = Math.min(have.maxIntervalMs, p.maxIntervalMs)
      continue
    }
    const entry = { cell: p.cell, maxIntervalMs: p.maxIntervalMs, ...(p.name === undefined ? {} : { name: p.name }) }
    priority.push(entry)
    byCell.set(p.cell, entry)
  }
  return {
    ...base,
    minRatio,
    maxIntervalMs,
    responseRadiusM: o.responseRadiusM ?? base.responseRadiusM,
    coverage: { ...base.coverage, maxIntervalMs, minRatio, priority },
  }
}
