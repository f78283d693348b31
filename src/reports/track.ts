// One unit's track over a period, from per-minute buckets (count, first/last fix time, median
// position) to the figures a supervisor reads: distance that does not grow with GPS noise, time
// reporting/moving/stationary, time in post radius and zone, stops, trips and silent periods.
// Pure. Buckets slightly outside the period are passed in so intervals crossing its ends are clipped
// exactly (a unit reporting across midnight gets its time split between the two days).
import { haversineM } from '../geo/distance.js'
import type { CompiledPolygon } from '../geo/polygon.js'

/** [bucket start, fixes, first fix ms, last fix ms, median lat, median lon], sorted by start. */
export type Bucket = [number, number, number, number, number, number]

export interface TrackParams {
  from: number
  to: number
  silentAfterMs: number
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
  for (let i = 0; i < n; i++) {
    const b = all[i] as Bucket
    const next = all[i + 1]
    const gap = next !== undefined && next[2] - b[3] > p.silentAfterMs
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

  // Distance: a step counts only once the unit is more than noiseM from the last counted point,
  // so jitter around a parked unit adds nothing (bucket medians already drop outliers).
  const step = new Float64Array(segs.length)
  let anchor: { lat: number; lon: number } | null = null
  const before = segs.length > 0 ? all[(segs[0] as { i: number }).i - 1] : undefined
  if (before !== undefined) anchor = { lat: before[4], lon: before[5] }
  let distanceM = 0
  segs.forEach((s, k) => {
    if (anchor === null) {
      anchor = s
      return
    }
    const d = haversineM(anchor.lat, anchor.lon, s.lat, s.lon)
    if (d > p.noiseM) {
      step[k] = d
      distanceM += d
      anchor = s
    }
  })

  // Stops: from each bucket, the longest run (no silence inside) staying within stopRadiusM of it.
  const inStop = new Uint8Array(segs.length)
  const stops: Stop[] = []
  for (let i = 0; i < segs.length;) {
    const a = segs[i] as Segment & { gapAfter: boolean }
    let j = i
    while (j + 1 < segs.length && !(segs[j] as { gapAfter: boolean }).gapAfter) {
      const nx = segs[j + 1] as Segment
      if (haversineM(a.lat, a.lon, nx.lat, nx.lon) > p.stopRadiusM) break
      j++
    }
    const last = segs[j] as Segment
    if (last.to - a.from >= p.stopMinMs) {
      let lat = 0
      let lon = 0
      for (let k = i; k <= j; k++) {
        lat += (segs[k] as Segment).lat
        lon += (segs[k] as Segment).lon
        inStop[k] = 1
      }
      const m = j - i + 1
      stops.push({ from: a.from, to: last.to, durationMs: last.to - a.from, lat: round6(lat / m), lon: round6(lon / m) })
      i = j + 1
    } else i++
  }

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
