// The headline: configured vs unknown reporting units, sums and means over the rows.
import t from 'tap'
import { headline } from '../../src/reports/headline.js'
import type { UnitRow, ZoneRow } from '../../src/reports/model.js'

const unit = (unitId: string, fixes: number, distanceKm: number, score: number | null, n: number): UnitRow =>
  ({ unitId, fixes, distanceKm, breaches: { count: n, totalMs: 0 }, zoneExits: { count: 2 * n, totalMs: 0 }, silent: { count: 3 * n, totalMs: 0 }, assessment: { score, inputs: {}, weights: {} } } as unknown as UnitRow)
const zone = (mean: number | null, belowMinMs: number, gaps: number): ZoneRow => ({ coverage: { mean, belowMinMs }, gaps: { count: gaps } } as unknown as ZoneRow)
const dep = { units: new Map([['A', {}], ['B', {}], ['C', {}]]) } as never

t.test('headline counts, sums and means', async (t) => {
  const units = [unit('A', 10, 1.26, 80, 1), unit('B', 0, 0, null, 0), unit('C', 5, 2.5, 61, 2), unit('X', 3, 0.3, 10, 1)]
  t.same(headline(dep, units, [zone(0.81234, 0, 1), zone(0.5, 60_000, 2), zone(null, 0, 0)]), {
    unitsConfigured: 3,
    unitsReporting: 2,
    unknownUnitsReporting: 1,
    distanceKm: 4.1,
    coverageMean: 0.6562,
    zonesBelowMin: 1,
    coverageGaps: 3,
    breaches: 4,
    zoneExits: 8,
    silences: 12,
    meanUnitScore: 70.5,
  })
})

t.test('nothing to average: null means', async (t) => {
  const h = headline({ units: new Map() } as never, [], [])
  t.equal(h.coverageMean, null)
  t.equal(h.meanUnitScore, null)
  t.equal(h.distanceKm, 0)
})
