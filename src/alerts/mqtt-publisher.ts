// Publishes every alert transition on MQTT (QoS 1) for in-vehicle terminals and other systems:
// topic `${prefix}/${kind}/${subject}`, payload = the standard webhook body. Every state is retained,
// so a terminal that connects later sees each subject's latest state (a retained `resolved` replaces
// the retained `opened`; subjects are bounded by the config, so the retained set is too).
// Failures are retried a few times and logged; nothing is thrown into the pipeline.
import type { Logger } from 'pino'
import type { AlertEvent } from '../rules/alert-event.js'
import { standardBody } from './formats.js'

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

  /** Fire and forget: returns at once, never throws. */
  publish(event: AlertEvent): void {
    let topic: string
    let payload: string
    try {
      topic = alertTopic(this.prefix, event)
      payload = standardBody(event)
    } catch (err) {
      this.logger.error({ err, eventId: event?.eventId }, 'Alert could not be rendered for MQTT; not published.')
      return
    }
    const p = this.run(topic, payload, event.eventId).finally(() => this.inflight.delete(p))
    this.inflight.add(p)
  }

  private async run(topic: string, payload: string, eventId: string): Promise<void> {
    for (let i = 1; ; i++) {
      try {
        await this.send(topic, payload, { qos: 1, retain: true })
        return
      } catch (err) {
        if (i >= this.attempts) {
          this.logger.error({ err, topic, eventId, attempts: i }, 'Publishing an alert on MQTT failed; giving up (webhooks are unaffected).')
          return
        }
        this.logger.warn({ err, topic, eventId, attempt: i }, 'Publishing an alert on MQTT failed; retrying.')
        await new Promise((r) => setTimeout(r, this.backoffMs * 4 ** (i - 1)))
      }
    }
  }

  /** Resolves when every publish in progress has finished (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight])
  }
}
