// The fix streams the ingest benchmarks publish, so that the "rules on" figures measure the path a
// real fleet takes. `plausible` (the default): each unit drives (≈10 m/s) or walks (≈1.4 m/s) a
// loop of its own inside its post's radius and its zone, reports every 5–10 s of fix time (its
// own interval) with an accuracy of 5–15 m and a heading that follows its motion, and stops now
// and then. The fleet's fixes come out in fix-time order, all units over one window that ends no
// later than the time asked for (never in the future): a live fleet replayed faster, so
// consecutive messages carry fix times seconds apart, as a live fleet's do. `jumps`: the stream
// the benchmarks published before, kept so its figures stay reproducible: fixes 10 ms apart in
// fix time and ~3 km apart in space for unknown units U-0…, so nearly every fix is flagged
// impossible. Everything per unit is computed once; a fix costs a heap step over the units, a
// few multiplications, one sin/cos pair and one atan2 (the publisher shares the cores with the
// engine it measures). Pure: no clock, no I/O.
import { haversineM, metresPerDegree } from '../../src/geo/distance.js'
import { rng } from '../../src/demo/tracks.js'
import { MinHeap } from '../../src/min-heap.js'

export type TrackModel = 'plausible' | 'jumps'
export const TRACK_MODELS: readonly TrackModel[] = ['plausible', 'jumps']

/** The track model named by `--track=…` among the arguments (default plausible); throws on an unknown name. */
export function trackFromArgs(args: readonly string[]): TrackModel {
  const v = args.find((a) => a.startsWith('--track='))?.slice('--track='.length) ?? 'plausible'
  if (!(TRACK_MODELS as readonly string[]).includes(v)) throw new Error(`--track=${v}: expected one of ${TRACK_MODELS.join(', ')}`)
  return v as TrackModel
}

/** One line for the benchmark's output: which stream ran. */
export function describeTrack(model: TrackModel): string {
  return model === 'plausible'
    ? 'stream: plausible tracks (--track=plausible): units registered in the config, each on a loop inside its post radius and zone, 5–10 s apart in fix time, accuracy 5–15 m, occasional stops'
    : 'stream: jumps (--track=jumps, the stream of the figures recorded up to 2026-12-06): unknown units U-0…, fixes 10 ms apart in fix time and ~3 km apart, nearly all flagged impossible_speed'
}

/** The parts of a config unit, post and zone the tracks need (as in config/hexpatrol.yaml). */
export interface SampleUnit { id: string; kind?: string; post?: string; zone?: string; [k: string]: unknown }
export interface SamplePost { id: string; lat: number; lon: number; radius_m: number }
export interface SampleZone { id: string; geometry: { type?: string; coordinates?: unknown } | { file: string } }
export interface Sample { units: SampleUnit[]; posts: SamplePost[]; zones: SampleZone[] }

/**
 * The sample deployment's units, cloned (same kind, post and zone, new id B-nnnn) up to `n`: the
 * units the benchmark's engine registers and the plausible stream reports as.
 */
export function benchUnits(sample: readonly SampleUnit[], n: number): SampleUnit[] {
  return Array.from({ length: n }, (_, i) => {
    const u = sample[i % sample.length]!
    return i < sample.length ? { ...u } : { ...u, id: `B-${String(i).padStart(4, '0')}`, name: `Bench device ${i}` }
  })
}

/** A fix as the publishers format it (reused between calls: copy what you keep). */
export interface TrackFix {
  unit: string
  /** Fix time, epoch ms (whole seconds when the stream was built with wholeSeconds). */
  ts: number
  lat: number
  lon: number
  /** m/s */
  speed: number
  /** degrees, [0, 360) */
  heading: number
  /** metres */
  accuracy: number
  /** The device's sequence number: its own fix count (jumps: the stream's). */
  seq: number
}

export interface FleetStream {
  /** The units reporting (jumps: fix j goes to unit j % ids.length). */
  readonly ids: readonly string[]
  /** The stream's next fix (plausible: the fleet's next in fix time, whichever unit it is). */
  next(): TrackFix
}

/** The stream published before: unknown units U-0…, 10 ms apart in fix time from `base`, positions jumping ~3 km. */
export function jumpsStream(units: number, base: number): FleetStream {
  const out: TrackFix = { unit: '', ts: 0, lat: 0, lon: 0, speed: 8.5, heading: 90, accuracy: 5, seq: 0 }
  const ids = Array.from({ length: units }, (_, u) => `U-${u}`)
  let j = 0
  return {
    ids,
    next() {
      out.seq = j
      out.unit = ids[j % units]!
      out.ts = base + Math.floor(j / units) * 10 + 1
      out.lat = 36.43 + (j % 997) * 0.0001
      out.lon = 117.77 + (j % 991) * 0.00015
      j++
      return out
    },
  }
}

