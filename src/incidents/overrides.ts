// Incident-guided coverage: what the rule engine asks each tick (RuleEngine.setCoverageOverrides).
// A zone's patrol level sets its requirements; its hotspot cells become priority cells with the
// level's hotspot_interval (or hotspots.max_interval). Pure over the level state and hotspots.
import type { CoverageOverride, CoverageOverrides } from '../rules/coverage-overrides.js'
import type { Hotspot } from './hotspots.js'
import type { PatrolLevels } from './levels.js'

export function hotspotName(h: Hotspot): string {
  return `hotspot cell (score ${h.score.toFixed(1)}, ${h.count} incident${h.count === 1 ? '' : 's'})`
}

export function coverageOverrides(levels: PatrolLevels, hotspots: () => ReadonlyMap<string, readonly Hotspot[]>, hotspotIntervalMs: number): CoverageOverrides {
  return (zoneId: string, now: number): CoverageOverride | null => {
    if (!levels.has(zoneId)) return null
    const l = levels.effective(zoneId, now)
    const hs = hotspots().get(zoneId) ?? []
    const o: CoverageOverride = {}
    if (l.maxIntervalMs !== undefined) o.maxIntervalMs = l.maxIntervalMs
    if (l.minRatio !== undefined) o.minRatio = l.minRatio
    if (l.responseRadiusM !== undefined) o.responseRadiusM = l.responseRadiusM
    if (hs.length > 0) {
      const maxIntervalMs = l.hotspotIntervalMs ?? hotspotIntervalMs
      o.priority = hs.map((h) => ({ cell: h.zoneCell, name: hotspotName(h), maxIntervalMs }))
    }
    return Object.keys(o).length === 0 ? null : o
  }
}
