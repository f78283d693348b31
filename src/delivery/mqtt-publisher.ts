// Publishes every alert transition on MQTT (QoS 1) for integrations and, when asked, for the unit
// the alert is about: topic `${prefix}/${kind}/${subject}` (the full feed: every unit's alerts,
// read by integration logins only), and `${devicePrefix}/${unitId}/alerts/${kind}/${subject}` for
// an alert about one unit (the only alerts a device may read: its own). Payload = the standard
// webhook body. Nothing is retained: an alert carries a unit's position, name and post, and a
// retained message would hand it to whoever subscribes later, long after the fact.
// Any other outbound event goes to the topic its stage chooses (publishEvent), same body shape,
// not retained unless asked (no stage asks for an event that carries a position).
// Failures are retried a few times and logged; nothing is thrown into the pipeline.
import type { Logger } from 'pino'
import type { AlertEvent } from '../rules/alert-event.js'
import { eventBody } from './event-formats.js'
import { alertToOutbound, type OutboundEvent } from './outbound-event.js'

export type MqttPublish = (topic: string, payload: string, opts: { qos: 1; retain: boolean }) => Promise<void>

const clean = (s: string) => s.replace(/[+#]|\0/g, '')

/** `${prefix}/${kind}/${subject}`; MQTT wildcards and NUL are stripped from the subject defensively. */
export function alertTopic(prefix: string, event: AlertEvent): string {
  return `${prefix.replace(/\/+$/, '')}/${event.kind}/${clean(event.subject)}`
}

/** Where devices read their own alerts: `hexpatrol/devices/{unit}/alerts/…` (broker.subscribe_acl `hexpatrol/devices/%u/#`). */
export const DEVICE_TOPIC_PREFIX = 'hexpatrol/devices'

/** `${devicePrefix}/${unitId}/alerts/${kind}/${subject}`, or null for an alert about no single unit (a zone's). */
export function deviceAlertTopic(devicePrefix: string, event: AlertEvent): string | null {
  if (typeof event.unitId !== 'string' || event.unitId === '') return null
  return `${devicePrefix.replace(/\/+$/, '')}/${clean(event.unitId).replace(/\//g, '')}/alerts/${event.kind}/${clean(event.subject)}`
}

export interface MqttAlertPublisherOptions {
  /** Attempts per alert (default 3). */
  attempts?: number
  /** Delay before the n-th retry is backoffMs × 4^(n-1) (default 200 ms: 200 ms, 800 ms). */
  backoffMs?: number
  /** Also publish each unit's alerts under `${devicePrefix}/${unitId}/alerts/…` (the engine passes DEVICE_TOPIC_PREFIX). */
  devicePrefix?: string
}

export class MqttAlertPublisher {
  private readonly attempts: number
  private readonly backoffMs: number
  private readonly devicePrefix: string | undefined
  private readonly inflight = new Set<Promise<void>>()

  constructor(
    private readonly send: MqttPublish,
    private readonly prefix: string,
    private readonly logger: Logger,
    opts: MqttAlertPublisherOptions = {},
  ) {
    this.attempts = Math.max(1, opts.attempts ?? 3)
    this.backoffMs = opts.backoffMs ?? 200
    this.devicePrefix = opts.devicePrefix
  }

  /**
   * An alert transition on `${prefix}/${kind}/${subject}` and, for a unit's alert with devicePrefix
   * set, on that unit's device topic; never retained. Fire and forget: never throws.
   */
  publish(event: AlertEvent): void {
    let topic: string
    let device: string | null
    let e: OutboundEvent
    try {
      topic = alertTopic(this.prefix, event)
      device = this.devicePrefix === undefined ? null : deviceAlertTopic(this.devicePrefix, event)
      e = alertToOutbound(event)
    } catch (err) {
      this.logger.error({ err, eventId: event?.eventId }, 'Alert could not be rendered for MQTT; not published.')
      return
    }
    this.publishEvent(topic, e)
    if (device !== null) this.publishEvent(device, e)
  }

  /**
   * Any event on `topic` (QoS 1; retained only with `retain: true`), payload the standard webhook body.
   * Fire and forget: returns at once, never throws; a topic with wildcards or NUL is refused with a log line.
   */
  publishEvent(topic: string, e: OutboundEvent, opts: { retain?: boolean } = {}): void {
    let payload: string
    try {
      if (typeof topic !== 'string' || topic === '' || /[+#\0]/.test(topic)) throw new Error(`not a topic name: ${JSON.stringify(topic)}`)
      payload = eventBody(e)
    } catch (err) {
      this.logger.error({ err, eventId: e?.id, topic }, 'Event could not be rendered for MQTT; not published.')
      return
    }
    const p = this.run(topic, payload, e.id, opts.retain === true).finally(() => this.inflight.delete(p))
    this.inflight.add(p)
  }

  private async run(topic: string, payload: string, eventId: string, retain: boolean): Promise<void> {
    for (let i = 1; ; i++) {
      try {
        await this.send(topic, payload, { qos: 1, retain })
        return
      } catch (err) {
        if (i >= this.attempts) {
          this.logger.error({ err, topic, eventId, attempts: i }, 'Publishing an event on MQTT failed; giving up (webhooks are unaffected).')
          return
        }
        this.logger.warn({ err, topic, eventId, attempt: i }, 'Publishing an event on MQTT failed; retrying.')
        await new Promise((r) => setTimeout(r, this.backoffMs * 4 ** (i - 1)))
      }
    }
  }

  /** Resolves when every publish in progress has finished (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight])
  }
}
