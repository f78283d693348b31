// The one way out of the engine for every outbound event (alert transitions, incidents, plans and
// checkpoints, patrol levels, bulletins, integrity signals): logged (and, for an alert, counted), then handed to
// webhooks (the dispatcher: durable in its outbox before publishEvent returns), MQTT (the topics
// from topics.ts) and the live stream (stream-frame.ts), in that order. Never throws: a target's
// failure is logged and the others still get the event.
import type { Logger } from 'pino'
import type { Metrics } from '../telemetry/metrics.js'
import { alertOf, type OutboundEvent } from './outbound-event.js'
import { streamFrame } from './stream-frame.js'
import { publishedEvent } from './telemetry.js'
import type { TopicsOf } from './topics.js'

export type Publish = (e: OutboundEvent) => void

export interface PublishTargets {
  /** The webhook dispatcher (Dispatcher.publishEvent). */
  webhooks?: { publishEvent(e: OutboundEvent): unknown } | undefined
  /** The MQTT publisher (MqttPublisher.publishEvent), with the topic builder. */
  mqtt?: { publishEvent(topic: string, e: OutboundEvent, opts?: { retain?: boolean }): void } | undefined
  topics: TopicsOf
  /** The live stream's hub (StreamHub.publish). */
  stream?: { publish(type: string, data: unknown, opts?: { zone?: string | undefined; unit?: string | undefined }): void } | undefined
  metrics: Pick<Metrics, 'alertTransitions'>
  logger: Logger
}

export function createPublisher(t: PublishTargets): Publish {
  const published = publishedEvent(t.logger, t.metrics)
  const guarded = (e: OutboundEvent, failed: string, fn: () => void): void => {
    try {
      fn()
    } catch (err) {
      t.logger.error({ err, event: e.id }, failed)
    }
  }
  return (e) => {
    const alert = alertOf(e)
    published(e, alert)
    guarded(e, 'Event could not be queued for webhooks.', () => t.webhooks?.publishEvent(e))
    // Never retained: these are happenings, and an alert carries a unit's position.
    guarded(e, 'Event could not be published on MQTT.', () => {
      if (t.mqtt !== undefined) for (const topic of t.topics(e, alert)) t.mqtt.publishEvent(topic, e, { retain: false })
    })
    guarded(e, 'Event could not be published on the live stream.', () => {
      const f = streamFrame(e, alert)
      t.stream?.publish(f.type, f.data, f.opts)
    })
  }
}
