// One unit's track over a period, from per-minute buckets (count, first/last fix time, median
// position and accuracy) to the figures a supervisor reads: distance that does not grow with GPS
// noise (the stay-point filter in stay-points.ts), time reporting/moving/stationary, time in post
// radius and zone, stops, trips and silent periods.
// Pure. Buckets slightly outside the period are passed in so intervals crossing its ends are clipped
// exactly (a unit reporting across midnight gets its time split between the two days).
import { haversineM } from '../geo/distance.js'
import type { CompiledPolygon } from '../geo/polygon.js'
import { findStays, isStop, type Stay, type TrackPoint } from './stay-points.js'
import { looksStationary, silentAfterMs, type LivenessPolicy } from '../rules/silent-unit.js'

/**
 * [bucket start, fixes, first fix ms, last fix ms, median lat, median lon, median accuracy (m;
 * -1 or absent: unknown)], sorted by start.
 */
export type Bucket = [number, number, number, number, number, number, number?]

export interface TrackParams {
  from: number
  to: number
  silentAfterMs: number
  /** The unit's liveness rule: a gap is a silence beyond its threshold for the track's own cadence (absent: silentAfterMs). */
  liveness?: LivenessPolicy
  stopRadiusM: number
  stopMinMs: number
  noiseM: number
  post: { lat: number; lon: number; radiusM: number } | null
  zone: CompiledPolygon | null
}

export interface Interval { from: number; to: number }
export interface Stop extends Interval { lat: number; lon: number; durationMs: number }
export interface Trip extends Interval { durationMs: number; distanceKm: number; start: { lat: number; lon: number }; end: { lat: number; lon: number } }
/** The time one bucket stands for, clipped to the period, with its position. */
export interface Segment extends Interval { lat: number; lon: number }

export interface TrackFigures {
  fixes: number
  firstFixAt: number | null
  lastFixAt: number | null
  distanceKm: number
  reportingMs: number
  movingMs: number
  stationaryMs: number
  inRadiusMs: number | null
  inZoneMs: number | null
  silent: { count: number; totalMs: number; periods: Interval[] }
  stops: Stop[]
  trips: Trip[]
  segments: Segment[]
}

const clip = (a: number, b: number, p: TrackParams): Interval => ({ from: Math.max(a, p.from), to: Math.min(b, p.to) })
const round3 = (x: number): number => Math.round(x * 1000) / 1000

