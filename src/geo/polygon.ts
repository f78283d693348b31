// Zone polygons (GeoJSON Polygon / MultiPolygon, RFC 7946 [lon, lat]): validation at boot and a
// compiled form for the hot path (point-in-polygon with holes, distance to the boundary).
// Compiled rings are flat Float64Arrays so a contains() call allocates nothing.
import { metresPerDegree } from './distance.js'

export type ZoneGeometry =
  | { type: 'Polygon'; coordinates: number[][][] }
  | { type: 'MultiPolygon'; coordinates: number[][][][] }

export interface BBox {
  minLat: number
  maxLat: number
  minLon: number
  maxLon: number
}

export interface CompiledPolygon {
  /** Ray casting (even-odd) per ring; inside the outer ring and outside every hole of some polygon. */
  contains(lat: number, lon: number): boolean
  /** Metres to the nearest edge of any ring (outer or hole), in a local equirectangular projection. */
  distanceToBoundaryM(lat: number, lon: number): number
  readonly bbox: BBox
}

/** A ring as interleaved lon,lat pairs, closing position included. */
type Ring = Float64Array

interface Part {
  outer: Ring
  holes: Ring[]
  bbox: BBox
}

function fmtPos(p: readonly unknown[]): string {
  return `[${p.map((v) => String(v)).join(', ')}]`
}

function validateRing(ring: unknown, where: string): void {
  if (!Array.isArray(ring)) throw new Error(`${where}: a ring must be an array of positions`)
  if (ring.length < 4) {
    throw new Error(`${where}: ring has ${ring.length} position(s); a linear ring needs at least 4 (the last repeating the first)`)
  }
  for (const [i, pos] of ring.entries()) {
    const at = `${where}[${i}]`
    if (!Array.isArray(pos) || pos.length < 2 || pos.length > 3 || !pos.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new Error(`${at}: a position must be [lon, lat] or [lon, lat, alt] of finite numbers`)
    }
    const lon = pos[0] as number
    const lat = pos[1] as number
    if (lon < -180 || lon > 180) throw new Error(`${at}: longitude ${lon} is outside [-180, 180] (GeoJSON positions are [lon, lat])`)
    if (lat < -90 || lat > 90) throw new Error(`${at}: latitude ${lat} is outside [-90, 90] (GeoJSON positions are [lon, lat])`)
  }
  const first = ring[0] as number[]
  const last = ring[ring.length - 1] as number[]
  if (first[0] !== last[0] || first[1] !== last[1]) {
    throw new Error(`${where}: ring is not closed: first position ${fmtPos(first)} differs from last ${fmtPos(last)}`)
  }
  // A ring whose vertices are all collinear (or repeated) encloses nothing: surely a mistake.
  let twiceArea = 0
  for (let i = 0; i < ring.length - 1; i++) {
    const a = ring[i] as number[]
    const b = ring[i + 1] as number[]
    twiceArea += (a[0] as number) * (b[1] as number) - (b[0] as number) * (a[1] as number)
  }
  if (twiceArea === 0) throw new Error(`${where}: ring encloses no area (its positions are collinear or repeated)`)
}

function validatePolygonCoords(coords: unknown, where: string): void {
  if (!Array.isArray(coords)) throw new Error(`${where}: a polygon must be an array of rings`)
  if (coords.length === 0) throw new Error(`${where}: a polygon needs at least one ring (the outer boundary)`)
  for (const [i, ring] of coords.entries()) validateRing(ring, `${where}[${i}]`)
}

/** Validates ring closure/size and coordinate ranges; throws Error with a message naming what is wrong. */
export function validateGeometry(geometry: ZoneGeometry): void {
  const g = geometry as unknown as { type?: unknown; coordinates?: unknown } | null
  if (g === null || typeof g !== 'object') throw new Error('geometry: expected a GeoJSON Polygon or MultiPolygon object')
  if (g.type === 'Polygon') {
    validatePolygonCoords(g.coordinates, 'geometry.coordinates')
  } else if (g.type === 'MultiPolygon') {
    const c = g.coordinates
    if (!Array.isArray(c)) throw new Error('geometry.coordinates: a MultiPolygon must be an array of polygons')
    if (c.length === 0) throw new Error('geometry.coordinates: a MultiPolygon needs at least one polygon')
    for (const [i, poly] of c.entries()) validatePolygonCoords(poly, `geometry.coordinates[${i}]`)
  } else {
    throw new Error(`geometry.type: expected "Polygon" or "MultiPolygon", got ${JSON.stringify(g.type)}`)
  }
}

