// Hotspot scoring spec: an incident counts in its H3 cell (hotspots.resolution) with the weight of
// its type, halved every half_life of age, within the rolling window. The score of a cell is the
// sum. ClickHouse computes it (hotspot-sql.ts); scoreIncidents() here is the reference the SQL is
// tested against. Cells are then assigned to zones and the top N per zone become hotspots.
import { cellToCenterChild, cellToParent, getResolution, latLngToCell } from 'h3-js'

export interface HotspotSpec {
  resolution: number
  windowMs: number
  halfLifeMs: number
  /** Weight per type; `default` for the rest (1 when absent). */
  weights: Readonly<Record<string, number>>
  topPerZone: number
  minScore: number
}

export interface CellScore {
  cell: string
  score: number
  count: number
}

export interface Hotspot extends CellScore {
  zoneId: string
  /** The cell at the zone's coverage resolution (what becomes a priority cell). */
  zoneCell: string
}

/** Resolution incidents are stored at; hotspot cells are its ancestors. */
export const INCIDENT_CELL_RESOLUTION = 15

/**
 * An incident's cell at `resolution`: the ancestor of its resolution-15 cell, exactly what the SQL
 * computes (h3ToParent). Near cell edges this can differ from latLngToCell at `resolution`, since
 * H3 children only approximately tile their parent.
 */
export function incidentCell(lat: number, lon: number, resolution: number): string {
  return cellToParent(latLngToCell(lat, lon, INCIDENT_CELL_RESOLUTION), resolution)
}

export function typeWeight(spec: HotspotSpec, type: string): number {
  return spec.weights[type] ?? spec.weights.default ?? 1
}

/** An incident's contribution at `now`: 0 outside the window; a future time counts as age 0. */
export function incidentScore(spec: HotspotSpec, type: string, ts: number, now: number): number {
  const age = Math.max(0, now - ts)
  if (ts < now - spec.windowMs) return 0
  return typeWeight(spec, type) * Math.pow(0.5, age / spec.halfLifeMs)
}

/** Reference implementation: scores per cell, best first (ties by cell id), min_score applied. */
export function scoreIncidents(
  spec: HotspotSpec,
  incidents: Iterable<{ type: string; ts: number; lat: number; lon: number }>,
  now: number,
): CellScore[] {
  const by = new Map<string, CellScore>()
  for (const i of incidents) {
    if (i.ts < now - spec.windowMs || i.ts > now) continue
    const cell = incidentCell(i.lat, i.lon, spec.resolution)
    let c = by.get(cell)
    if (c === undefined) by.set(cell, (c = { cell, score: 0, count: 0 }))
    c.score += incidentScore(spec, i.type, i.ts, now)
    c.count++
  }
  return sortScores([...by.values()].filter((c) => c.score >= spec.minScore))
}

export function sortScores<T extends CellScore>(cells: T[]): T[] {
  // Cells are unique within one list, so ids never tie.
  return cells.sort((a, b) => b.score - a.score || (a.cell < b.cell ? -1 : 1))
}

/** A cell expressed at another resolution: its parent when coarser, its centre child when finer. */
export function cellAtResolution(cell: string, resolution: number): string {
  const r = getResolution(cell)
  if (r === resolution) return cell
  return r > resolution ? cellToParent(cell, resolution) : cellToCenterChild(cell, resolution)
}

export interface ZoneCells {
  id: string
  resolution: number
  cells: ReadonlySet<string>
}

/**
 * Top N hotspots per zone from cells already sorted best first. A cell belongs to every zone
 * holding it (at that zone's resolution); cells mapping to the same zone cell are merged.
 */
export function hotspotsByZone(spec: HotspotSpec, scores: readonly CellScore[], zones: readonly ZoneCells[]): Map<string, Hotspot[]> {
  const out = new Map<string, Hotspot[]>()
  for (const z of zones) {
    const merged = new Map<string, Hotspot>()
    for (const s of scores) {
      const zoneCell = cellAtResolution(s.cell, z.resolution)
      if (!z.cells.has(zoneCell)) continue
      const have = merged.get(zoneCell)
      if (have === undefined) merged.set(zoneCell, { ...s, zoneId: z.id, zoneCell })
      else {
        have.score += s.score
        have.count += s.count
      }
    }
    out.set(z.id, sortScores([...merged.values()]).slice(0, spec.topPerZone))
  }
  return out
}
