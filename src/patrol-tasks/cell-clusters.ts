// Make-up patrol work: overdue cells grouped into the areas one unit can sweep. Cells within
// `linkRings` H3 steps of each other belong together (single linkage, union-find), so a hole in the
// patrol becomes one task, not one per cell; an area larger than `maxCells` is cut into pieces of
// neighbouring cells. Pure and deterministic: the same cells give the same clusters and ids.
import { cellToLatLng, cellToLocalIj, gridDisk, gridDistance } from 'h3-js'

export interface OverdueCell {
  cell: string
  lat: number
  lon: number
  /** Last visit, epoch ms; null when never visited. */
  lastVisit: number | null
  priority: boolean
}

export interface CellCluster {
  /** `<zone>:<smallest cell>`: stable while the cluster keeps that cell. */
  id: string
  zoneId: string
  cells: OverdueCell[]
  lat: number
  lon: number
  priorityCells: number
  /** The oldest last visit (null: a cell never visited). */
  oldestVisit: number | null
}

export interface ClusterSettings {
  linkRings: number
  maxCells: number
}

/** Grid distance, or Infinity for cells H3 cannot relate (pentagon distortion, far apart). */
function steps(a: string, b: string): number {
  try {
    return gridDistance(a, b)
  } catch {
    return Infinity
  }
}

function find(parent: number[], i: number): number {
  let r = i
  while (parent[r] !== r) r = parent[r] as number
  while (parent[i] !== r) {
    const next = parent[i] as number
    parent[i] = r
    i = next
  }
  return r
}

/**
 * Grid distances within a group from local IJ coordinates, each cell placed once against one
 * origin: H3's gridDistance places the second cell against the first on every call, which is what
 * made cutting a zone-wide hole slow. Two cells' distance is then arithmetic on their coordinates
 * (the same IJK normalisation gridDistance applies). Null when H3 cannot place a cell (pentagon
 * distortion, too far apart): the caller asks gridDistance instead.
 */
export function localSteps(cells: readonly string[]): ((a: string, b: string) => number) | null {
  const origin = cells[0]
  if (origin === undefined) return null
  const ij = new Map<string, { i: number; j: number }>()
  try {
    for (const c of cells) ij.set(c, cellToLocalIj(origin, c))
  } catch {
    return null
  }
  return (a, b) => {
    const p = ij.get(a)
    const q = ij.get(b)
    if (p === undefined || q === undefined) return steps(a, b)
    const di = q.i - p.i
    const dj = q.j - p.j
    // IJK with k = 0, normalised: same signs → the larger, opposite signs → the sum.
    return (di >= 0) === (dj >= 0) ? Math.max(Math.abs(di), Math.abs(dj)) : Math.abs(di) + Math.abs(dj)
  }
}

/** Cuts an oversized group into pieces of at most `max`, each grown from its first cell by nearness. */
function cut(cells: OverdueCell[], max: number): OverdueCell[][] {
  if (cells.length <= max) return [cells]
  const left = [...cells]
  const out: OverdueCell[][] = []
  const dist = localSteps(cells.map((c) => c.cell)) ?? steps
  while (left.length > 0) {
    const seed = left.shift() as OverdueCell
    // One grid distance per cell and piece (not per comparison): a zone-wide hole of 1,000 cells cuts in milliseconds.
    const d = new Map(left.map((c) => [c.cell, dist(seed.cell, c.cell)]))
    left.sort((a, b) => (d.get(a.cell) as number) - (d.get(b.cell) as number) || (a.cell < b.cell ? -1 : 1))
    out.push([seed, ...left.splice(0, max - 1)])
  }
  return out
}

function summarise(zoneId: string, cells: OverdueCell[]): CellCluster {
  const sorted = [...cells].sort((a, b) => (a.cell < b.cell ? -1 : a.cell > b.cell ? 1 : 0))
  let lat = 0
  let lon = 0
  let oldest: number | null | undefined
  for (const c of sorted) {
    lat += c.lat
    lon += c.lon
    if (c.lastVisit === null) oldest = null
    else if (oldest !== null && (oldest === undefined || c.lastVisit < oldest)) oldest = c.lastVisit
  }
  return {
    id: `${zoneId}:${(sorted[0] as OverdueCell).cell}`,
    zoneId,
    cells: sorted,
    lat: lat / sorted.length,
    lon: lon / sorted.length,
    priorityCells: sorted.filter((c) => c.priority).length,
    oldestVisit: oldest ?? null,
  }
}

/** Most urgent first: more priority cells, then a cell never visited or visited longest ago, then size. */
export function urgencyOrder(a: CellCluster, b: CellCluster): number {
  return b.priorityCells - a.priorityCells
    || (a.oldestVisit ?? -Infinity) - (b.oldestVisit ?? -Infinity)
    || b.cells.length - a.cells.length
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/**
 * Clusters of a zone's overdue cells, most urgent first. Each cell is linked to the overdue cells in
 * its disk of linkRings (O(n·k), k = 3r² + 3r + 1 cells per disk), not to every other cell: a
 * zone's whole stale list (up to a thousand cells) clusters in milliseconds.
 */
export function clusterCells(zoneId: string, cells: readonly OverdueCell[], s: ClusterSettings): CellCluster[] {
  const unique = [...new Map(cells.map((c) => [c.cell, c])).values()]
  const index = new Map(unique.map((c, i) => [c.cell, i]))
  const parent = unique.map((_, i) => i)
  for (let i = 0; i < unique.length; i++) {
    for (const near of gridDisk((unique[i] as OverdueCell).cell, s.linkRings)) {
      const j = index.get(near)
      if (j !== undefined && j !== i) parent[find(parent, j)] = find(parent, i)
    }
  }
  const groups = new Map<number, OverdueCell[]>()
  unique.forEach((c, i) => {
    const r = find(parent, i)
    const g = groups.get(r)
    if (g === undefined) groups.set(r, [c])
    else g.push(c)
  })
  const out: CellCluster[] = []
  for (const g of groups.values()) {
    g.sort((a, b) => Number(b.priority) - Number(a.priority) || (a.cell < b.cell ? -1 : 1))
    for (const piece of cut(g, Math.max(1, s.maxCells))) out.push(summarise(zoneId, piece))
  }
  return out.sort(urgencyOrder)
}

/** An overdue cell from a bare H3 id (centre as its position), for callers holding only ids. */
export function overdueCell(cell: string, lastVisit: number | null, priority = false): OverdueCell {
  const [lat, lon] = cellToLatLng(cell)
  return { cell, lat, lon, lastVisit, priority }
}
