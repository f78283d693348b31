// Response coverage of one zone: the share of its cells whose centre some unit could reach
// within the response radius, from the units' current positions. Pure; evaluated every tick.
// Per unit it looks only at zone cells in an H3 disk around the unit's cell (cached per cell),
// so the cost is O(units · disk) rather than O(units · cells).
import { gridDisk, latLngToCell } from 'h3-js'
import { haversineM } from '../geo/distance.js'
import { cellCentre, diskK } from '../geo/cells.js'

/** Unit cells whose candidate lists are kept; beyond this the cache starts over (units roam). */
const CACHE_MAX = 8192

export class ResponseCoverage {
  readonly total: number
  readonly resolution: number
  readonly radiusM: number
  private readonly index = new Map<string, number>()
  private readonly lat: Float64Array
  private readonly lon: Float64Array
  private readonly covered: Uint8Array
  /** Unit cell → indices of zone cells that may lie within radiusM of a point in that cell. */
  private readonly candidates = new Map<string, Int32Array>()
  /** Disk radius in grid steps, from the local cell size (near enough constant over one zone). */
  private readonly k: number

  constructor(cells: string[], resolution: number, radiusM: number) {
    if (!(radiusM > 0)) throw new Error(`response radius must be > 0 m, got ${radiusM}`)
    this.resolution = resolution
    this.radiusM = radiusM
    for (const c of cells) if (!this.index.has(c)) this.index.set(c, this.index.size)
    this.total = this.index.size
    this.lat = new Float64Array(this.total)
    this.lon = new Float64Array(this.total)
    for (const [c, i] of this.index) {
      const p = cellCentre(c)
      this.lat[i] = p.lat
      this.lon[i] = p.lon
    }
    this.covered = new Uint8Array(this.total)
    const first = cells[0]
    this.k = first === undefined ? 0 : diskK(first, radiusM)
  }

  private candidatesOf(unitCell: string): Int32Array {
    let list = this.candidates.get(unitCell)
    if (list === undefined) {
      const found: number[] = []
      for (const n of gridDisk(unitCell, this.k)) {
        const i = this.index.get(n)
        if (i !== undefined) found.push(i)
      }
      list = Int32Array.from(found)
      if (this.candidates.size >= CACHE_MAX) this.candidates.clear()
      this.candidates.set(unitCell, list)
    }
    return list
  }

  /** Share of the zone's cells whose centre lies within radiusM of at least one of the given unit positions. */
  evaluate(units: ReadonlyArray<{ lat: number; lon: number }>): { ratio: number; covered: number; total: number } {
    const total = this.total
    if (total === 0) return { ratio: 1, covered: 0, total }
    const covered = this.covered
    covered.fill(0)
    let n = 0
    for (const u of units) {
      if (!Number.isFinite(u.lat) || !Number.isFinite(u.lon) || Math.abs(u.lat) > 90 || Math.abs(u.lon) > 180) continue
      const list = this.candidatesOf(latLngToCell(u.lat, u.lon, this.resolution))
      for (let j = 0; j < list.length; j++) {
        const i = list[j] as number
        if (covered[i] === 1) continue
        if (haversineM(u.lat, u.lon, this.lat[i] as number, this.lon[i] as number) <= this.radiusM) {
          covered[i] = 1
          n++
          if (n === total) return { ratio: 1, covered: n, total }
        }
      }
    }
    return { ratio: n / total, covered: n, total }
  }
}
