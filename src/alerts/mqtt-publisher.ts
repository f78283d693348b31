// Publishes every alert transition on MQTT (QoS 1) for in-vehicle terminals and other systems:
// topic `${prefix}/${kind}/${subject}`, payload = the standard webhook body. Every state is retained,
// so a terminal that connects later sees each subject's latest state (a retained `resolved` replaces
// the retained `opened`; subjects are bounded by the config, so the retained set is too).
// Any other outbound event goes to the topic its stage chooses (publishEvent), same body shape,
// not retained unless asked (a topic per incident would otherwise grow the retained store forever).
// Failures are retried a few times and logged; nothing is thrown into the pipeline.
import type { Logger } from 'pino'
import type { AlertEvent } from '../rules/alert-event.js'
import { eventBody } from './event-formats.js'
import { alertToOutbound, type OutboundEvent } from './outbound-event.js'

export type MqttPublish = (topic: string, payload: string, opts: { qos: 1; retain: boolean }) => Promise<void>

/** `${prefix}/${kind}/${subject}`; MQTT wildcards and NUL are stripped from the subject defensively. */
export function alertTopic(prefix: string, event: AlertEvent): string {
  const subject = event.subject.replace(/[+#]|\0/g, '')
  return `${prefix.replace(/\/+$/, '')}/${event.kind}/${subject}`
}

export interface MqttAlertPublisherOptions {
  /** Attempts per alert (default 3). */
  attempts?: number
  /** Delay before the n-th retry is backoffMs × 4^(n-1) (default 200 ms: 200 ms, 800 ms). */
  backoffMs?: number
}

export class MqttAlertPublisher {
  private readonly attempts: number
  private readonly backoffMs: number
  private readonly inflight = new Set<Promise<void>>()

  constructor(
    private readonly send: MqttPublish,
    private readonly prefix: string,
    private readonly logger: Logger,
    opts: MqttAlertPublisherOptions = {},
  ) {
    this.attempts = Math.max(1, opts.attempts ?? 3)
    this.backoffMs = opts.backoffMs ?? 200
  }

  /** An alert transition on `${prefix}/${kind}/${subject}`, retained. Fire and forget: never throws. */
  publish(event: AlertEvent): void {
    let topic: string
    let e: OutboundEvent
    try {
      topic = alertTopic(this.prefix, event)
      e = alertToOutbound(event)
    } catch (err) {
      this.logger.error({ err, eventId: event?.eventId }, 'Alert could not be rendered for MQTT; not published.')
      return
    }
    this.publishEvent(topic, e, { retain: true })
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
