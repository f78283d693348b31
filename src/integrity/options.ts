// The detectors' options in the units they compute in (ms, m/s, metres), built once from the
// validated `integrity` config block, plus what the composition root knows about units.
import type { Config } from '../config/schema.js'

export interface IntegrityOptions {
  mock: { minFixes: number; runGapMs: number }
  vehicleSpeed: {
    footKinds: ReadonlySet<string>
    vehicleKinds: ReadonlySet<string>
    speedMps: number
    speedWindowMs: number
    windowMs: number
    minFastMs: number
    maxAccuracyM: number
    companionDistanceM: number
    companionMinShare: number
  }
  frozen: { toleranceM: number; minFixes: number; minDurationMs: number; sources: ReadonlySet<string> }
  replay: { days: number; maxFixesPerDay: number; matchM: number; minFixes: number; minDistanceM: number }
  stationary: { radiusM: number; minPeriodMs: number; maxShare: number; minReportingMs: number; maxGapMs: number; maxAccuracyM: number }
  pair: { distanceM: number; minDurationMs: number; maxDtMs: number; maxGapMs: number; maxAccuracyM: number }
}

export function integrityOptions(c: Config['integrity']): IntegrityOptions {
  const v = c.vehicle_speed
  const s = c.stationary
  return {
    mock: { minFixes: c.mock.min_fixes, runGapMs: c.mock.run_gap },
    vehicleSpeed: {
      footKinds: new Set(v.foot_kinds),
      vehicleKinds: new Set(v.vehicle_kinds),
      speedMps: v.speed_kmh / 3.6,
      speedWindowMs: v.speed_window,
      windowMs: v.window,
      minFastMs: v.min_fast,
      maxAccuracyM: v.max_accuracy_m,
      companionDistanceM: v.companion_distance_m,
      companionMinShare: v.companion_min_share,
    },
    frozen: { toleranceM: c.frozen.tolerance_m, minFixes: c.frozen.min_fixes, minDurationMs: c.frozen.min_duration, sources: new Set(c.frozen.sources) },
    replay: { days: c.replay.days, maxFixesPerDay: c.replay.max_fixes_per_day, matchM: c.replay.match_m, minFixes: c.replay.min_fixes, minDistanceM: c.replay.min_distance_m },
    stationary: { radiusM: s.radius_m, minPeriodMs: s.min_period, maxShare: s.max_share, minReportingMs: s.min_reporting, maxGapMs: s.max_gap, maxAccuracyM: s.max_accuracy_m },
    pair: { distanceM: c.pair.distance_m, minDurationMs: c.pair.min_duration, maxDtMs: c.pair.max_dt, maxGapMs: c.pair.max_gap, maxAccuracyM: c.pair.max_accuracy_m },
  }
}
