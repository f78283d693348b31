// vehicle_speed: a unit that patrols on foot moving at vehicle speed for long stretches (the phone
// left in a patrol car). Speed is the straight-line distance between accurate fixes at least
// speed_window apart, so neither GPS noise nor one multipath outlier reaches a vehicle's speed;
// the time spent at that speed is summed over a sliding window, and a stretch opens once it
// reaches min_fast (an officer riding along for a short trip stays under it). While fast, each
// fix is compared with the vehicles' tracks (VehicleTracks): the vehicle it stayed with is named.
// A stretch closes after half a window without fast fixes. State per unit: the fixes of one
// speed_window, the fast segments of one window, one tally per nearby vehicle.
import type { Fix } from '../decode/fix.js'
import { haversineM } from '../geo/distance.js'
import type { IntegrityOptions } from './options.js'
import { minutes, round1, usable, type IntegrityDetector, type IntegritySignal } from './signal.js'
import { VehicleTracks } from './vehicle-tracks.js'

/** A vehicle's position counts as "at the same time" within this much fix time. */
const COMPANION_DT_MS = 60_000
/** Bound on the fixes kept for the speed window (a device reporting every second for 3 minutes). */
const MAX_RING = 512

interface Pt { ts: number; lat: number; lon: number }
interface Seg { ts: number; ms: number; mps: number }
interface Tally { n: number; sumM: number }
interface Run { from: number; to: number; fastMs: number; weighted: number; maxMps: number; fixes: number }

interface FootState {
  ring: Pt[]
  prevTs: number
  fast: Seg[]
  fastMs: number
  checked: number
  tally: Map<string, Tally>
  run: Run | null
}

export class VehicleSpeed implements IntegrityDetector {
  private readonly units = new Map<string, FootState>()
  private readonly vehicles = new VehicleTracks()

  constructor (private readonly o: IntegrityOptions['vehicleSpeed'], private readonly kindOf: (unitId: string) => string | undefined) {}

  observe(fix: Fix): IntegritySignal[] {
    if (!usable(fix) || fix.accuracy === null || fix.accuracy > this.o.maxAccuracyM) return []
    const kind = this.kindOf(fix.unitId)
    if (kind === undefined) return []
    if (this.o.vehicleKinds.has(kind)) {
      this.vehicles.add(fix)
      return []
    }
    if (!this.o.footKinds.has(kind)) return []
    let s = this.units.get(fix.unitId)
    if (s === undefined) this.units.set(fix.unitId, (s = { ring: [], prevTs: fix.ts, fast: [], fastMs: 0, checked: 0, tally: new Map(), run: null }))
    if (fix.ts < s.prevTs) return []
    const w = this.o.speedWindowMs
    const dtSeg = fix.ts - s.prevTs <= 2 * w ? fix.ts - s.prevTs : 0
    s.prevTs = fix.ts
    const ring = s.ring
    if (ring.length > 0 && fix.ts - (ring[ring.length - 1] as Pt).ts > 4 * w) ring.length = 0
    ring.push({ ts: fix.ts, lat: fix.lat, lon: fix.lon })
    while (ring.length > MAX_RING || (ring.length > 2 && fix.ts - (ring[1] as Pt).ts >= w)) ring.shift()
    const base = ring[0] as Pt
    const mps = fix.ts - base.ts >= w ? haversineM(base.lat, base.lon, fix.lat, fix.lon) / ((fix.ts - base.ts) / 1000) : 0
    while (s.fast.length > 0 && (s.fast[0] as Seg).ts <= fix.ts - this.o.windowMs) s.fastMs -= (s.fast.shift() as Seg).ms
    const out: IntegritySignal[] = []
    const fast = mps >= this.o.speedMps
    if (fast) {
      s.fast.push({ ts: fix.ts, ms: dtSeg, mps })
      s.fastMs += dtSeg
      this.compare(s, fix)
      if (s.run !== null) {
        s.run.to = fix.ts
        s.run.fastMs += dtSeg
        s.run.weighted += mps * dtSeg
        s.run.maxMps = Math.max(s.run.maxMps, mps)
        s.run.fixes++
      } else if (s.fastMs >= this.o.minFastMs) {
        const first = s.fast[0] as Seg
        s.run = { from: first.ts - first.ms, to: fix.ts, fastMs: 0, weighted: 0, maxMps: 0, fixes: 0 }
        for (const g of s.fast) {
          s.run.fastMs += g.ms
          s.run.weighted += g.mps * g.ms
          s.run.maxMps = Math.max(s.run.maxMps, g.mps)
          s.run.fixes++
        }
      }
    } else if (s.run !== null && fix.ts - s.run.to > this.o.windowMs / 2) {
      out.push(this.close(fix.unitId, s, s.run))
    }
    if (s.run === null && s.fastMs === 0 && s.checked > 0) {
      s.checked = 0
      s.tally.clear()
    }
    return out
  }

  flush(): IntegritySignal[] {
    const out: IntegritySignal[] = []
    for (const [unitId, s] of this.units) if (s.run !== null) out.push(this.close(unitId, s, s.run))
    this.units.clear()
    return out
  }

  private compare(s: FootState, fix: Fix): void {
    s.checked++
    const near = this.vehicles.nearest(fix.lat, fix.lon, fix.ts, this.o.companionDistanceM, COMPANION_DT_MS)
    if (near === null) return
    const t = s.tally.get(near.unitId)
    if (t === undefined) s.tally.set(near.unitId, { n: 1, sumM: near.distanceM })
    else {
      t.n++
      t.sumM += near.distanceM
    }
  }

  private close(unitId: string, s: FootState, run: Run): IntegritySignal {
    let best: [string, Tally] | null = null
    for (const e of s.tally) if (best === null || e[1].n > best[1].n) best = e
    const share = best === null ? 0 : best[1].n / s.checked
    const signal: IntegritySignal = {
      unitId,
      kind: 'vehicle_speed',
      from: run.from,
      to: run.to,
      evidence: {
        fastMinutes: minutes(run.fastMs),
        durationMinutes: minutes(run.to - run.from),
        meanFastKmh: round1(run.fastMs === 0 ? 0 : (run.weighted / run.fastMs) * 3.6),
        maxKmh: round1(run.maxMps * 3.6),
        fastFixes: run.fixes,
        companionShare: Math.round(share * 1000) / 1000,
      },
    }
    if (best !== null && share >= this.o.companionMinShare) {
      signal.relatedUnitId = best[0]
      signal.evidence.companionMeanDistanceM = round1(best[1].sumM / best[1].n)
    }
    s.run = null
    s.checked = 0
    s.tally.clear()
    return signal
  }
}
