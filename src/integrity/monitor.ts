// All integrity detectors behind one call: the engine (or a replay of stored fixes, or the
// benchmark) feeds every fix in fix-time order and collects the signals. Pure and clocked by fix
// time only, so the same fixes always give the same signals.
import type { Fix } from '../decode/fix.js'
import { FrozenPositions } from './frozen.js'
import { MockRuns } from './mock-runs.js'
import type { IntegrityOptions } from './options.js'
import { PairDistance } from './pair-distance.js'
import { ReplayedTracks } from './replay.js'
import type { IntegrityDetector, IntegritySignal } from './signal.js'
import { StationaryShare } from './stationary.js'
import { VehicleSpeed } from './vehicle-speed.js'

export interface IntegrityUnits {
  /** A unit's kind (units[].kind); undefined for a unit not in the deployment. */
  kindOf: (unitId: string) => string | undefined
  /** Units whose job is to stand still (a post's watch): not judged on stationary time. */
  stationed?: (unitId: string) => boolean
  /** The day a fix time belongs to (local days of the reports); UTC days by default. */
  dayOf?: (ts: number) => number
  /** Phone unit → the vehicle terminal unit it rides with (units[].pair); none by default. */
  pairs?: ReadonlyMap<string, string>
}

export class IntegrityMonitor implements IntegrityDetector {
  readonly detectors: readonly IntegrityDetector[]

  constructor (o: IntegrityOptions, units: IntegrityUnits) {
    const day = units.dayOf === undefined ? {} : { dayOf: units.dayOf }
    this.detectors = [
      new MockRuns(o.mock),
      new VehicleSpeed(o.vehicleSpeed, units.kindOf),
      new FrozenPositions(o.frozen),
      new ReplayedTracks(o.replay, day),
      new StationaryShare(o.stationary, { ...day, ...(units.stationed === undefined ? {} : { exempt: units.stationed }) }),
      new PairDistance(o.pair, units.pairs ?? new Map()),
    ]
  }

  observe(fix: Fix): IntegritySignal[] {
    const out: IntegritySignal[] = []
    for (const d of this.detectors) for (const s of d.observe(fix)) out.push(s)
    return out
  }

  flush(): IntegritySignal[] {
    return this.detectors.flatMap((d) => d.flush())
  }
}
