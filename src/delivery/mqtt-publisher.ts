// Publishes outbound events on MQTT (QoS 1) for integrations and devices: the topics come from
// topics.ts (via publish.ts), the payload is the standard webhook body. Nothing is retained unless
// asked, and no stage asks: an alert carries a unit's position, name and post, and a retained
// message would hand it to whoever subscribes later, long after the fact.
// Failures are retried a few times and logged; nothing is thrown into the pipeline.
import type { Logger } from 'pino'
import { eventBody } from './event-formats.js'
import type { OutboundEvent } from './outbound-event.js'

export type MqttPublish = (topic: string, payload: string, opts: { qos: 1; retain: boolean }) => Promise<void>

export interface MqttPublisherOptions {
  /** Attempts per publication (default 3). */
  attempts?: number
  /** Delay before the n-th retry is backoffMs × 4^(n-1) (default 200 ms: 200 ms, 800 ms). */
  backoffMs?: number
}

export class MqttPublisher {
  private readonly attempts: number
  private readonly backoffMs: number
  private readonly inflight = new Set<Promise<void>>()

  constructor(
    private readonly send: MqttPublish,
    private readonly logger: Logger,
    opts: MqttPublisherOptions = {},
  ) {
    this.attempts = Math.max(1, opts.attempts ?? 3)
    this.backoffMs = opts.backoffMs ?? 200
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
