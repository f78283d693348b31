// The recent positions of vehicle units, for vehicle_speed to ask "which vehicle was within d
// metres of this foot unit at time t?". Each vehicle keeps its last few accurate fixes (a ring),
// filed under a ~1 km grid square of its latest one; a question looks at the 3×3 squares around
// the point. Bounded: RING fixes per vehicle; a vehicle leaves the grid when it moves square.
import type { Fix } from '../decode/fix.js'
import { haversineM, metresPerDegree } from '../geo/distance.js'

const RING = 8
const SQUARE_M = 1000
const PER_LAT = metresPerDegree(0).perLat

interface Pt { ts: number; lat: number; lon: number }
/** `square` is the grid key of (y, x), the square the vehicle is filed under ('' before its first fix). */
interface Track { pts: Pt[]; square: string; y: number; x: number }

const squareY = (lat: number): number => Math.floor((lat * PER_LAT) / SQUARE_M)
// Longitude squares sized at the square's own latitude: city-scale, a little wide at the edges.
const squareX = (lat: number, lon: number): number => Math.floor((lon * metresPerDegree(lat).perLon) / SQUARE_M)
const square = (lat: number, lon: number, dy = 0, dx = 0): string => `${squareY(lat) + dy}:${squareX(lat, lon) + dx}`

export interface NearVehicle { unitId: string; distanceM: number }

export class VehicleTracks {
  private readonly tracks = new Map<string, Track>()
  private readonly grid = new Map<string, Set<string>>()

  /** Records a vehicle's fix (fix-time order; older ones are ignored). */
  add(fix: Fix): void {
    let t = this.tracks.get(fix.unitId)
    if (t === undefined) this.tracks.set(fix.unitId, (t = { pts: [], square: '', y: 0, x: 0 }))
    const last = t.pts[t.pts.length - 1]
    if (last !== undefined && fix.ts <= last.ts) return
    t.pts.push({ ts: fix.ts, lat: fix.lat, lon: fix.lon })
    if (t.pts.length > RING) t.pts.shift()
    // The key is built only when the vehicle changes square (a string a fix, otherwise).
    const y = squareY(fix.lat)
    const x = squareX(fix.lat, fix.lon)
    if (t.square === '' || y !== t.y || x !== t.x) {
      const sq = `${y}:${x}`
      t.y = y
      t.x = x
      this.grid.get(t.square)?.delete(fix.unitId)
      let s = this.grid.get(sq)
      if (s === undefined) this.grid.set(sq, (s = new Set()))
      s.add(fix.unitId)
      t.square = sq
    }
  }

  /** The nearest vehicle whose position at `ts` (interpolated, or its nearest fix within maxDtMs) is within maxM of the point. */
  nearest(lat: number, lon: number, ts: number, maxM: number, maxDtMs: number): NearVehicle | null {
    let best: NearVehicle | null = null
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        for (const unitId of this.grid.get(square(lat, lon, dy, dx)) ?? []) {
          const p = positionAt((this.tracks.get(unitId) as Track).pts, ts, maxDtMs)
          if (p === null) continue
          const d = haversineM(lat, lon, p.lat, p.lon)
          if (d <= maxM && (best === null || d < best.distanceM)) best = { unitId, distanceM: d }
        }
      }
    }
    return best
  }
}

function positionAt(pts: readonly Pt[], ts: number, maxDtMs: number): Pt | null {
  let before: Pt | null = null
  let after: Pt | null = null
  for (const p of pts) {
    if (p.ts <= ts) before = p
    else if (after === null) after = p
  }
  if (before !== null && after !== null && after.ts - before.ts <= 2 * maxDtMs) {
    const k = (ts - before.ts) / (after.ts - before.ts)
    return { ts, lat: before.lat + (after.lat - before.lat) * k, lon: before.lon + (after.lon - before.lon) * k }
  }
  const near = before !== null && (after === null || ts - before.ts <= after.ts - ts) ? before : after
  return near !== null && Math.abs(near.ts - ts) <= maxDtMs ? near : null
}
