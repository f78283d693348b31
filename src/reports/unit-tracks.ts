// Every unit's track figures over the period: configured units (with or without fixes) and units
// that reported without being configured, each analysed with its own silence, liveness, post and
// zone. Pure.
import { UNKNOWN_KIND } from '../rules/unit-state.js'
import type { Deployment } from '../rules/deployment.js'
import type { UnitBuckets } from './report-queries.js'
import { analyseTrack, type Interval, type TrackFigures, type TrackParams } from './track.js'

/** The stop and noise settings every track is analysed with. */
export interface TrackSettings { stopRadiusM: number; stopMinMs: number; noiseM: number }

/** Track figures by unit id, configured units first (in configuration order), then unknown ones as they came. */
export function unitTracks(dep: Deployment, s: TrackSettings, buckets: readonly UnitBuckets[], period: Interval): Map<string, TrackFigures> {
  const bucketsBy = new Map(buckets.map((b) => [b.unitId, b.buckets]))
  const tracks = new Map<string, TrackFigures>()
  for (const id of new Set([...dep.units.keys(), ...bucketsBy.keys()])) tracks.set(id, analyseTrack(bucketsBy.get(id) ?? [], trackParams(dep, id, s, period)))
  return tracks
}

/** How one unit's track is analysed: its own settings when configured, the defaults for an unknown unit. */
export function trackParams(dep: Deployment, id: string, s: TrackSettings, period: Interval): TrackParams {
  const spec = dep.units.get(id)
  const post = spec?.postId == null ? null : dep.posts.get(spec.postId) ?? null
  const zone = spec?.zoneId == null ? null : dep.zonesById.get(spec.zoneId) ?? null
  return {
    ...period,
    silentAfterMs: spec?.silentAfterMs ?? dep.rules.silentAfterMs,
    liveness: spec?.liveness ?? dep.livenessOf(UNKNOWN_KIND),
    stopRadiusM: s.stopRadiusM,
    stopMinMs: s.stopMinMs,
    noiseM: s.noiseM,
    post: post === null ? null : { lat: post.lat, lon: post.lon, radiusM: post.radiusM },
    zone: zone?.polygon ?? null,
  }
}
