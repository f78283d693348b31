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
import { gaussian, offsetM, rng, type LatLon } from '../../src/demo/tracks.js'

// The path primitives live in src/demo/tracks.ts (the demo simulator drives the same tracks).
export { gaussian, offsetM, route, sweepLoop, waypoints, type LatLon } from '../../src/demo/tracks.js'

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
