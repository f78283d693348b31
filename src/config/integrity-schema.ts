// Config keys of patrol integrity (`integrity`): the thresholds of the detectors in src/integrity/
// that tell a patrol from a faked one (mock location, a phone left in a car, frozen or replayed
// positions, stationary time). Plugged into the root schema by src/config/schema.ts; turned into
// the detectors' options by src/integrity/options.ts.
import { Type } from '@sinclair/typebox'
import { Duration, Obj } from './schema-parts.js'

const Kinds = (def: string[]) => Type.Array(Type.String({ minLength: 1 }), { default: def, uniqueItems: true })

export const IntegritySchema = Obj({
  /** mock_location: a run of fixes the device marked as coming from a mock-location provider (Traccar Client's `mock=true`). */
  mock: Obj({
    /** Mocked fixes a run needs before it is a signal. */
    min_fixes: Type.Integer({ minimum: 1, default: 3 }),
    /** A run ends at a real fix, or after this long without a mocked one. */
    run_gap: Duration('10m'),
  }),
  /** vehicle_speed: a foot unit moving at vehicle speed for long stretches (a phone left in a car), with the vehicle whose track it follows. */
  vehicle_speed: Obj({
    /** Unit kinds (units[].kind) that patrol on foot: the only ones this detector watches. */
    foot_kinds: Kinds(['officer']),
    /** Unit kinds that are vehicles: a foot unit's fast stretch is compared with their tracks. */
    vehicle_kinds: Kinds(['vehicle']),
    /** Speed (km/h) no patrol on foot keeps up: measured over speed_window, so one outlier cannot reach it. */
    speed_kmh: Type.Number({ exclusiveMinimum: 0, default: 20 }),
    /** Speed is the straight-line distance between fixes at least this far apart in time. */
    speed_window: Duration('3m'),
    /** The fast time is summed over this sliding window. */
    window: Duration('60m'),
    /** A signal opens once the fast time within window reaches this (a legitimate car ride is shorter). */
    min_fast: Duration('25m'),
    /** Fixes less accurate than this (metres) are not used (network location would fake speed). */
    max_accuracy_m: Type.Number({ exclusiveMinimum: 0, default: 50 }),
    /** A vehicle within this distance (metres) of the foot unit at the same time is travelling with it. */
    companion_distance_m: Type.Number({ exclusiveMinimum: 0, default: 150 }),
    /** The vehicle is named in the signal when it was with the foot unit for at least this share of its fast fixes. */
    companion_min_share: Type.Number({ minimum: 0, maximum: 1, default: 0.6 }),
  }),
  /** frozen_position: many fixes at the same coordinates while reporting (real GPS always moves a little). */
  frozen: Obj({
    /** Fixes within this distance (metres) of the run's first fix count as the same position. */
    tolerance_m: Type.Number({ minimum: 0, default: 0.5 }),
    /** Fixes a run needs before it is a signal. */
    min_fixes: Type.Integer({ minimum: 2, default: 20 }),
    /** Fix time a run must span before it is a signal. */
    min_duration: Duration('10m'),
    /** Payload formats watched; JT/T 808 terminals hold a parked position on purpose (static drift filter) and are left out by default. */
    sources: Kinds(['native', 'owntracks', 'osmand']),
  }),
  /** replayed_track: a moving stretch that retraces, fix by fix, a track the unit reported on an earlier day. */
  replay: Obj({
    /** Earlier days kept per unit to compare with. */
    days: Type.Integer({ minimum: 1, maximum: 14, default: 2 }),
    /** Fixes kept per unit and day (memory ≈ units × days × this × 20 bytes); later fixes of a day are not kept. */
    max_fixes_per_day: Type.Integer({ minimum: 10, default: 4000 }),
    /** A fix retraces the earlier track when it lies within this distance (metres) of it. */
    match_m: Type.Number({ exclusiveMinimum: 0, default: 3 }),
    /** Consecutive retracing fixes a stretch needs before it is a signal. */
    min_fixes: Type.Integer({ minimum: 2, default: 30 }),
    /** Distance (metres) the stretch must cover: a unit standing still is frozen_position's business. */
    min_distance_m: Type.Number({ minimum: 0, default: 300 }),
  }),
  /** stationary_share: the share of a unit's reporting time on a day spent in long stationary periods. */
  stationary: Obj({
    /** A unit is stationary while its fixes stay within this radius (metres), or three times their accuracy when larger, of the period's centre. */
    radius_m: Type.Number({ exclusiveMinimum: 0, default: 60 }),
    /** Stationary periods shorter than this are ordinary stops and are not counted. */
    min_period: Duration('30m'),
    /** A day whose long stationary periods reach this share of its reporting time is a signal. */
    max_share: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }),
    /** Days with less reporting time than this are not judged. */
    min_reporting: Duration('2h'),
    /** Two fixes further apart in time than this do not count as reporting time between them. */
    max_gap: Duration('10m'),
    /** Fixes less accurate than this (metres) are not used. */
    max_accuracy_m: Type.Number({ exclusiveMinimum: 0, default: 100 }),
  }),
  /** device_disagreement: a phone paired with a vehicle terminal (units[].pair) reporting far from it while both report. */
  pair: Obj({
    /** The two devices disagree when their positions at the same time are further apart than this (metres). */
    distance_m: Type.Number({ exclusiveMinimum: 0, default: 500 }),
    /** A disagreement lasting at least this long is a signal (a crew member walking off for a while stays under it). */
    min_duration: Duration('30m'),
    /** Two fixes, one of each device, at most this far apart in time are compared. */
    max_dt: Duration('2m'),
    /** A disagreement ends after this long without a comparison (one device silent). */
    max_gap: Duration('10m'),
    /** Fixes less accurate than this (metres) are not compared. */
    max_accuracy_m: Type.Number({ exclusiveMinimum: 0, default: 100 }),
  }),
})
