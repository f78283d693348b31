// The alert transition event: what the rule engine emits and the delivery stage sends.
// Its JSON form (camelCase keys as below) is the `data` of a webhook body and the MQTT alert payload.
// AlertEvent is a union keyed by `kind`: a radius_breach always carries its unit, post, position
// and distance; a coverage_gap its zone, ratio and stale cells; and so on. Fields that belong to
// other kinds are declared absent (`?: undefined`) so generic consumers can still read them.
// checkpoint_missed is not decided by a rule here but by the incidents stage's plan board
// (src/incidents/checkpoint-alerts.ts); it lives in the same book, so it is listed, acknowledged,
// stored and delivered like every other alert.

export const ALERT_KINDS = ['radius_breach', 'zone_exit', 'coverage_gap', 'response_gap', 'unit_silent', 'unit_sos', 'checkpoint_missed'] as const
export type AlertKind = (typeof ALERT_KINDS)[number]
export const ALERT_STATES = ['opened', 'acknowledged', 'resolved'] as const
export type AlertState = (typeof ALERT_STATES)[number]
export type AlertEventType = `${AlertKind}.${AlertState}`

/**
 * Why an alert resolved other than by the rule itself: the deployment changed under it, or (a
 * checkpoint_missed) its plan stood down before the checkpoint was manned.
 */
export type ResolveReason = 'config_changed' | 'plan_deactivated'

export interface StaleCell {
  /** H3 cell id (hex). */
  cell: string
  lat: number
  lon: number
  /** Last visit, epoch ms; null when never visited. */
  lastVisit: number | null
  /** Set on priority cells. */
  priority?: boolean
  name?: string
}

export interface AlertPosition { lat: number; lon: number; ts: number; accuracy: number | null; h3: string }

/** Fields every transition has, whatever its kind. */
export interface AlertBase<K extends AlertKind = AlertKind> {
  /** Unique per transition and deterministic: `${alertId}.${state}`. The webhook-id derives from it. */
  eventId: string
  /** Stable for the whole life of one alert (opened → resolved). */
  alertId: string
  type: `${K}.${AlertState}`
  kind: K
  state: AlertState
  /** `unit:P-017/post:station-03`, `unit:P-017/zone:grid-2`, `unit:P-017`, `zone:grid-2`, `plan:flood/checkpoint:0`. One open alert per (kind, subject). */
  subject: string
  /** Time of this transition, epoch ms (fix time for fix-driven edges, clock time for timers). */
  at: number
  /** When the alert opened, epoch ms. */
  openedAt: number
  /** acknowledged (and later transitions): who acknowledged. */
  acknowledgedBy?: string
  /** acknowledged (and later transitions): the note the operator left with the acknowledgement, if any. */
  ackNote?: string
  /** Set on a resolution the rule did not decide (the subject's post, zone or unit changed or went away). */
  reason?: ResolveReason
  /** Human-readable one-liner for chat formats and logs. */
  summary: string
}

interface UnitFields {
  unitId: string
  unitName: string
  unitKind: string
}

interface ZoneFields {
  zoneId: string
  zoneName: string
}

export interface RadiusBreachFields extends UnitFields {
  postId: string
  postName: string
  /** The fix that confirmed the transition. */
  position: AlertPosition
  /** Distance from the post, metres. */
  distanceM: number
  radiusM: number
}

export interface ZoneExitFields extends UnitFields, ZoneFields {
  position: AlertPosition
  /** Distance outside (opened) or inside (resolved) the zone boundary, metres. */
  distanceM: number
}

export interface UnitSilentFields extends UnitFields {
  /** The unit's last known position, when it ever reported. */
  position?: AlertPosition
  /** Fix time (device clock) of the last fix, or null. */
  lastFixAt: number | null
}

/** What raised an SOS: a JT/T 808 emergency alarm, Traccar Client's alarm=sos, or a native `sos: true`. */
export type SosVia = 'jt808' | 'osmand' | 'native'

export interface UnitSosFields extends UnitFields {
  /** Where the unit was, when the report that raised the SOS had a position. */
  position?: AlertPosition
  via: SosVia
  /** resolved: the operator who resolved it, and their note (an SOS is never closed by the device). */
  resolvedBy?: string
  note?: string
}

export interface CoverageGapFields extends ZoneFields {
  /** Share of fresh cells, 0..1, and the threshold. */
  ratio: number
  minRatio: number
  cellCount: number
  staleCells: StaleCell[]
}

export interface ResponseGapFields extends ZoneFields {
  /** Share of cells within the response radius of a live unit, 0..1, and the threshold. */
  ratio: number
  minRatio: number
  cellCount: number
  radiusM: number
}

/** The checkpoint a checkpoint_missed alert is about, where the plan's activation placed it. */
export interface CheckpointRef {
  /** Position in the plan's checkpoint list (the subject's `checkpoint:<index>`). */
  index: number
  name: string
  lat: number
  lon: number
  radiusM: number
  /** When it had to be manned, epoch ms. */
  deadline: number
}

export interface CheckpointMissedFields {
  planId: string
  planName: string
  /** `<planId>.<activatedAt>`: the activation whose checkpoint was missed. */
  activationId: string
  incidentId: string | null
  checkpoint: CheckpointRef
  /** The units responsible for the checkpoint (posts expanded). */
  responsible: string[]
  /** resolved by an arrival: the unit that manned the checkpoint, and when (fix time). */
  reachedBy?: string
  reachedAt?: number
  /** resolved with reason plan_deactivated: who stood the plan down. */
  deactivatedBy?: string
}

/** Kind → the fields a rule supplies for it. */
export interface AlertFieldsByKind {
  radius_breach: RadiusBreachFields
  zone_exit: ZoneExitFields
  unit_silent: UnitSilentFields
  unit_sos: UnitSosFields
  coverage_gap: CoverageGapFields
  response_gap: ResponseGapFields
  checkpoint_missed: CheckpointMissedFields
}

type AllFields = RadiusBreachFields & ZoneExitFields & UnitSilentFields & UnitSosFields & CoverageGapFields & ResponseGapFields & CheckpointMissedFields
type Absent<T> = { [P in keyof T]?: undefined }

export type AlertEventOf<K extends AlertKind> = AlertBase<K> & AlertFieldsByKind[K] & Absent<Omit<AllFields, keyof AlertFieldsByKind[K]>>

export type RadiusBreachEvent = AlertEventOf<'radius_breach'>
export type ZoneExitEvent = AlertEventOf<'zone_exit'>
export type UnitSilentEvent = AlertEventOf<'unit_silent'>
export type UnitSosEvent = AlertEventOf<'unit_sos'>
export type CoverageGapEvent = AlertEventOf<'coverage_gap'>
export type ResponseGapEvent = AlertEventOf<'response_gap'>
export type CheckpointMissedEvent = AlertEventOf<'checkpoint_missed'>

export type AlertEvent = RadiusBreachEvent | ZoneExitEvent | UnitSilentEvent | UnitSosEvent | CoverageGapEvent | ResponseGapEvent | CheckpointMissedEvent
