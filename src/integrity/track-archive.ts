// One unit's track of one day, kept compactly for replay detection: coordinates as 32-bit
// micro-degrees (~0.1 m) and a sorted grid index (cell key → fix index) to find, for a new fix,
// the earlier fixes within a few metres. About 20 bytes a fix; built once when the day ends.
import { haversineM, metresPerDegree } from '../geo/distance.js'

const MICRO = 1e6
const PER_LAT = metresPerDegree(0).perLat
const X_SPAN = 2 ** 25

/** Grid keys of a point: squares of `cellM` metres, longitudes scaled by the unit's own cos(latitude). */
export class GridKeys {
  constructor (readonly cellM: number, private readonly cosLat: number) {}

  key(lat: number, lon: number, dy = 0, dx = 0): number {
    const y = Math.floor((lat * PER_LAT) / this.cellM) + dy
    const x = Math.floor((lon * PER_LAT * this.cosLat) / this.cellM) + dx
    return y * X_SPAN + x
  }
}

export class TrackArchive {
  readonly n: number
  private readonly lat: Int32Array
  private readonly lon: Int32Array
  private readonly keys: Float64Array
  private readonly order: Int32Array

  constructor (readonly day: number, lats: readonly number[], lons: readonly number[], private readonly grid: GridKeys) {
    this.n = lats.length
    this.lat = Int32Array.from(lats, (v) => Math.round(v * MICRO))
    this.lon = Int32Array.from(lons, (v) => Math.round(v * MICRO))
    const k = lats.map((la, i) => grid.key(la, lons[i] as number))
    const order = Array.from(k.keys()).sort((a, b) => (k[a] as number) - (k[b] as number))
    this.order = Int32Array.from(order)
    this.keys = Float64Array.from(order, (i) => k[i] as number)
  }

  latAt(i: number): number { return (this.lat[i] as number) / MICRO }
  lonAt(i: number): number { return (this.lon[i] as number) / MICRO }

  /** Indexes of the fixes within maxM of the point (grid squares of at least maxM, so the 3×3 around it hold them all). */
  near(lat: number, lon: number, maxM: number): number[] {
    const out: number[] = []
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const key = this.grid.key(lat, lon, dy, dx)
        for (let p = lowerBound(this.keys, key); p < this.n && this.keys[p] === key; p++) {
          const i = this.order[p] as number
          if (haversineM(lat, lon, this.latAt(i), this.lonAt(i)) <= maxM) out.push(i)
        }
      }
    }
    return out.sort((a, b) => a - b)
  }

  /** Distance (metres) from the point to the segment from fix i to fix i + 1 (to fix i alone at the end). */
  distanceToSegment(i: number, lat: number, lon: number): number {
    const aLat = this.latAt(i)
    const aLon = this.lonAt(i)
    if (i + 1 >= this.n) return haversineM(lat, lon, aLat, aLon)
    // Local plane around the point: metres east and north.
    const { perLat, perLon } = metresPerDegree(lat)
    const ax = (aLon - lon) * perLon
    const ay = (aLat - lat) * perLat
    const bx = (this.lonAt(i + 1) - lon) * perLon
    const by = (this.latAt(i + 1) - lat) * perLat
    const dx = bx - ax
    const dy = by - ay
    const len2 = dx * dx + dy * dy
    const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2))
    return Math.hypot(ax + t * dx, ay + t * dy)
  }
}

function lowerBound(xs: Float64Array, v: number): number {
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((xs[mid] as number) < v) lo = mid + 1
    else hi = mid
  }
  return lo
}
