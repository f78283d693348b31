// The path and noise primitives of the synthetic fleet, shared by the demo simulator and the GPS
// realism kit the rule tests use (test/helpers/gps-realism.ts re-exports them): a seeded PRNG, a
// Gaussian draw, metre offsets, the street-grid sweep a patrol drives and timed routes along it.
// Pure: no clock, no I/O, the same numbers for the same seed.
import { haversineM, metresPerDegree } from '../geo/distance.js'

export interface LatLon { lat: number; lon: number }

/** Small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand())
}

export function offsetM(p: LatLon, north: number, east: number): LatLon {
  const { perLat, perLon } = metresPerDegree(p.lat)
  return { lat: p.lat + north / perLat, lon: p.lon + east / perLon }
}

/** Truth moving along a polyline of [tS, point] waypoints, linearly between them. */
export function waypoints(points: Array<[number, LatLon]>): (tS: number) => LatLon {
  return (tS) => {
    let i = 0
    while (i < points.length - 1 && (points[i + 1] as [number, LatLon])[0] <= tS) i++
    const [t0, p0] = points[i] as [number, LatLon]
    const next = points[i + 1]
    if (next === undefined || tS <= t0) return p0
    const [t1, p1] = next
    const k = (tS - t0) / (t1 - t0)
    return { lat: p0.lat + (p1.lat - p0.lat) * k, lon: p0.lon + (p1.lon - p0.lon) * k }
  }
}

/**
 * The closed loop a patrol drives to sweep the square of half-side `halfM` around `c`: east-west
 * lanes `laneM` apart from the south edge up, alternately eastward and westward, then back to the
 * first lane's start along the western edge (a loop, so every cell waits one lap between visits).
 */
export function sweepLoop(c: LatLon, halfM: number, laneM: number): LatLon[] {
  const out: LatLon[] = []
  const lanes = Math.max(1, Math.floor((2 * halfM) / laneM))
  for (let k = 0; k < lanes; k++) {
    const north = -halfM + laneM / 2 + k * laneM
    const [from, to] = k % 2 === 0 ? [-halfM + laneM / 2, halfM - laneM / 2] : [halfM - laneM / 2, -halfM + laneM / 2]
    out.push(offsetM(c, north, from), offsetM(c, north, to))
  }
  out.push(out[0] as LatLon)
  return out
}

/** Waypoints (for waypoints()) driving `points` in order at `speedMps`, from `startS`, `laps` times over. */
export function route(points: LatLon[], speedMps: number, startS = 0, laps = 1): Array<[number, LatLon]> {
  const out: Array<[number, LatLon]> = [[startS, points[0] as LatLon]]
  let t = startS
  for (let lap = 0; lap < laps; lap++) {
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1] as LatLon
      const b = points[i] as LatLon
      t += haversineM(a.lat, a.lon, b.lat, b.lon) / speedMps
      out.push([t, b])
    }
  }
  return out
}
