// mock_location: runs of fixes the device itself marked as mocked (FixFlag.Mock, set by the OsmAnd
// decoder from Traccar Client's `mock=true`). A run ends at the unit's next real fix or after
// run_gap without a mocked one; one signal per run of at least min_fixes. O(1) state per unit.
import { FixFlag, type Fix } from '../decode/fix.js'
import type { IntegrityOptions } from './options.js'
import { minutes, type IntegrityDetector, type IntegritySignal } from './signal.js'

interface Run { from: number; to: number; fixes: number }

export class MockRuns implements IntegrityDetector {
  private readonly runs = new Map<string, Run>()
  private readonly last = new Map<string, number>()

  constructor (private readonly o: IntegrityOptions['mock']) {}

  observe(fix: Fix): IntegritySignal[] {
    const prev = this.last.get(fix.unitId)
    if (prev !== undefined && fix.ts < prev) return []
    this.last.set(fix.unitId, fix.ts)
    const mock = (fix.flags & FixFlag.Mock) !== 0
    const out: IntegritySignal[] = []
    const run = this.runs.get(fix.unitId)
    if (run !== undefined && (!mock || fix.ts - run.to > this.o.runGapMs)) {
      this.runs.delete(fix.unitId)
      this.emit(fix.unitId, run, out)
    }
    if (mock) {
      const r = this.runs.get(fix.unitId)
      if (r === undefined) this.runs.set(fix.unitId, { from: fix.ts, to: fix.ts, fixes: 1 })
      else {
        r.to = fix.ts
        r.fixes++
      }
    }
    return out
  }

  flush(): IntegritySignal[] {
    const out: IntegritySignal[] = []
    for (const [unitId, run] of this.runs) this.emit(unitId, run, out)
    this.runs.clear()
    return out
  }

  private emit(unitId: string, run: Run, out: IntegritySignal[]): void {
    if (run.fixes < this.o.minFixes) return
    out.push({ unitId, kind: 'mock_location', from: run.from, to: run.to, evidence: { fixes: run.fixes, durationMinutes: minutes(run.to - run.from) } })
  }
}
