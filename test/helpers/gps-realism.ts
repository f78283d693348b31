// GPS realism kit: a seeded generator of the tracks and noise real units produce, for the rule
// tests (and bench/rule-quality.ts). Each fix carries its ground truth, so a test can tell a real
// excursion from noise. Noise model, per fix:
// - Gaussian error, per-axis σ = sigmaM, with a correlated part (AR(1), time constant driftTauS:
//   urban-canyon drift that the reported accuracy does not show), and a reported accuracy that
//   varies around σ (×0.8–1.3), or -1/null when the device does not know it;
// - multipath outliers: with probability multipathRate a single fix is off by 100–500 m, with an
//   ordinary-looking accuracy;
// - lost lock: with probability lostLockRate a fix is (0, 0);
// - dropouts: no fix arrives during [from, to); the device buffers and flushes them at `to` in one
//   message (same receivedAt, the ingestor sorts it);
// - network location (noise.accuracyRangeM set): each fix reports an accuracy drawn from the range
//   and its white error is that accuracy read as a 68 % circle (per-axis σ = accuracy / 1.51),
//   on top of the correlated drift (the Wi-Fi/cell anchor the fix snaps to);
// - a device clock `clockOffsetMs` ahead (+) or behind (−) of the engine clock; network delay
//   0.1–1.5 s.
import { latLngToCell } from 'h3-js'
import type { Fix } from '../../src/decode/fix.js'
import { haversineM, metresPerDegree } from '../../src/geo/distance.js'
import { rng } from './workload.js'

export interface LatLon { lat: number; lon: number }

export interface Noise {
  sigmaM: number
  driftSigmaM: number
  driftTauS: number
  multipathRate: number
  lostLockRate: number
  /** Share of fixes without a usable accuracy (sent as -1 → null). */
  unknownAccuracyRate: number
  /** Network location: reported accuracy uniform in [min, max]; the white error follows it (sigmaM unused). */
  accuracyRangeM?: [number, number]
  /** How far a multipath (or wrong-anchor) outlier is off, metres (default 100–500). */
  outlierRangeM?: [number, number]
}

export const URBAN: Noise = { sigmaM: 30, driftSigmaM: 15, driftTauS: 60, multipathRate: 0.01, lostLockRate: 0.002, unknownAccuracyRate: 0.02 }

/** Android's accuracy is the radius of a 68 % circle: for a 2-D Gaussian that is 1.51 σ. */
export const ACCURACY_68_SIGMAS = 1.51

/**
 * Phones on network location (no GPS lock: indoors, battery saver, GPS off): reported accuracy
 * 100–300 m, white error to match, an anchor drift of σ 60 m changing over ~10 min, and 0.5 % of
 * fixes snapped to a wrong anchor 300–1000 m away with an ordinary-looking accuracy.
 */
export const NETWORK: Noise = {
  sigmaM: 0, driftSigmaM: 60, driftTauS: 600, multipathRate: 0.005, lostLockRate: 0, unknownAccuracyRate: 0,
  accuracyRangeM: [100, 300], outlierRangeM: [300, 1000],
}

export interface TrackOptions {
  seed: number
  unitId: string
  /** Engine clock at the first fix, epoch ms. */
  start: number
  durationS: number
  periodS: number
  /** Ground truth at t seconds after start. */
  truth: (tS: number) => LatLon
  noise?: Partial<Noise>
  clockOffsetMs?: number
  dropouts?: Array<[fromS: number, toS: number]>
  h3Resolution?: number
}

export interface RealFix { fix: Fix; truth: LatLon; tS: number }

export function offsetM(p: LatLon, north: number, east: number): LatLon {
  const { perLat, perLon } = metresPerDegree(p.lat)
  return { lat: p.lat + north / perLat, lon: p.lon + east / perLon }
}

export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand())
}

