// Resource search: the k nearest available units to a point, with straight-line distance and an
// ETA from a per-kind speed and a detour factor. Pure: candidates (live, not silent) come from the
// rule engine, committed units (manning an active plan) from the plan board.
// One pass with a bounded, sorted selection of k; once k are held, a cheap planar distance
// prunes units clearly farther than the k-th before the haversine is computed.
import { haversineM, metresPerDegree } from '../geo/distance.js'

export interface Candidate {
  id: string
  name: string
  kind: string
  lat: number
  lon: number
  /** Time of the fix the position comes from, epoch ms. */
  ts: number
  post: string | null
  zone: string | null
}

export interface SearchSettings {
  k: number
  /** km/h per unit kind; `default` for kinds not listed. */
  speedKmh: Readonly<Record<string, number>>
  detourFactor: number
  /** 0 = no limit. */
  maxDistanceM: number
}

export interface Proposal {
  unitId: string
  name: string
  kind: string
  post: string | null
  zone: string | null
  lat: number
  lon: number
  lastFixAt: number
  distanceM: number
  /** Estimated travel time, seconds (rounded up). */
  etaS: number
}

/** Travel time in seconds for `distanceM` at the kind's speed, road distance = detour × straight line. */
export function etaSeconds(distanceM: number, kind: string, s: Pick<SearchSettings, 'speedKmh' | 'detourFactor'>): number {
  const kmh = s.speedKmh[kind] ?? s.speedKmh.default ?? 20
  return Math.ceil((distanceM * s.detourFactor) / (kmh / 3.6))
}

const before = (d1: number, id1: string, d2: number, id2: string) => d1 < d2 || (d1 === d2 && id1 < id2)

/**
 * Within half a degree the equirectangular distance is within ~1 % of the great-circle one, so a
 * unit whose planar distance exceeds the k-th best by this factor cannot enter the selection.
 */
const PRUNE_MARGIN = 1.05
const PRUNE_DEG = 0.5

/** Nearest first, ties by unit id; units in `exclude` (committed to a plan) are skipped. */
export function searchUnits(
  candidates: Iterable<Candidate>,
  lat: number,
  lon: number,
  s: SearchSettings,
  exclude: ReadonlySet<string> = new Set(),
): Proposal[] {
  const k = Math.max(0, s.k)
  const best: Array<{ c: Candidate; d: number }> = []
  if (k === 0) return []
  const limit = s.maxDistanceM > 0 ? s.maxDistanceM : Infinity
  const { perLat, perLon } = metresPerDegree(lat)
  let bound = Infinity
  for (const c of candidates) {
    if (exclude.has(c.id)) continue
    const dLat = c.lat - lat
    const dLon = c.lon - lon
    if (bound < Infinity && dLat < PRUNE_DEG && dLat > -PRUNE_DEG && dLon < PRUNE_DEG && dLon > -PRUNE_DEG) {
      const y = dLat * perLat
      const x = dLon * perLon
      if (x * x + y * y > bound) continue
    }
    const d = haversineM(lat, lon, c.lat, c.lon)
    if (d > limit) continue
    if (best.length === k) {
      const worst = best[k - 1] as { c: Candidate; d: number }
      if (!before(d, c.id, worst.d, worst.c.id)) continue
      best.pop()
    }
    // Insertion into a sorted array of at most k (k ≤ 100): cheaper than a heap at this size.
    let i = best.length
    while (i > 0) {
      const p = best[i - 1] as { c: Candidate; d: number }
      if (!before(d, c.id, p.d, p.c.id)) break
      i--
    }
    best.splice(i, 0, { c, d })
    if (best.length === k) bound = ((best[k - 1] as { d: number }).d * PRUNE_MARGIN) ** 2
  }
  return best.map(({ c, d }) => ({
    unitId: c.id,
    name: c.name,
    kind: c.kind,
    post: c.post,
    zone: c.zone,
    lat: c.lat,
    lon: c.lon,
    lastFixAt: c.ts,
    distanceM: Math.round(d),
    etaS: etaSeconds(d, c.kind, s),
  }))
}
