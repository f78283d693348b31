// A spatial index of moving points for k-nearest search: a fixed 0.01° lat/lon grid (about
// 1.1 km × 0.9 km at 36°N), searched in growing square rings around the query cell. It stops
// once k accepted points are nearer than anything outside the rings can be, so a query costs a
// few cells however many points are indexed. Updating a point is O(1). Pure, no I/O.
import { haversineM } from './distance.js'

const CELL_DEG = 0.01
const ROWS = Math.round(180 / CELL_DEG)
const COLS = Math.round(360 / CELL_DEG)
/** Metres per degree of latitude (lower bound for the haversine sphere used by distance.ts). */
const M_PER_DEG = 111_194
/** Beyond this many rings (or near the poles) the search scans every point instead. */
const MAX_RINGS = 400

interface Entry<T> {
  key: string
  lat: number
  lon: number
  cell: number
  value: T
}

export interface Hit<T> {
  value: T
  distanceM: number
}

function rowOf(lat: number): number {
  return Math.min(ROWS - 1, Math.max(0, Math.floor((lat + 90) / CELL_DEG)))
}
function colOf(lon: number): number {
  // lon = 180 wraps to column 0 (the same meridian as -180).
  return Math.floor((lon + 180) / CELL_DEG) % COLS
}

export class UnitGrid<T> {
  private readonly cells = new Map<number, Map<string, Entry<T>>>()
  private readonly byKey = new Map<string, Entry<T>>()

  get size(): number {
    return this.byKey.size
  }

  /** Adds or moves a point. */
  set(key: string, lat: number, lon: number, value: T): void {
    const cell = rowOf(lat) * COLS + colOf(lon)
    let e = this.byKey.get(key)
    if (e === undefined) {
      e = { key, lat, lon, cell, value }
      this.byKey.set(key, e)
    } else {
      if (e.cell !== cell) this.cells.get(e.cell)?.delete(key)
      e.lat = lat
      e.lon = lon
      e.value = value
      if (e.cell === cell) return
      e.cell = cell
    }
    let m = this.cells.get(cell)
    if (m === undefined) this.cells.set(cell, (m = new Map()))
    m.set(key, e)
  }

  delete(key: string): void {
    const e = this.byKey.get(key)
    if (e === undefined) return
    this.byKey.delete(key)
    const m = this.cells.get(e.cell) as Map<string, Entry<T>>
    m.delete(key)
    if (m.size === 0) this.cells.delete(e.cell)
  }

  /**
   * The k nearest accepted points, nearest first (ties by key), within maxDistanceM if given.
   * `accept` filters (kind, silence) without leaving the index.
   */
  nearest(lat: number, lon: number, k: number, opts: { maxDistanceM?: number | undefined; accept?: (v: T) => boolean } = {}): Array<Hit<T>> {
    const max = opts.maxDistanceM ?? Infinity
    const accept = opts.accept ?? (() => true)
    const found: Array<Entry<T> & { d: number }> = []
    const consider = (e: Entry<T>): void => {
      if (!accept(e.value)) return
      const d = haversineM(lat, lon, e.lat, e.lon)
      if (d <= max) found.push({ ...e, d })
    }
    const row = rowOf(lat)
    const col = colOf(lon)
    const kth = (): number => {
      if (found.length < k) return Infinity
      found.sort(byDistance)
      found.length = k
      return (found[k - 1] as { d: number }).d
    }
    let scanned = false
    if (k <= 0) return []
    // Looking up more cells than are occupied costs more than reading every point: scan instead.
    const lookupBudget = 2 * this.cells.size + 64
    let lookups = 0
    for (let r = 0; ; r++) {
      // Nearest any point outside rings 0..r can be: r whole cells in latitude, or in longitude at
      // the ring's widest latitude (cells narrow towards the poles).
      const maxAbsLat = Math.min(90, Math.max(Math.abs(lat - (r + 1) * CELL_DEG), Math.abs(lat + (r + 1) * CELL_DEG)))
      lookups += r === 0 ? 1 : 8 * r
      if (r > MAX_RINGS || maxAbsLat > 85 || lookups > lookupBudget) {
        found.length = 0
        for (const e of this.byKey.values()) consider(e)
        scanned = true
        break
      }
      this.ring(row, col, r, consider)
      const bound = r * CELL_DEG * M_PER_DEG * Math.min(1, Math.cos((maxAbsLat * Math.PI) / 180)) * 0.99
      if (bound >= max || kth() <= bound) break
    }
    if (scanned || found.length > k) kth()
    found.sort(byDistance)
    return found.slice(0, Math.max(0, k)).map((e) => ({ value: e.value, distanceM: e.d }))
  }

  private ring(row: number, col: number, r: number, visit: (e: Entry<T>) => void): void {
    // Rows stay inside the grid: rings stop (and scan) before they reach within 5° of a pole.
    const cellAt = (rr: number, cc: number): void => {
      const m = this.cells.get(rr * COLS + (((cc % COLS) + COLS) % COLS))
      if (m !== undefined) for (const e of m.values()) visit(e)
    }
    if (r === 0) return cellAt(row, col)
    for (let c = col - r; c <= col + r; c++) {
      cellAt(row - r, c)
      cellAt(row + r, c)
    }
    for (let rr = row - r + 1; rr <= row + r - 1; rr++) {
      cellAt(rr, col - r)
      cellAt(rr, col + r)
    }
  }
}

function byDistance(a: { d: number; key: string }, b: { d: number; key: string }): number {
  // Keys are unique, so they never tie.
  return a.d - b.d || (a.key < b.key ? -1 : 1)
}
