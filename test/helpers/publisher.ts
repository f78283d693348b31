// Publishes a list of messages with QoS 1 through a real broker, a bounded number in flight.
import mqtt, { type MqttClient } from 'mqtt'
import type { Message } from './workload.js'

export async function connect(url: string, opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 200, connectTimeout: 5000, ...opts })
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  return client
}

export async function publishAll(client: MqttClient, messages: readonly Message[], inFlight = 200): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < messages.length) {
      const m = messages[next++]!
      await client.publishAsync(m.topic, m.payload, { qos: 1 })
    }
  }
  await Promise.all(Array.from({ length: Math.min(inFlight, messages.length) }, worker))
}
