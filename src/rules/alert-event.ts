// The alert transition event: what the rule engine emits and the delivery stage sends.
// Its JSON form (camelCase keys as below) is the `data` of a webhook body and the MQTT alert payload.

export const ALERT_KINDS = ['radius_breach', 'zone_exit', 'coverage_gap', 'response_gap', 'unit_silent'] as const
export type AlertKind = (typeof ALERT_KINDS)[number]
export const ALERT_STATES = ['opened', 'acknowledged', 'resolved'] as const
export type AlertState = (typeof ALERT_STATES)[number]
export type AlertEventType = `${AlertKind}.${AlertState}`

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

export interface AlertEvent {
  /** Unique per transition and deterministic: `${alertId}.${state}`. The webhook-id derives from it. */
  eventId: string
  /** Stable for the whole life of one alert (opened → resolved). */
  alertId: string
  type: AlertEventType
  kind: AlertKind
  state: AlertState
  /** `unit:P-017`, `zone:grid-2`, or `unit:P-017/post:station-03`. One open alert per (kind, subject). */
  subject: string
  /** Time of this transition, epoch ms (fix time for fix-driven edges, clock time for timers). */
  at: number
  /** When the alert opened, epoch ms. */
  openedAt: number
  unitId?: string
  unitName?: string
  unitKind?: string
  zoneId?: string
  zoneName?: string
  postId?: string
  postName?: string
  /** The fix that confirmed the transition (breach/exit/silent). */
  position?: { lat: number; lon: number; ts: number; accuracy: number | null; h3: string }
  /** Distance from the post (radius_breach) or outside the zone boundary (zone_exit), metres. */
  distanceM?: number
  radiusM?: number
  /** coverage_gap / response_gap: share of fresh (or covered) cells, 0..1, and the threshold. */
  ratio?: number
  minRatio?: number
  cellCount?: number
  staleCells?: StaleCell[]
  /** unit_silent: last fix time. */
  lastFixAt?: number | null
  /** acknowledged: who acknowledged. */
  acknowledgedBy?: string
  /** Human-readable one-liner for chat formats and logs. */
  summary: string
}
