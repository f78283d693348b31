// The report's headline: counts and sums over the unit and zone rows. Pure; sums run in the rows'
// order (configuration order), so a headline figure never depends on how the rows are sorted.
import type { Deployment } from '../rules/deployment.js'
import { mean } from './assessment.js'
import type { Headline, UnitRow, ZoneRow } from './model.js'

export function headline(dep: Pick<Deployment, 'units'>, units: readonly UnitRow[], zones: readonly ZoneRow[]): Headline {
  const configured = (u: UnitRow) => dep.units.has(u.unitId)
  return {
    unitsConfigured: dep.units.size,
    unitsReporting: units.filter((u) => u.fixes > 0 && configured(u)).length,
    unknownUnitsReporting: units.filter((u) => u.fixes > 0 && !configured(u)).length,
    distanceKm: Math.round(units.reduce((a, u) => a + u.distanceKm, 0) * 10) / 10,
    coverageMean: round4(mean(zones.map((z) => z.coverage.mean))),
    zonesBelowMin: zones.filter((z) => z.coverage.belowMinMs > 0).length,
    coverageGaps: zones.reduce((a, z) => a + z.gaps.count, 0),
    breaches: units.reduce((a, u) => a + u.breaches.count, 0),
    zoneExits: units.reduce((a, u) => a + u.zoneExits.count, 0),
    silences: units.reduce((a, u) => a + u.silent.count, 0),
    meanUnitScore: round1(mean(units.filter(configured).map((u) => u.assessment.score))),
  }
}

const round4 = (x: number | null): number | null => (x === null ? null : Math.round(x * 10_000) / 10_000)
const round1 = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10)
