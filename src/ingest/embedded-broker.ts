// The embedded MQTT broker (aedes) for single-machine deployments. Devices connect to it
// directly; messages on the configured subscription topics are handed to the pipeline inside
// the broker's publish authorisation step, so the device's PUBACK is only sent once the
// message is in the journal. Everything else a broker does (fan-out to other subscribers,
// retained alerts for terminals) works as usual.
import { createServer, type Server } from 'node:net'
import { Aedes, type AedesOptions, type Client } from 'aedes'
import type { Logger } from 'pino'
import type { Config } from '../config/schema.js'
import type { BrokerAuth } from './broker-auth.js'
import { compileFilter } from './topic-filter.js'
import type { MessageHandler, Publish } from './message-handler.js'

export interface EmbeddedBroker {
  readonly port: number
  readonly host: string
  readonly listening: boolean
  publish: Publish
  connectedClients(): number
  close(): Promise<void>
}

const USER = Symbol('hexpatrol.username')
type TaggedClient = Client & { [USER]?: string | null }

export async function startEmbeddedBroker(config: Config, auth: BrokerAuth, onMessage: MessageHandler, logger: Logger): Promise<EmbeddedBroker> {
  const ingested = config.mqtt.subscriptions.map((s) => compileFilter(s.topic))
  const isIngested = (topic: string) => ingested.some((m) => m(topic))
  const log = logger.child({ component: 'broker' })

  const options: AedesOptions = {
    id: 'hexpatrol-embedded',
    authenticate(client, username, password, done) {
      if (auth.authenticate(username, password)) {
        ;(client as TaggedClient)[USER] = username === undefined || username === '' ? null : username
        done(null, true)
      } else {
        log.warn({ clientId: client.id, username }, 'Device refused: bad username or password.')
        const err = Object.assign(new Error('Bad username or password'), { returnCode: 4 as const })
        done(err, null)
      }
    },
    authorizePublish(client, packet, callback) {
      if (client === null) return callback(null)
      const user = (client as TaggedClient)[USER] ?? null
      if (!auth.canPublish(user, packet.topic)) {
        log.warn({ clientId: client.id, username: user, topic: packet.topic }, 'Device may not publish to this topic; disconnecting it.')
        return callback(new Error(`not authorised to publish to ${packet.topic}`))
      }
      if (!isIngested(packet.topic)) return callback(null)
      let result: void | Promise<void>
      try {
        result = onMessage(packet.topic, packet.payload as Buffer)
      } catch (err) {
        return callback(err as Error)
      }
      if (result === undefined) return callback(null)
      result.then(() => callback(null), (err: Error) => callback(err))
    },
    authorizeSubscribe(client, sub, callback) {
      const user = (client as TaggedClient)[USER] ?? null
      if (auth.canSubscribe(user, sub.topic)) return callback(null, sub)
      log.warn({ clientId: client.id, username: user, topic: sub.topic }, 'Device may not subscribe to this filter; refused in the SUBACK.')
      // A null subscription refuses this filter (SUBACK 0x80) without dropping the connection.
      callback(null, null)
    },
  }
  const aedes = await Aedes.createBroker(options)
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err }, 'MQTT client error.'))
  const server: Server = createServer(aedes.handle)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.broker.port, config.broker.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const addr = server.address()
  const port = typeof addr === 'object' && addr !== null ? addr.port : config.broker.port
  let listening = true
  log.info({ host: config.broker.host, port, anonymous: config.broker.allow_anonymous, users: config.broker.users.length }, 'Embedded MQTT broker listening.')

  return {
    port,
    host: config.broker.host,
    get listening() {
      return listening
    },
    publish(topic, payload, opts) {
      return new Promise((resolve, reject) => {
        aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: opts.qos, retain: opts.retain, dup: false }, (err) => (err ? reject(err) : resolve()))
      })
    },
    connectedClients: () => aedes.connectedClients,
    async close() {
      if (!listening) return
      listening = false
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
