// Per post: its units, the time no unit (of any post) was within its radius, and its score from
// its units' zones and assessments. Pure.
import type { PostSpec } from '../rules/deployment.js'
import { EARTH_RADIUS_M, haversineM } from '../geo/distance.js'
import { unionMs } from './aggregate.js'
import { mean, score, type Weights } from './assessment.js'
import type { PostRow, UnitRow, ZoneRow } from './model.js'
import type { Interval, Segment, TrackFigures } from './track.js'

const RAD = Math.PI / 180

/** `units` and `zones` in the order their figures are averaged (the report sorts them afterwards). */
export function postRows(posts: Iterable<PostSpec>, tracks: ReadonlyMap<string, Pick<TrackFigures, 'segments'>>, units: readonly UnitRow[], zones: readonly ZoneRow[], period: Interval, weights: Weights): PostRow[] {
  return [...posts].map((p) => {
    const uncovered = period.to - period.from - unionMs(nearPost(p, tracks.values()), period)
    const mine = units.filter((u) => u.postId === p.id)
    return {
      postId: p.id,
      name: p.name,
      radiusM: p.radiusM,
      units: mine.map((u) => u.unitId).sort(),
      uncoveredMs: uncovered,
      assessment: score({
        coverage: mean(mine.map((u) => (u.zoneId === null ? null : zones.find((z) => z.zoneId === u.zoneId)?.coverage.mean ?? null))),
        presence: 1 - uncovered / (period.to - period.from),
        breaches: mean(mine.map((u) => u.assessment.inputs.breaches ?? null)),
        silences: mean(mine.map((u) => u.assessment.inputs.silences ?? null)),
      }, weights),
    }
  })
}

/** Every track segment within the post's radius, whoever drove it. */
export function nearPost(p: Pick<PostSpec, 'lat' | 'lon' | 'radiusM'>, tracks: Iterable<Pick<TrackFigures, 'segments'>>): Segment[] {
  const near: Segment[] = []
  // A great-circle distance is at least R·|Δlatitude|: most segments are ruled out without the
  // haversine (the margin keeps floating-point rounding from ruling out one it would admit).
  const maxDLat = (p.radiusM + 1) / EARTH_RADIUS_M / RAD
  for (const t of tracks) {
    for (const seg of t.segments) if (Math.abs(seg.lat - p.lat) <= maxDLat && haversineM(p.lat, p.lon, seg.lat, seg.lon) <= p.radiusM) near.push(seg)
  }
  return near
}