/** The polygons of a geometry as arrays of rings, whichever its type. */
export function polygonsOf(geometry: ZoneGeometry): number[][][][] {
  return geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates
}

function toRing(positions: number[][]): Ring {
  const r = new Float64Array(positions.length * 2)
  for (const [i, p] of positions.entries()) {
    r[2 * i] = p[0] as number
    r[2 * i + 1] = p[1] as number
  }
  return r
}

function ringBBox(r: Ring): BBox {
  const b: BBox = { minLat: Infinity, maxLat: -Infinity, minLon: Infinity, maxLon: -Infinity }
  for (let i = 0; i < r.length; i += 2) {
    const lon = r[i] as number
    const lat = r[i + 1] as number
    if (lon < b.minLon) b.minLon = lon
    if (lon > b.maxLon) b.maxLon = lon
    if (lat < b.minLat) b.minLat = lat
    if (lat > b.maxLat) b.maxLat = lat
  }
  return b
}

function inBBox(b: BBox, lat: number, lon: number): boolean {
  return lat >= b.minLat && lat <= b.maxLat && lon >= b.minLon && lon <= b.maxLon
}

/** PNPOLY even-odd test; the closing position makes the last edge explicit. */
function inRing(r: Ring, lat: number, lon: number): boolean {
  let inside = false
  for (let i = 0; i + 3 < r.length; i += 2) {
    const x1 = r[i] as number
    const y1 = r[i + 1] as number
    const x2 = r[i + 2] as number
    const y2 = r[i + 3] as number
    if (y1 > lat !== y2 > lat && lon < ((x2 - x1) * (lat - y1)) / (y2 - y1) + x1) inside = !inside
  }
  return inside
}

/** Squared planar distance (metres²) from the origin to the nearest edge of a ring, the ring in degrees around (lat, lon). */
function ringDist2(r: Ring, lat: number, lon: number, kx: number, ky: number): number {
  let best = Infinity
  for (let i = 0; i + 3 < r.length; i += 2) {
    const ax = ((r[i] as number) - lon) * kx
    const ay = ((r[i + 1] as number) - lat) * ky
    const bx = ((r[i + 2] as number) - lon) * kx
    const by = ((r[i + 3] as number) - lat) * ky
    const dx = bx - ax
    const dy = by - ay
    const len2 = dx * dx + dy * dy
    // Parameter of the origin's projection on the segment, clamped to the segment.
    let t = len2 === 0 ? 0 : -(ax * dx + ay * dy) / len2
    if (t < 0) t = 0
    else if (t > 1) t = 1
    const px = ax + t * dx
    const py = ay + t * dy
    const d2 = px * px + py * py
    if (d2 < best) best = d2
  }
  return best
}

/** Validates the geometry, then compiles it. Throws like validateGeometry. */
export function compilePolygon(geometry: ZoneGeometry): CompiledPolygon {
  validateGeometry(geometry)
  const parts: Part[] = polygonsOf(geometry).map((rings) => {
    const [outer, ...holes] = rings.map(toRing) as [Ring, ...Ring[]]
    return { outer, holes, bbox: ringBBox(outer) }
  })
  const bbox: BBox = {
    minLat: Math.min(...parts.map((p) => p.bbox.minLat)),
    maxLat: Math.max(...parts.map((p) => p.bbox.maxLat)),
    minLon: Math.min(...parts.map((p) => p.bbox.minLon)),
    maxLon: Math.max(...parts.map((p) => p.bbox.maxLon)),
  }
  Object.freeze(bbox)
  const allRings: Ring[] = parts.flatMap((p) => [p.outer, ...p.holes])

  return {
    bbox,
    contains(lat: number, lon: number): boolean {
      if (!inBBox(bbox, lat, lon)) return false
      for (const p of parts) {
        if (!inBBox(p.bbox, lat, lon) || !inRing(p.outer, lat, lon)) continue
        let inHole = false
        for (const h of p.holes) {
          if (inRing(h, lat, lon)) {
            inHole = true
            break
          }
        }
        if (!inHole) return true
      }
      return false
    },
    distanceToBoundaryM(lat: number, lon: number): number {
      const { perLat, perLon } = metresPerDegree(lat)
      let best = Infinity
      for (const r of allRings) {
        const d2 = ringDist2(r, lat, lon, perLon, perLat)
        if (d2 < best) best = d2
      }
      return Math.sqrt(best)
    },
  }
}
