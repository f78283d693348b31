// Delivers the incidents stage's events everywhere at once: webhooks (Dispatcher.publishEvent),
// MQTT `hexpatrol/incidents/{type}/{subject}` (QoS 1 with retries, not retained: these are
// happenings, not states) and the live stream (StreamHub types `incident`, `plan`,
// `patrol_level`). Never throws.
import type { Logger } from 'pino'
import type { OutboundEvent } from './events.js'

export const INCIDENTS_TOPIC_PREFIX = 'hexpatrol/incidents'

export function eventTopic(e: OutboundEvent): string {
  return `${INCIDENTS_TOPIC_PREFIX}/${e.type}/${e.subject.replace(/[+#]|\0/g, '')}`
}

/** SSE event type for an event type: incident.* → incident, plan.* / checkpoint.* → plan, patrol_level.* → patrol_level. */
export function streamType(type: string): string {
  const head = type.split('.')[0] as string
  return head === 'checkpoint' ? 'plan' : head
}

export interface FanoutTargets {
  webhooks?: { publishEvent(e: OutboundEvent): unknown } | undefined
  mqtt?: { publishEvent(topic: string, e: OutboundEvent, opts?: { retain?: boolean }): void } | undefined
  hub?: { publish(type: string, data: unknown, opts?: { zone?: string; unit?: string }): void } | undefined
  logger: Logger
}

export function createFanout(t: FanoutTargets): (e: OutboundEvent) => void {
  return (e) => {
    t.logger.info({ event: e.id, type: e.type, subject: e.subject }, e.summary)
    try {
      t.webhooks?.publishEvent(e)
    } catch (err) {
      t.logger.error({ err, event: e.id }, 'Event could not be queued for webhooks.')
    }
    t.mqtt?.publishEvent(eventTopic(e), e, { retain: false })
    const zone = typeof e.data.zoneId === 'string' ? e.data.zoneId : undefined
    t.hub?.publish(streamType(e.type), e, zone === undefined ? {} : { zone })
  }
}
