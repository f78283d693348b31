// Zone geometry → H3 cell sets, and the small H3 neighbourhood helpers the coverage rules need.
// Pure wrappers over h3-js; failures that can happen on valid input (pentagons, distant cells)
// degrade to a safe answer instead of throwing into the rule engine.
import { polygonToCells, cellToLatLng, gridDistance, gridPathCells, gridDisk } from 'h3-js'
import { haversineM } from './distance.js'
import { polygonsOf, type ZoneGeometry } from './polygon.js'

/** Cells whose centres lie inside the geometry (holes excluded), deduplicated and sorted. */
export function polygonCells(geometry: ZoneGeometry, resolution: number): string[] {
  const set = new Set<string>()
  for (const rings of polygonsOf(geometry)) {
    for (const c of polygonToCells(rings, resolution, true)) set.add(c)
  }
  return [...set].sort()
}

export function cellCentre(cell: string): { lat: number; lon: number } {
  const [lat, lon] = cellToLatLng(cell)
  return { lat, lon }
}

/** The H3 grid path between two cells, ends included; [from, to] when H3 cannot draw one. */
export function pathCells(from: string, to: string): string[] {
  if (from === to) return [from]
  try {
    // Neighbours (the common case: a unit moving one cell between fixes) have no cell between
    // them: gridDistance costs a sixth of gridPathCells, which would give the same two cells.
    if (gridDistance(from, to) === 1) return [from, to]
    return gridPathCells(from, to)
  } catch {
    // Pentagon distortion, cells too far apart or of different resolutions: credit the ends only.
    return [from, to]
  }
}

/**
 * Centre-to-centre distance from a cell to its nearest neighbour, in metres. H3 cells vary in
 * size by ~2× across the globe, so this is measured on the spot rather than taken from a table.
 */
export function neighbourSpacingM(cell: string): number {
  const c = cellCentre(cell)
  let best = Infinity
  for (const n of gridDisk(cell, 1)) {
    if (n === cell) continue
    const nc = cellCentre(n)
    const d = haversineM(c.lat, c.lon, nc.lat, nc.lon)
    if (d < best) best = d
  }
  return best
}

/**
 * A grid distance k such that gridDisk(cell, k) holds every cell whose centre is within radiusM
 * of any point of `cell`. On a hex grid with centre spacing s, ring k is at least k·s·√3/2 away,
 * and a point of the cell is at most s/√3 from its centre; one extra ring absorbs distortion.
 */
export function diskK(cell: string, radiusM: number): number {
  const s = neighbourSpacingM(cell)
  return Math.ceil((radiusM + s / Math.sqrt(3)) / ((s * Math.sqrt(3)) / 2)) + 1
}

/** Cells whose centres are within radiusM of the cell's centre (the cell itself included). */
export function disk(cell: string, radiusM: number): string[] {
  if (!(radiusM >= 0)) return []
  const c = cellCentre(cell)
  const out: string[] = []
  for (const n of gridDisk(cell, diskK(cell, radiusM))) {
    const nc = cellCentre(n)
    if (haversineM(c.lat, c.lon, nc.lat, nc.lon) <= radiusM) out.push(n)
  }
  return out
}
