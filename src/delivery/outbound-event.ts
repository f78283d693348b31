// What the delivery stage sends: any event, not only alerts. Webhooks, the MQTT publisher and the
// outbox carry this shape; an alert transition is adapted to it, other stages (bulletins,
// incidents, patrol levels) build their own. The webhook-id derives from `id`, so it must be stable.
import { ALERT_KINDS, ALERT_STATES, type AlertEvent } from '../rules/alert-event.js'

export interface OutboundEvent {
  /** Stable and deterministic (a replay yields the same id): the webhook-id derives from it. */
  id: string
  /** Matched by a subscription's `events` patterns, e.g. `radius_breach.opened`, `patrol_bulletin.daily`. */
  type: string
  /** Time of the event, epoch ms (the body's `timestamp`). */
  at: number
  /** The body's `data`; `data.zoneId` (a string) is what a subscription's `zones` filter matches. */
  data: Record<string, unknown>
  /** One human-readable line: what the chat formats (Slack, DingTalk, WeCom) show. */
  summary: string
  /** Deliveries of one subject reach a subscription in order, e.g. `unit:P-017`, `zone:grid-2`. */
  subject: string
}

/** An alert transition as an outbound event: the same id, type, subject and summary; `data` is the alert. */
export function alertToOutbound(alert: AlertEvent): OutboundEvent {
  return { id: alert.eventId, type: alert.type, at: alert.at, data: alert as unknown as Record<string, unknown>, summary: alert.summary, subject: alert.subject }
}

const KINDS: ReadonlySet<string> = new Set(ALERT_KINDS)
const STATES: ReadonlySet<string> = new Set(ALERT_STATES)

/** The alert behind an event built by alertToOutbound (also after an outbox reload), else null. */
export function alertOf(e: OutboundEvent): AlertEvent | null {
  const d = e.data
  const kind = d.kind
  const state = d.state
  if (typeof kind !== 'string' || typeof state !== 'string' || !KINDS.has(kind) || !STATES.has(state)) return null
  if (d.eventId !== e.id || e.type !== `${kind}.${state}` || typeof d.alertId !== 'string') return null
  return d as unknown as AlertEvent
}

/** The zone a subscription's `zones` filter matches against, if the event has one. */
export function eventZone(e: OutboundEvent): string | undefined {
  const z = e.data.zoneId
  return typeof z === 'string' ? z : undefined
}

/** A structurally valid event (outbox files are re-read at start-up). */
export function isOutboundEvent(x: unknown): x is OutboundEvent {
  const e = x as OutboundEvent
  return typeof e === 'object' && e !== null && typeof e.id === 'string' && typeof e.type === 'string' && typeof e.at === 'number' &&
    typeof e.data === 'object' && e.data !== null && !Array.isArray(e.data) && typeof e.summary === 'string' && typeof e.subject === 'string'
}
