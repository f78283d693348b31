// Great-circle and local planar distances. Pure; the earth radius is H3's, so our figures
// agree with h3-js `greatCircleDistance(…, 'm')` to floating-point noise.

/** Mean earth radius in metres, as used by H3 (EARTH_RADIUS_KM = 6371.007180918475). */
export const EARTH_RADIUS_M = 6_371_007.180918475

const RAD = Math.PI / 180

/** Haversine distance in metres between two WGS84 points given in degrees. */
export function haversineM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const p1 = lat1 * RAD
  const p2 = lat2 * RAD
  const dLat = p2 - p1
  const dLon = (lon2 - lon1) * RAD
  const s1 = Math.sin(dLat / 2)
  const s2 = Math.sin(dLon / 2)
  const a = s1 * s1 + Math.cos(p1) * Math.cos(p2) * s2 * s2
  // min() guards against a = 1 + ε for antipodal points, which would make asin NaN.
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)))
}

/** Metres per degree of latitude and of longitude at `lat` (equirectangular projection, city scale). */
export function metresPerDegree(lat: number): { perLat: number; perLon: number } {
  const perLat = EARTH_RADIUS_M * RAD
  return { perLat, perLon: perLat * Math.cos(lat * RAD) }
}