/** The fixes of one unit, in arrival order (a flush arrives as one burst at its end). */
export function generateTrack(o: TrackOptions): RealFix[] {
  const n = { ...URBAN, ...o.noise }
  const rand = rng(o.seed)
  const res = o.h3Resolution ?? 9
  const out: RealFix[] = []
  let dn = 0
  let de = 0
  const a = Math.exp(-o.periodS / n.driftTauS)
  const b = n.driftSigmaM * Math.sqrt(1 - a * a)
  const flushes = new Map<number, RealFix[]>()
  for (let tS = 0; tS < o.durationS; tS += o.periodS) {
    dn = a * dn + b * gaussian(rand)
    de = a * de + b * gaussian(rand)
    const truth = o.truth(tS)
    const range = n.accuracyRangeM
    // Network location draws its accuracy first: the error follows it (URBAN keeps its sequence).
    const reported = range === undefined ? null : Math.round(range[0] + (range[1] - range[0]) * rand())
    const sigma = reported === null ? n.sigmaM : reported / ACCURACY_68_SIGMAS
    let p = offsetM(truth, dn + sigma * gaussian(rand), de + sigma * gaussian(rand))
    const r = rand()
    if (r < n.multipathRate) {
      const [near, far] = n.outlierRangeM ?? [100, 500]
      const d = near + (far - near) * rand()
      const th = 2 * Math.PI * rand()
      p = offsetM(p, d * Math.cos(th), d * Math.sin(th))
    } else if (r < n.multipathRate + n.lostLockRate) p = { lat: 0, lon: 0 }
    const accuracy = rand() < n.unknownAccuracyRate ? null : (reported ?? Math.round(n.sigmaM * (0.8 + 0.5 * rand())))
    const engineTs = o.start + tS * 1000
    const drop = o.dropouts?.find(([f, t]) => tS >= f && tS < t)
    const receivedAt = drop === undefined ? engineTs + Math.round(100 + 1400 * rand()) : o.start + drop[1] * 1000
    const ts = engineTs + (o.clockOffsetMs ?? 0)
    const fix: Fix = {
      unitId: o.unitId, ts, receivedAt, lat: p.lat, lon: p.lon, h3: latLngToCell(p.lat, p.lon, res),
      speed: null, heading: null, accuracy, altitude: null, battery: null, seq: null, source: 'native', topic: `fleet/${o.unitId}/position`, flags: 0,
    }
    const rf = { fix, truth, tS }
    if (drop === undefined) {
      for (const [at, held] of flushes) {
        if (at <= receivedAt) {
          out.push(...held)
          flushes.delete(at)
        }
      }
      out.push(rf)
    } else {
      const list = flushes.get(receivedAt) ?? []
      list.push(rf)
      flushes.set(receivedAt, list)
    }
  }
  for (const held of flushes.values()) out.push(...held)
  return out
}

/** Merges several units' fixes into one arrival-ordered stream (stable for equal arrival times). */
export function mergeByArrival(...tracks: RealFix[][]): RealFix[] {
  return tracks.flat().map((f, i) => ({ f, i })).sort((x, y) => x.f.fix.receivedAt - y.f.fix.receivedAt || x.i - y.i).map((x) => x.f)
}

/** Truth for a unit parked at one point. */
export const parked = (p: LatLon) => () => p

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

/** The engine as the realism runner drives it. */
export interface Drivable<E> {
  classify(f: Fix): number
  ingest(f: Fix, now: number): E[]
  tick(now: number): E[]
}

/**
 * Feeds fixes in arrival order (each batch of equal arrival sorted by fix time, as the ingestor
 * does) with a tick every tickMs of engine clock, until `until`. Returns every event.
 */
export function drive<E>(
  engine: Drivable<E>,
  fixes: RealFix[],
  opts: { start: number; until: number; tickMs?: number },
): E[] {
  const tickMs = opts.tickMs ?? 5000
  const out: E[] = []
  let next = opts.start + tickMs
  let i = 0
  while (i < fixes.length || next <= opts.until) {
    const at = i < fixes.length ? (fixes[i] as RealFix).fix.receivedAt : Infinity
    if (next <= at && next <= opts.until) {
      out.push(...engine.tick(next))
      next += tickMs
      continue
    }
    if (at === Infinity) break
    const batch: Fix[] = []
    while (i < fixes.length && (fixes[i] as RealFix).fix.receivedAt === at) batch.push({ ...(fixes[i++] as RealFix).fix })
    batch.sort((x, y) => x.ts - y.ts)
    for (const f of batch) {
      f.flags = engine.classify(f)
      out.push(...engine.ingest(f, at))
    }
  }
  return out
}