export interface PlausibleOptions {
  /** Units to report as (benchUnits of the sample, usually): kind, post and zone shape each track. */
  units: readonly SampleUnit[]
  posts: readonly SamplePost[]
  zones: readonly SampleZone[]
  /**
   * The fixes the stream must give before endTs: they set the window of fix time the fleet covers
   * (fixes over the fleet's reporting rate). windowMs sets it instead.
   */
  fixes?: number
  windowMs?: number
  /** No fix of the first `fixes` (or of the window) is later than this, epoch ms: the wall clock at publish time. */
  endTs: number
  /** Fix times in whole seconds (OwnTracks tst, OsmAnd timestamp). */
  wholeSeconds?: boolean
  seed?: number
}

/** Reporting interval range (s), accuracy range (m), jitter of each interval (ms). */
const DT_MIN_S = 5
const DT_MAX_S = 10
const DT_JITTER_MS = 300
/** Distance kept between a loop and its post's circle or its zone's edge: hysteresis, accuracy, noise. */
const MARGIN_M = 150

interface Track {
  id: string
  cLat: number
  cLon: number
  /** Loop radius in degrees of latitude and of longitude. */
  rLat: number
  rLon: number
  angle: number
  /** Radians per fix while moving (sign: direction). */
  step: number
  speed: number
  heading: number
  ts: number
  dtMs: number
  seq: number
  acc: number
  /** Fixes left in the current leg: moving while `moving`, else stopped. */
  left: number
  moving: boolean
  /** Degrees per metre, for the position noise. */
  dLat: number
  dLon: number
}

/** Plausible tracks for `o.units` (see the file comment); deterministic for a seed. */
export function plausibleStream(o: PlausibleOptions): FleetStream {
  const rand = rng(o.seed ?? 1)
  const posts = new Map(o.posts.map((p) => [p.id, p]))
  const rings = new Map(o.zones.map((z) => [z.id, outerRing(z)]))
  const allRings = [...rings.values()].filter((r): r is Ring => r !== null)
  const tracks: Track[] = o.units.map((u, i) => {
    const officer = u.kind === 'officer'
    const post = u.post === undefined ? undefined : posts.get(u.post)
    const ring = (u.zone === undefined ? undefined : rings.get(u.zone)) ?? (post === undefined ? allRings[i % Math.max(1, allRings.length)] ?? null : null)
    // Centre: near the post (within 200 m), inside the zone; else the zone's centre.
    let c = post === undefined ? (ring === null ? { lat: 36.49, lon: 117.86 } : centroid(ring)) : offset(post, (rand() - 0.5) * 400, (rand() - 0.5) * 400)
    if (ring !== null && !inside(ring, c)) c = post !== undefined && inside(ring, post) ? { lat: post.lat, lon: post.lon } : centroid(ring)
    const room = Math.min(
      post === undefined ? Infinity : post.radius_m - haversineM(post.lat, post.lon, c.lat, c.lon) - MARGIN_M,
      ring === null ? Infinity : edgeDistanceM(ring, c) - MARGIN_M,
    )
    const wanted = officer ? 100 + rand() * 200 : 300 + rand() * 300
    const r = Math.max(30, Math.min(wanted, room))
    const speed = officer ? 1.2 + rand() * 0.4 : 8 + rand() * 4
    const dtMs = Math.round((DT_MIN_S + rand() * (DT_MAX_S - DT_MIN_S)) * 1000)
    const { perLat, perLon } = metresPerDegree(c.lat)
    const sign = rand() < 0.5 ? -1 : 1
    return {
      id: u.id, cLat: c.lat, cLon: c.lon, rLat: r / perLat, rLon: r / perLon,
      angle: rand() * 2 * Math.PI, step: (sign * speed * dtMs) / 1000 / r, speed, heading: 0,
      ts: Math.floor(rand() * dtMs), dtMs, seq: 0,
      acc: 5 + rand() * 7, left: 20 + Math.floor(rand() * 60), moving: true, dLat: 1 / perLat, dLon: 1 / perLon,
    }
  })
  // The window: by its end, unit u has sent at least (window − dt_u − jitter) / (dt_u + jitter)
  // fixes; the window is long enough for their sum to reach `fixes`.
  const rate = tracks.reduce((s, t) => s + 1 / (t.dtMs + DT_JITTER_MS), 0)
  const windowMs = o.windowMs ?? ((o.fixes ?? 0) + 2 * tracks.length) / rate
  const start = o.endTs - Math.ceil(windowMs)
  const whole = o.wholeSeconds === true
  const heap = new MinHeap(tracks.length)
  tracks.forEach((t, i) => {
    t.ts = whole ? Math.floor((start + t.ts) / 1000) * 1000 : start + t.ts
    heap.push(t.ts, i)
  })
  const ids = tracks.map((t) => t.id)
  const out: TrackFix = { unit: '', ts: 0, lat: 0, lon: 0, speed: 0, heading: 0, accuracy: 0, seq: 0 }
  return {
    ids,
    next() {
      const i = heap.topVal()
      heap.pop()
      const t = tracks[i]!
      if (--t.left < 0) {
        t.moving = !t.moving
        t.left = t.moving ? 20 + Math.floor(rand() * 60) : 3 + Math.floor(rand() * 12)
      }
      if (t.moving) t.angle += t.step
      const cos = Math.cos(t.angle)
      const sin = Math.sin(t.angle)
      // Heading of the motion along the loop (east = cos, north = sin; the direction is the sign of step).
      if (t.moving) t.heading = (Math.atan2(-sin * t.step, cos * t.step) * 180) / Math.PI + 360
      const acc = t.acc + rand() * 3
      const noise = acc / 3
      out.unit = t.id
      out.ts = t.ts
      out.lat = Math.round((t.cLat + t.rLat * sin + (rand() - 0.5) * noise * t.dLat) * 1e6) / 1e6
      out.lon = Math.round((t.cLon + t.rLon * cos + (rand() - 0.5) * noise * t.dLon) * 1e6) / 1e6
      out.speed = t.moving ? Math.round(t.speed * 10) / 10 : 0
      out.heading = Math.round(t.heading % 360)
      if (out.heading === 360) out.heading = 0
      out.accuracy = Math.round(acc * 10) / 10
      out.seq = t.seq++
      const step = t.dtMs + Math.round((rand() - 0.5) * 2 * DT_JITTER_MS)
      t.ts += whole ? Math.max(1000, Math.floor(step / 1000) * 1000) : step
      heap.push(t.ts, i)
      return out
    },
  }
}