export function analyseTrack(all: readonly Bucket[], p: TrackParams): TrackFigures {
  // Time each bucket stands for: until the next bucket's first fix, unless a silence lies between.
  const n = all.length
  const segs: Array<Segment & { i: number; gapAfter: boolean }> = []
  const silent: Interval[] = []
  const silentAfter = silenceThreshold(all, p)
  for (let i = 0; i < n; i++) {
    const b = all[i] as Bucket
    const next = all[i + 1]
    const gap = next !== undefined && next[2] - b[3] > silentAfter(i)
    const end = next === undefined || gap ? b[3] : next[2]
    if (b[0] >= p.from && b[0] < p.to) {
      const from = Math.max(b[2], p.from)
      segs.push({ from, to: Math.max(from, Math.min(end, p.to)), lat: b[4], lon: b[5], i, gapAfter: gap })
    }
    if (gap) {
      const g = clip(b[3], next[2], p)
      if (g.to > g.from) silent.push(g)
    }
  }
  const dur = (s: Interval): number => s.to - s.from
  let fixes = 0
  for (const s of segs) fixes += (all[s.i] as Bucket)[1]

  // The stay-point filter over the period's positions, the bucket before it included (it anchors
  // distance and may begin a stop that runs into the period).
  const accOf = (b: Bucket): number | null => b[6] === undefined || b[6] < 0 ? null : b[6]
  const before = segs.length > 0 ? all[(segs[0] as { i: number }).i - 1] : undefined
  const off = before === undefined ? 0 : 1
  const pts: TrackPoint[] = []
  if (before !== undefined) pts.push({ lat: before[4], lon: before[5], accuracy: accOf(before), from: before[2], to: before[3], gapAfter: (segs[0] as Segment).from - before[3] > silentAfter((segs[0] as { i: number }).i - 1) })
  for (const s of segs) pts.push({ lat: s.lat, lon: s.lon, accuracy: accOf(all[s.i] as Bucket), from: s.from, to: s.to, gapAfter: s.gapAfter })
  const opts = { floorM: p.stopRadiusM, stopMinMs: p.stopMinMs }
  const f = findStays(pts, opts)
  const stopOf = f.stays.map((st) => isStop(pts, st, opts))

  // The filtered path: each stop once (where the unit stayed), every other kept position, outliers
  // never. (Smoothing moving positions with their neighbours was tried: it cut a zigzag drive's
  // corners by 14 %, more than the noise it removed from a phone walking at one fix a minute.)
  const path: Array<{ k: number; lat: number; lon: number }> = []
  for (let k = 0; k < pts.length; k++) {
    if (f.outlier[k] === 1) continue
    const sid = f.stayOf[k] as number
    if (sid >= 0 && stopOf[sid] === true) {
      const st = f.stays[sid] as Stay
      if (k === st.first) path.push({ k, lat: st.lat, lon: st.lon })
      continue
    }
    path.push({ k, lat: (pts[k] as TrackPoint).lat, lon: (pts[k] as TrackPoint).lon })
  }
  // Distance: a step counts once the unit is more than noiseM from the last counted point.
  const step = new Float64Array(segs.length)
  let anchor: { lat: number; lon: number } | null = null
  let distanceM = 0
  for (const v of path) {
    if (anchor === null) {
      anchor = v
      continue
    }
    const d = haversineM(anchor.lat, anchor.lon, v.lat, v.lon)
    if (d > p.noiseM) {
      if (v.k >= off) {
        step[v.k - off] = d
        distanceM += d
      }
      anchor = v
    }
  }

  // Stops: the stays that last stop_min_duration, clipped to the period.
  const inStop = new Uint8Array(segs.length)
  const stops: Stop[] = []
  f.stays.forEach((st, sid) => {
    if (stopOf[sid] !== true || st.last < off) return
    const a = Math.max(st.first - off, 0)
    const b = st.last - off
    for (let k = a; k <= b; k++) inStop[k] = 1
    const from = (segs[a] as Segment).from
    const to = (segs[b] as Segment).to
    stops.push({ from, to, durationMs: to - from, lat: round6(st.lat), lon: round6(st.lon) })
  })

  // Trips: runs of buckets outside stops with no silence inside; the step into the next stop counts.
  const trips: Trip[] = []
  for (let i = 0; i < segs.length;) {
    if (inStop[i] === 1) {
      i++
      continue
    }
    let j = i
    while (j + 1 < segs.length && inStop[j + 1] === 0 && !(segs[j] as { gapAfter: boolean }).gapAfter) j++
    let d = 0
    for (let k = i; k <= j; k++) d += step[k] as number
    const first = segs[i] as Segment
    const last = segs[j] as Segment & { gapAfter: boolean }
    const into = segs[j + 1]
    let end: Segment = last
    if (into !== undefined && !last.gapAfter) {
      d += step[j + 1] as number
      end = into
    }
    trips.push({ from: first.from, to: last.to, durationMs: last.to - first.from, distanceKm: round3(d / 1000), start: { lat: first.lat, lon: first.lon }, end: { lat: end.lat, lon: end.lon } })
    i = j + 1
  }

  let reportingMs = 0
  let stationaryMs = 0
  let inRadius = 0
  let inZone = 0
  segs.forEach((s, k) => {
    const d = dur(s)
    reportingMs += d
    if (inStop[k] === 1) stationaryMs += d
    if (p.post !== null && haversineM(p.post.lat, p.post.lon, s.lat, s.lon) <= p.post.radiusM) inRadius += d
    if (p.zone !== null && p.zone.contains(s.lat, s.lon)) inZone += d
  })
  const firstSeg = segs[0]
  const lastSeg = segs[segs.length - 1]
  return {
    fixes,
    firstFixAt: firstSeg === undefined ? null : (all[firstSeg.i] as Bucket)[2],
    lastFixAt: lastSeg === undefined ? null : (all[lastSeg.i] as Bucket)[3],
    distanceKm: round3(distanceM / 1000),
    reportingMs,
    movingMs: reportingMs - stationaryMs,
    stationaryMs,
    inRadiusMs: p.post === null ? null : inRadius,
    inZoneMs: p.zone === null ? null : inZone,
    silent: { count: silent.length, totalMs: silent.reduce((t, s) => t + dur(s), 0), periods: silent },
    stops,
    trips,
    segments: segs.map((s) => ({ from: s.from, to: s.to, lat: s.lat, lon: s.lon })),
  }
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6

/**
 * When a gap after bucket i is a silence: the same cadence-aware rule as the live engine
 * (rules/silent-unit.ts), with the cadence learned from the track itself (the median gap between
 * consecutive buckets' fixes) and the stationary allowance after a bucket within 50 m of the one before.
 */
function silenceThreshold(all: readonly Bucket[], p: TrackParams): (i: number) => number {
  const lv = p.liveness
  if (lv === undefined) return () => p.silentAfterMs
  const gaps: number[] = []
  for (let i = 0; i + 1 < all.length; i++) {
    const g = (all[i + 1] as Bucket)[2] - (all[i] as Bucket)[3]
    if (g >= 1000) gaps.push(g)
  }
  gaps.sort((a, b) => a - b)
  const cadence = gaps.length === 0 ? null : gaps[gaps.length >> 1] as number
  const moving = silentAfterMs({ gaps: cadence === null ? [] : [cadence], stationary: false }, lv)
  const standing = silentAfterMs({ gaps: cadence === null ? [] : [cadence], stationary: true }, lv)
  return (i) => {
    const b = all[i] as Bucket
    const prev = all[i - 1]
    return looksStationary(prev === undefined ? null : { lat: prev[4], lon: prev[5] }, { lat: b[4], lon: b[5], speed: null }) ? standing : moving
  }
}
