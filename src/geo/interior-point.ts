// A representative point of a zone, for naming it in the place lookup: the centroid of its largest
// polygon when that lies inside the zone (a convex or gently concave grid), else a point that is
// inside whatever the shape (an L, a ring around a hole, a crescent): the middle of the widest
// stretch of a horizontal line through the polygon, the way JTS's InteriorPointArea does it. The
// line is moved off any vertex's latitude first, so a vertex never counts as two crossings.
import { compilePolygon, polygonsOf, type ZoneGeometry } from './polygon.js'

export interface LatLon {
  lat: number
  lon: number
}

/** Twice the signed area and the area-weighted centroid of a ring ([lon, lat] positions, closed). */
function ringCentroid(ring: number[][]): { area2: number; lon: number; lat: number } {
  // Relative to the first position: products of whole-degree coordinates would cost the precision.
  const [x0 = 0, y0 = 0] = ring[0] as number[]
  let a2 = 0
  let cx = 0
  let cy = 0
  for (let i = 0; i + 1 < ring.length; i++) {
    const [x1 = 0, y1 = 0] = (ring[i] as number[]).map((v, k) => v - (k === 0 ? x0 : y0))
    const [x2 = 0, y2 = 0] = (ring[i + 1] as number[]).map((v, k) => v - (k === 0 ? x0 : y0))
    const cross = x1 * y2 - x2 * y1
    a2 += cross
    cx += (x1 + x2) * cross
    cy += (y1 + y2) * cross
  }
  return { area2: a2, lon: x0 + cx / (3 * a2), lat: y0 + cy / (3 * a2) }
}

/** Every crossing of the line `lat` with the polygon's rings (holes included), sorted by longitude. */
function crossings(rings: number[][][], lat: number): number[] {
  const xs: number[] = []
  for (const ring of rings) {
    for (let i = 0; i + 1 < ring.length; i++) {
      const [x1 = 0, y1 = 0] = ring[i] as number[]
      const [x2 = 0, y2 = 0] = ring[i + 1] as number[]
      if (y1 > lat !== y2 > lat) xs.push(x1 + ((lat - y1) * (x2 - x1)) / (y2 - y1))
    }
  }
  return xs.sort((a, b) => a - b)
}

/** A latitude near the polygon's middle that no vertex of its rings lies on. */
function scanLatitude(rings: number[][][]): number {
  const lats = [...new Set(rings.flatMap((r) => r.map((p) => p[1] as number)))].sort((a, b) => a - b)
  const lo = lats[0] as number
  const hi = lats[lats.length - 1] as number
  const mid = (lo + hi) / 2
  if (!lats.includes(mid)) return mid
  // Halfway between the middle vertex latitude and the next one up: on no vertex.
  const next = lats.find((y) => y > mid) as number
  return (mid + next) / 2
}

/** The middle of the widest inside stretch of the scan line through one polygon. */
function scanPoint(rings: number[][][]): LatLon {
  const lat = scanLatitude(rings)
  const xs = crossings(rings, lat)
  let best = { width: -1, lon: xs[0] ?? 0 }
  // Even-odd: crossings pair up as (enter, leave).
  for (let i = 0; i + 1 < xs.length; i += 2) {
    const width = (xs[i + 1] as number) - (xs[i] as number)
    if (width > best.width) best = { width, lon: ((xs[i] as number) + (xs[i + 1] as number)) / 2 }
  }
  return { lat, lon: best.lon }
}

/** A point inside the zone: its largest polygon's centroid if inside, else the scan-line middle. */
export function interiorPoint(geometry: ZoneGeometry): LatLon {
  const polygons = polygonsOf(geometry)
  let largest = polygons[0] as number[][][]
  let largestArea = -1
  for (const rings of polygons) {
    const area = Math.abs(ringCentroid(rings[0] as number[][]).area2)
    if (area > largestArea) {
      largest = rings
      largestArea = area
    }
  }
  const c = ringCentroid(largest[0] as number[][])
  if (compilePolygon(geometry).contains(c.lat, c.lon)) return { lat: c.lat, lon: c.lon }
  return scanPoint(largest)
}
