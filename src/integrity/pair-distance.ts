// device_disagreement: a phone paired with a vehicle terminal (units[].pair: "this phone rides
// with that terminal") whose positions, compared at overlapping times, stay more than distance_m
// apart for at least min_duration: one of the two devices is not where the other one is. Each
// accurate fix of either device is compared with the other's latest fix when that one is at most
// max_dt older or newer; a stretch ends at the second agreeing comparison in a row (one agreeing
// multipath outlier does not end it), or after max_gap without a comparison. State per pair: the
// two latest fixes and one open stretch.
import type { Fix } from '../decode/fix.js'
import { haversineM } from '../geo/distance.js'
import type { IntegrityOptions } from './options.js'
import { minutes, round1, usable, type IntegrityDetector, type IntegritySignal } from './signal.js'

/** Agreeing comparisons in a row that end a stretch. */
const AGREE_TO_END = 2

interface Pt { ts: number; lat: number; lon: number }
interface Run { from: number; to: number; n: number; sumM: number; maxM: number; agree: number }
interface Pair { phone: string; terminal: string; last: Map<string, Pt>; run: Run | null }

export class PairDistance implements IntegrityDetector {
  private readonly byUnit = new Map<string, Pair>()

  /** `pairs`: phone unit → the terminal unit it rides with (units[].pair). */
  constructor (private readonly o: IntegrityOptions['pair'], pairs: ReadonlyMap<string, string>) {
    for (const [phone, terminal] of pairs) {
      const p: Pair = { phone, terminal, last: new Map(), run: null }
      this.byUnit.set(phone, p)
      this.byUnit.set(terminal, p)
    }
  }

  observe(fix: Fix): IntegritySignal[] {
    const p = this.byUnit.get(fix.unitId)
    if (p === undefined || !usable(fix) || (fix.accuracy !== null && fix.accuracy > this.o.maxAccuracyM)) return []
    const prev = p.last.get(fix.unitId)
    if (prev !== undefined && fix.ts <= prev.ts) return []
    p.last.set(fix.unitId, { ts: fix.ts, lat: fix.lat, lon: fix.lon })
    const other = p.last.get(fix.unitId === p.phone ? p.terminal : p.phone)
    const out: IntegritySignal[] = []
    if (p.run !== null && fix.ts - p.run.to > this.o.maxGapMs) this.close(p, out)
    if (other === undefined || Math.abs(fix.ts - other.ts) > this.o.maxDtMs) return out
    const d = haversineM(fix.lat, fix.lon, other.lat, other.lon)
    if (d > this.o.distanceM) {
      if (p.run === null) p.run = { from: Math.min(fix.ts, other.ts), to: fix.ts, n: 0, sumM: 0, maxM: 0, agree: 0 }
      p.run.to = fix.ts
      p.run.n++
      p.run.sumM += d
      p.run.maxM = Math.max(p.run.maxM, d)
      p.run.agree = 0
    } else if (p.run !== null && ++p.run.agree >= AGREE_TO_END) {
      this.close(p, out)
    }
    return out
  }

  flush(): IntegritySignal[] {
    const out: IntegritySignal[] = []
    for (const p of new Set(this.byUnit.values())) this.close(p, out)
    return out
  }

  private close(p: Pair, out: IntegritySignal[]): void {
    const r = p.run
    p.run = null
    if (r === null || r.to - r.from < this.o.minDurationMs) return
    out.push({
      unitId: p.phone,
      kind: 'device_disagreement',
      from: r.from,
      to: r.to,
      relatedUnitId: p.terminal,
      evidence: { durationMinutes: minutes(r.to - r.from), comparisons: r.n, meanDistanceM: round1(r.sumM / r.n), maxDistanceM: round1(r.maxM) },
    })
  }
}
