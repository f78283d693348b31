// stationary_share: how much of a unit's reporting time on a day went to long stationary periods
// (a phone left at the station still "patrols" by reporting). A period is a stretch of fixes within
// radius_m (or three times their accuracy, when larger) of its running centre; up to two fixes
// outside in a row are taken as noise (multipath), a third ends it. Periods of at least min_period count. At the end of each day
// (dayOf changes, or flush) a day with enough reporting time whose share reaches max_share is one
// signal. O(1) state per unit. Units whose job is to stand (a post's watch) are left out by `exempt`.
import type { Fix } from '../decode/fix.js'
import { haversineM } from '../geo/distance.js'
import type { IntegrityOptions } from './options.js'
import { minutes, usable, type IntegrityDetector, type IntegritySignal } from './signal.js'

interface Period { lat: number; lon: number; n: number; from: number; to: number; outside: number }

interface Day {
  day: number
  first: number
  last: number
  reportingMs: number
  stationaryMs: number
  periods: number
  longestMs: number
  period: Period | null
}

export interface StationaryDeps {
  /** The day a fix time belongs to (a local day in the reports' time zone); UTC days by default. */
  dayOf?: (ts: number) => number
  /** Units not judged (a post's stationed watch). */
  exempt?: (unitId: string) => boolean
}

/** Fixes in a row outside a period's radius taken as noise before the period ends. */
const MAX_OUTSIDE = 2

const UTC_DAY = (ts: number): number => Math.floor(ts / 86_400_000)

export class StationaryShare implements IntegrityDetector {
  private readonly days = new Map<string, Day>()
  private readonly dayOf: (ts: number) => number
  private readonly exempt: (unitId: string) => boolean

  constructor (private readonly o: IntegrityOptions['stationary'], deps: StationaryDeps = {}) {
    this.dayOf = deps.dayOf ?? UTC_DAY
    this.exempt = deps.exempt ?? (() => false)
  }

  observe(fix: Fix): IntegritySignal[] {
    if (!usable(fix) || (fix.accuracy !== null && fix.accuracy > this.o.maxAccuracyM) || this.exempt(fix.unitId)) return []
    const day = this.dayOf(fix.ts)
    let d = this.days.get(fix.unitId)
    if (d !== undefined && fix.ts < d.last) return []
    const out: IntegritySignal[] = []
    if (d !== undefined && d.day !== day) {
      this.close(fix.unitId, d, out)
      d = undefined
    }
    if (d === undefined) {
      this.days.set(fix.unitId, { day, first: fix.ts, last: fix.ts, reportingMs: 0, stationaryMs: 0, periods: 0, longestMs: 0, period: start(fix) })
      return out
    }
    const gap = fix.ts - d.last
    if (gap <= this.o.maxGapMs) d.reportingMs += gap
    d.last = fix.ts
    const p = d.period
    const radius = Math.max(this.o.radiusM, 3 * (fix.accuracy ?? 0))
    if (p !== null && gap <= this.o.maxGapMs && haversineM(p.lat, p.lon, fix.lat, fix.lon) <= radius) {
      p.lat += (fix.lat - p.lat) / (p.n + 1)
      p.lon += (fix.lon - p.lon) / (p.n + 1)
      p.n++
      p.to = fix.ts
      p.outside = 0
    } else if (p !== null && gap <= this.o.maxGapMs && p.outside < MAX_OUTSIDE) {
      p.outside++
    } else {
      if (p !== null) this.count(d, p)
      d.period = start(fix)
    }
    return out
  }

  flush(): IntegritySignal[] {
    const out: IntegritySignal[] = []
    for (const [unitId, d] of this.days) this.close(unitId, d, out)
    this.days.clear()
    return out
  }

  private count(d: Day, p: Period): void {
    const ms = p.to - p.from
    if (ms < this.o.minPeriodMs) return
    d.stationaryMs += ms
    d.periods++
    d.longestMs = Math.max(d.longestMs, ms)
  }

  private close(unitId: string, d: Day, out: IntegritySignal[]): void {
    if (d.period !== null) this.count(d, d.period)
    d.period = null
    if (d.reportingMs < this.o.minReportingMs) return
    const share = d.stationaryMs / d.reportingMs
    if (share < this.o.maxShare) return
    out.push({
      unitId,
      kind: 'stationary_share',
      from: d.first,
      to: d.last,
      evidence: { stationaryShare: Math.round(share * 1000) / 1000, stationaryMinutes: minutes(d.stationaryMs), reportingMinutes: minutes(d.reportingMs), periods: d.periods, longestMinutes: minutes(d.longestMs) },
    })
  }
}

function start(fix: Fix): Period {
  return { lat: fix.lat, lon: fix.lon, n: 1, from: fix.ts, to: fix.ts, outside: 0 }
}
