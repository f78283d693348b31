// Delivers the incidents stage's events everywhere at once: webhooks (Dispatcher.publishEvent),
// MQTT `hexpatrol/incidents/{type}/{subject}` (QoS 1, not retained: these are happenings, not
// states) and the live stream (StreamHub types `incident`, `plan`, `patrol_level`). Never throws.
import type { Logger } from 'pino'
import type { OutboundEvent } from './events.js'

export type MqttPublish = (topic: string, payload: string, opts: { qos: 1; retain: boolean }) => Promise<void>

export const INCIDENTS_TOPIC_PREFIX = 'hexpatrol/incidents'

export function eventTopic(e: OutboundEvent): string {
  return `${INCIDENTS_TOPIC_PREFIX}/${e.type}/${e.subject.replace(/[+#]|\0/g, '')}`
}

/** The Standard Webhooks body, as the alert publisher sends it. */
export function eventBody(e: OutboundEvent): string {
  return JSON.stringify({ type: e.type, timestamp: new Date(e.at).toISOString(), data: e.data })
}

/** SSE event type for an event type: incident.* → incident, plan.* / checkpoint.* → plan, patrol_level.* → patrol_level. */
export function streamType(type: string): string {
  const head = type.split('.')[0] as string
  return head === 'checkpoint' ? 'plan' : head
}

export interface FanoutTargets {
  webhooks?: { publishEvent?(e: OutboundEvent): void } | undefined
  mqtt?: MqttPublish | undefined
  hub?: { publish(type: string, data: unknown, opts?: { zone?: string; unit?: string }): void } | undefined
  logger: Logger
}

export function createFanout(t: FanoutTargets): (e: OutboundEvent) => void {
  return (e) => {
    t.logger.info({ event: e.id, type: e.type, subject: e.subject }, e.summary)
    try {
      t.webhooks?.publishEvent?.(e)
    } catch (err) {
      t.logger.error({ err, event: e.id }, 'Event could not be queued for webhooks.')
    }
    if (t.mqtt !== undefined) {
      void t.mqtt(eventTopic(e), eventBody(e), { qos: 1, retain: false }).catch((err: Error) => t.logger.warn({ err: err.message, event: e.id }, 'Publishing an event on MQTT failed (webhooks are unaffected).'))
    }
    const zone = typeof e.data.zoneId === 'string' ? e.data.zoneId : undefined
    t.hub?.publish(streamType(e.type), { ...e, data: e.data }, zone === undefined ? {} : { zone })
  }
}
