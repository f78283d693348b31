// The MQTT input as the engine sees it, whichever broker is in use: the external one
// (mqtt.url, through the subscriber) or the embedded one. pause() stops taking messages without
// closing the connection, so alerts can still be published during shutdown; a message arriving
// while paused is not acknowledged, and the broker delivers it again after the restart.
import type { Logger } from 'pino'
import type { ResolvedConfig } from '../config/resolve.js'
import type { Metrics } from '../telemetry/metrics.js'
import type { AuthThrottle } from './auth-throttle.js'
import { createBrokerAuth } from './broker-auth.js'
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.js'
import { startMqttSubscriber, type MqttSubscriber } from './mqtt-subscriber.js'
import { SourcePausedError, type GroupCommit, type MessageHandler, type Publish } from './message-handler.js'

export interface MqttSource {
  /** Where devices connect, for the start-up log. */
  readonly address: string
  readonly broker: EmbeddedBroker | undefined
  readonly subscriber: MqttSubscriber | undefined
  publish: Publish
  status(): { ok: boolean; detail: string }
  /** Stops acknowledging new messages; the connection (and alert publication) stays up. */
  pause(): void
  close(): Promise<void>
}

/**
 * `throttle`: the engine's credential throttle, shared by the embedded broker with the other transports.
 * `commit`: the journal's group commit, used by the subscriber to an external broker.
 */
export async function startMqttSource(config: ResolvedConfig, onMessage: MessageHandler, logger: Logger, metrics: Metrics, throttle: AuthThrottle, commit?: GroupCommit): Promise<MqttSource> {
  let paused = false
  const gated: MessageHandler = (topic, payload) => {
    if (paused) throw new SourcePausedError()
    return onMessage(topic, payload)
  }
  if (config.mqtt.url !== undefined) {
    const sub = startMqttSubscriber(config, gated, logger, metrics, commit)
    return {
      address: config.mqtt.url,
      broker: undefined,
      subscriber: sub,
      publish: sub.publish,
      status: () => ({ ok: sub.subscribed, detail: sub.subscribed ? 'subscribed' : 'not subscribed to the broker' }),
      pause: () => { paused = true },
      close: () => sub.close(),
    }
  }
  const broker = await startEmbeddedBroker(config, createBrokerAuth(config), gated, logger, { registry: metrics.registry, throttle })
  metrics.mqttConnected.set(1)
  return {
    address: `mqtt://${config.broker.host}:${broker.port}`,
    broker,
    subscriber: undefined,
    publish: broker.publish,
    status: () => ({ ok: broker.listening, detail: broker.listening ? 'subscribed' : 'embedded broker not listening' }),
    pause: () => { paused = true },
    async close() {
      await broker.close()
      metrics.mqttConnected.set(0)
    },
  }
}
