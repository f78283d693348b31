// Builds the periodic coverage snapshot record: one `coverage` row per zone cell (last visit,
// fresh or not, centre for maps) and one `coverage_zones` row per zone (ratios over time).
import { cellCentre } from '../geo/cells.js'
import type { RuleEngine } from '../rules/engine.js'
import { RecordBuilder, coverageRow, zoneStatsRow } from './record.js'

const centres = new Map<string, { lat: number; lon: number }>()
function centre(cell: string): { lat: number; lon: number } {
  let c = centres.get(cell)
  if (c === undefined) centres.set(cell, (c = cellCentre(cell)))
  return c
}

/** Freshness comes from the engine, by each cell's own interval (an overdue priority cell is never fresh). */
export function coverageRecord(engine: RuleEngine, now: number): Buffer | null {
  const b = new RecordBuilder()
  const live = new Map<string, number>()
  for (const u of engine.units(now)) if (u.zone !== null && !u.silent && u.lastFix !== null) live.set(u.zone, (live.get(u.zone) ?? 0) + 1)
  for (const z of engine.zones(now)) {
    b.add('z', zoneStatsRow(now, { zoneId: z.id, ratio: z.ratio, fresh: z.fresh, cells: z.cellCount, responseRatio: z.responseRatio, liveUnits: live.get(z.id) ?? 0 }))
  }
  for (const c of engine.coverageSnapshot(now)) {
    const { lat, lon } = centre(c.cell)
    b.add('c', coverageRow(now, { zoneId: c.zoneId, cell: c.cell, lat, lon, lastVisit: c.lastVisit, fresh: c.fresh }))
  }
  return b.empty ? null : b.build()
}
