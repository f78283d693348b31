// What the live stream (API /api/v1/stream) receives for an outbound event: an alert transition
// as `alert` with the alert itself (zone and unit for the clients' filters); any other event as
// the head of its type (incident.* → incident, plan.* and checkpoint.* → plan, patrol_level.* →
// patrol_level, patrol_bulletin.* → patrol_bulletin, integrity.signal → integrity) with the event,
// filtered by its zone if it has one. Pure.
import type { AlertEvent } from '../rules/alert-event.js'
import { alertOf, eventZone, type OutboundEvent } from './outbound-event.js'

export interface StreamFrame {
  type: string
  data: unknown
  opts: { zone?: string | undefined; unit?: string | undefined }
}

/** SSE event type of a (non-alert) event type: its head, except checkpoint.* which belongs to plans. */
export function streamType(type: string): string {
  const head = type.split('.')[0] as string
  return head === 'checkpoint' ? 'plan' : head
}

/** `alert` is alertOf(e) when the caller has it. */
export function streamFrame(e: OutboundEvent, alert: AlertEvent | null = alertOf(e)): StreamFrame {
  if (alert !== null) return { type: 'alert', data: alert, opts: { zone: alert.zoneId, unit: alert.unitId } }
  const zone = eventZone(e)
  return { type: streamType(e.type), data: e, opts: zone === undefined ? {} : { zone } }
}