type Ring = Array<[number, number]>

/** The outer ring ([lon, lat] pairs) of an inline Polygon or of a MultiPolygon's first polygon; null otherwise. */
function outerRing(z: SampleZone): Ring | null {
  const g = z.geometry as { type?: string; coordinates?: unknown }
  if (g.type === 'Polygon') return ((g.coordinates as Ring[] | undefined)?.[0]) ?? null
  if (g.type === 'MultiPolygon') return ((g.coordinates as Ring[][] | undefined)?.[0]?.[0]) ?? null
  return null
}

function centroid(ring: Ring): { lat: number; lon: number } {
  const pts = ring.slice(0, -1)
  return { lat: pts.reduce((s, p) => s + p[1], 0) / pts.length, lon: pts.reduce((s, p) => s + p[0], 0) / pts.length }
}

function offset(p: { lat: number; lon: number }, northM: number, eastM: number): { lat: number; lon: number } {
  const { perLat, perLon } = metresPerDegree(p.lat)
  return { lat: p.lat + northM / perLat, lon: p.lon + eastM / perLon }
}

/** Ray casting on [lon, lat] pairs. */
function inside(ring: Ring, p: { lat: number; lon: number }): boolean {
  let odd = false
  for (let i = 0, k = ring.length - 1; i < ring.length; k = i++) {
    const [xi, yi] = ring[i]!
    const [xk, yk] = ring[k]!
    if (yi > p.lat !== yk > p.lat && p.lon < ((xk - xi) * (p.lat - yi)) / (yk - yi) + xi) odd = !odd
  }
  return odd
}

/** Distance (m) from p to the nearest edge of the ring, on a local plane. */
function edgeDistanceM(ring: Ring, p: { lat: number; lon: number }): number {
  const { perLat, perLon } = metresPerDegree(p.lat)
  let best = Infinity
  for (let i = 1; i < ring.length; i++) {
    const ax = (ring[i - 1]![0] - p.lon) * perLon
    const ay = (ring[i - 1]![1] - p.lat) * perLat
    const bx = (ring[i]![0] - p.lon) * perLon
    const by = (ring[i]![1] - p.lat) * perLat
    const dx = bx - ax
    const dy = by - ay
    const len2 = dx * dx + dy * dy
    const k = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2))
    best = Math.min(best, Math.hypot(ax + k * dx, ay + k * dy))
  }
  return best
}
