// The one MQTT topic builder: where each outbound event is published, from the configured prefixes
// (built once at start-up; the hot path only formats). An alert transition goes to
// `${alerts}/{kind}/{subject}` (the full feed, for integration logins) and, for an alert about one
// unit, to `${devices}/{unit}/alerts/{kind}/{subject}` (the only alerts that unit's device may read);
// any other event (incident.*, plan.*, checkpoint.*, patrol_level.*, patrol_bulletin.*, integrity.signal) to
// `${events}/{type}/{subject}`; a make-up patrol task's (patrol_task.*) also to the unit's own
// `${devices}/{unit}/tasks/{type}`, so its phone or terminal app can show the task; an incident's
// assignment or close (incident.assigned / incident.closed) also to each of its units'
// `${devices}/{unit}/incidents/{assigned|closed}`. MQTT wildcards and NUL are stripped from
// subjects and unit ids. Pure.
import type { AlertEvent } from '../rules/alert-event.js'
import { alertOf, type OutboundEvent } from './outbound-event.js'

/** Where devices read their own alerts: `hexpatrol/devices/{unit}/alerts/…` (broker.subscribe_acl `hexpatrol/devices/%u/#`). */
export const DEVICE_TOPIC_PREFIX = 'hexpatrol/devices'

const clean = (s: string) => s.replace(/[+#]|\0/g, '')
const trim = (prefix: string) => prefix.replace(/\/+$/, '')

/** `${prefix}/${kind}/${subject}`. */
export function alertTopic(prefix: string, event: AlertEvent): string {
  return `${trim(prefix)}/${event.kind}/${clean(event.subject)}`
}

/** `${devicePrefix}/${unitId}/alerts/${kind}/${subject}`, or null for an alert about no single unit (a zone's). */
export function deviceAlertTopic(devicePrefix: string, event: AlertEvent): string | null {
  if (typeof event.unitId !== 'string' || event.unitId === '') return null
  return `${trim(devicePrefix)}/${clean(event.unitId).replace(/\//g, '')}/alerts/${event.kind}/${clean(event.subject)}`
}

/** `${prefix}/${type}/${subject}`, for any event that is not an alert transition. */
export function eventTopic(prefix: string, e: OutboundEvent): string {
  return `${trim(prefix)}/${e.type}/${clean(e.subject)}`
}

/** `${devicePrefix}/${unitId}/tasks/${type}` for a patrol_task.* event with a unit, else null. */
export function deviceTaskTopic(devicePrefix: string, e: OutboundEvent): string | null {
  const unit = e.data.unitId
  if (!e.type.startsWith('patrol_task.') || typeof unit !== 'string' || unit === '') return null
  return `${trim(devicePrefix)}/${clean(unit).replace(/\//g, '')}/tasks/${e.type}`
}

/** `${devicePrefix}/${unitId}/incidents/${assigned|closed}` for each unit of an incident.assigned / .closed event. */
export function deviceIncidentTopics(devicePrefix: string, e: OutboundEvent): string[] {
  if (e.type !== 'incident.assigned' && e.type !== 'incident.closed') return []
  const units = Array.isArray(e.data.units) ? (e.data.units as unknown[]) : []
  const what = e.type.slice('incident.'.length)
  const out: string[] = []
  for (const u of units) {
    const id = (u as { unitId?: unknown } | null)?.unitId
    if (typeof id !== 'string') continue
    const unit = clean(id).replace(/\//g, '')
    if (unit !== '') out.push(`${trim(devicePrefix)}/${unit}/incidents/${what}`)
  }
  return out
}

export interface TopicPrefixes {
  /** mqtt.alerts_topic_prefix */
  alerts: string
  /** mqtt.events_topic_prefix */
  events: string
  /** Also publish each unit's alerts to its device topic (the engine passes DEVICE_TOPIC_PREFIX). */
  devices?: string | undefined
}

/** The topics of an event, in publication order; `alert` is alertOf(e) when the caller has it. */
export type TopicsOf = (e: OutboundEvent, alert?: AlertEvent | null) => string[]

export function topicBuilder(p: TopicPrefixes): TopicsOf {
  const alerts = trim(p.alerts)
  const events = trim(p.events)
  const devices = p.devices
  return (e, alert = alertOf(e)) => {
    if (alert === null) {
      if (devices === undefined) return [eventTopic(events, e)]
      const task = deviceTaskTopic(devices, e)
      if (task !== null) return [eventTopic(events, e), task]
      return [eventTopic(events, e), ...deviceIncidentTopics(devices, e)]
    }
    const device = devices === undefined ? null : deviceAlertTopic(devices, alert)
    return device === null ? [alertTopic(alerts, alert)] : [alertTopic(alerts, alert), device]
  }
}
