// frozen_position: many fixes at one position while the unit keeps reporting. Real GPS (and network
// location) wanders by metres between fixes even at rest; identical coordinates fix after fix come
// from a fake-location app holding a pin, or a device resending a cached position. A run is the
// fixes within tolerance_m of its first; a signal needs min_fixes over min_duration. Terminals
// that freeze a parked position on purpose (JT/T 808 static drift filter) are left out by source.
import type { Fix } from '../decode/fix.js'
import { haversineM } from '../geo/distance.js'
import type { IntegrityOptions } from './options.js'
import { minutes, round1, usable, type IntegrityDetector, type IntegritySignal } from './signal.js'

interface Run { lat: number; lon: number; from: number; to: number; fixes: number; maxOffsetM: number }

export class FrozenPositions implements IntegrityDetector {
  private readonly runs = new Map<string, Run>()

  constructor (private readonly o: IntegrityOptions['frozen']) {}

  observe(fix: Fix): IntegritySignal[] {
    if (!usable(fix) || !this.o.sources.has(fix.source)) return []
    const run = this.runs.get(fix.unitId)
    if (run !== undefined && fix.ts < run.to) return []
    if (run !== undefined) {
      const d = haversineM(run.lat, run.lon, fix.lat, fix.lon)
      if (d <= this.o.toleranceM) {
        run.to = fix.ts
        run.fixes++
        run.maxOffsetM = Math.max(run.maxOffsetM, d)
        return []
      }
    }
    this.runs.set(fix.unitId, { lat: fix.lat, lon: fix.lon, from: fix.ts, to: fix.ts, fixes: 1, maxOffsetM: 0 })
    return run === undefined ? [] : this.emit(fix.unitId, run)
  }

  flush(): IntegritySignal[] {
    const out: IntegritySignal[] = []
    for (const [unitId, run] of this.runs) out.push(...this.emit(unitId, run))
    this.runs.clear()
    return out
  }

  private emit(unitId: string, run: Run): IntegritySignal[] {
    if (run.fixes < this.o.minFixes || run.to - run.from < this.o.minDurationMs) return []
    return [{ unitId, kind: 'frozen_position', from: run.from, to: run.to, evidence: { fixes: run.fixes, durationMinutes: minutes(run.to - run.from), maxOffsetM: round1(run.maxOffsetM) } }]
  }
}
