// The embedded MQTT broker (aedes) for single-machine deployments. Devices connect to it
// directly; messages on the configured subscription topics are handed to the pipeline inside
// the broker's publish authorisation step, so the device's PUBACK is only sent once the
// message is in the journal. Everything else a broker does (fan-out to other subscribers,
// retained alerts for terminals) works as usual, within bounds: packets are size-checked while
// they arrive (packet-guard), password guessing backs off per address and per username (auth-throttle, shared with HTTP ingest), and what
// a client can make the broker keep is capped (broker-limits). Ingested topics are never retained:
// the engine is their consumer, and a rejected payload must not stay in the broker.
import { createServer, type Server, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { Aedes, type AedesOptions, type Client } from 'aedes'
import { Counter, Gauge, Registry } from 'prom-client'
import type { Logger } from 'pino'
import { telemetryEvent } from '../telemetry/events.js'
import type { Config } from '../config/schema.js'
import { HexpatrolError } from '../errors.js'
import type { BrokerAuth } from './broker-auth.js'
import { isLoopbackHost } from '../net/addresses.js'
import { compileFilter } from '../decode/topic-filter.js'
import { guardConnection, type Pacing } from './packet-guard.js'
import { ClientBudget, type ClientBudgetLimits } from './client-budget.js'
import { AuthThrottle, throttleOptions, type TransportThrottle } from './auth-throttle.js'
import { BrokerLimits } from './broker-limits.js'
import { ClientIds } from './client-ids.js'
import type { MessageHandler, Publish } from './message-handler.js'

export interface EmbeddedBroker {
  readonly port: number
  readonly host: string
  readonly listening: boolean
  publish: Publish
  connectedClients(): number
  close(): Promise<void>
}

export interface EmbeddedBrokerOptions {
  registry?: Registry
  now?: () => number
  /** How often refused authentications are summarised in one log line (default 60 s); only for the broker's own throttle. */
  authLogEveryMs?: number
  /** The engine's credential throttle shared with the other transports (whose owner logs its summary); default: the broker's own. */
  throttle?: AuthThrottle
}

const USER = Symbol('hexpatrol.username')
type TaggedClient = Client & { [USER]?: string | null }

export type RefusedReason = 'connect_too_large' | 'packet_too_large' | 'malformed_length' | 'auth_failed' | 'auth_backoff' | 'sessions' | 'subscriptions' | 'retained' | 'not_own_topic' | 'client_id_taken'

function brokerMetrics(registry: Registry, limits: BrokerLimits) {
  const registers = [registry]
  return {
    refused: new Counter({ name: 'hexpatrol_broker_refused_total', help: 'Connections, packets, subscriptions and publishes the embedded broker refused, by reason.', labelNames: ['reason'] as const, registers }),
    throttled: new Counter({ name: 'hexpatrol_broker_throttled_total', help: 'Times a logged-in client was paused for going over its publish budget (broker.limits.client_*).', registers }),
    throttledSeconds: new Counter({ name: 'hexpatrol_broker_throttled_seconds_total', help: 'Time clients spent paused for their publish budget.', registers }),
    dropped: new Counter({ name: 'hexpatrol_broker_queue_dropped_total', help: 'Messages not queued for an offline persistent session because its queue was full (broker.limits.max_queued_per_client).', registers }),
    gauges: [
      new Gauge({ name: 'hexpatrol_broker_retained_messages', help: 'Retained messages set by devices.', registers, collect() { this.set(limits.retained) } }),
      new Gauge({ name: 'hexpatrol_broker_persistent_sessions', help: 'Persistent (clean=false) device sessions the broker keeps.', registers, collect() { this.set(limits.persistentSessions) } }),
      new Gauge({ name: 'hexpatrol_broker_queued_messages', help: 'Messages queued for offline persistent sessions.', registers, collect() { this.set(limits.queuedMessages) } }),
    ],
  }
}

const REFUSAL_MESSAGES = { 2: 'Identifier rejected', 4: 'Bad username or password', 5: 'Not authorized' } as const

/** Anonymous devices only on loopback: checked on the address `host` actually resolved to. */
export function checkBoundAddress(anonymous: boolean, host: string, bound: string): void {
  if (anonymous && !isLoopbackHost(bound)) {
    throw new HexpatrolError('HEXP_ERR_BROKER_EXPOSED', `broker.host ${host} resolved to ${bound}, not a loopback address, and anonymous devices are allowed. List devices under broker.users, or bind broker.host to 127.0.0.1.`)
  }
}

/** What the broker's hooks share: its limits, metrics, credential throttle and per-connection state. */
interface BrokerContext {
  readonly log: Logger
  readonly lim: Config['broker']['limits']
  readonly limits: BrokerLimits
  readonly clientIds: ClientIds
  readonly metrics: ReturnType<typeof brokerMetrics>
  readonly throttle: TransportThrottle
  readonly now: () => number
  /** The remote address and the publish pacing of each guarded connection aedes handles. */
  readonly addresses: WeakMap<object, string>
  readonly pacings: WeakMap<object, Pacing>
  refuse(reason: RefusedReason): void
  addressOf(client: Client): string
}

function brokerContext(config: Config, logger: Logger, registry: Registry, throttle: TransportThrottle, now: () => number): BrokerContext {
  const limits = new BrokerLimits(config.broker.limits)
  const metrics = brokerMetrics(registry, limits)
  const addresses = new WeakMap<object, string>()
  return {
    log: logger.child({ component: 'broker' }),
    lim: config.broker.limits,
    limits,
    clientIds: new ClientIds(),
    metrics,
    throttle,
    now,
    addresses,
    pacings: new WeakMap<object, Pacing>(),
    refuse: (reason) => metrics.refused.inc({ reason }),
    addressOf: (client) => addresses.get((client as unknown as { conn: object }).conn) ?? 'unknown',
  }
}

/**
 * CONNECT: the credential throttle, the password, the client id (held by one login), the
 * persistent-session cap; then a logged-in client is paced to its publish budget.
 */
function authenticateHook(ctx: BrokerContext, auth: BrokerAuth): NonNullable<AedesOptions['authenticate']> {
  const { log, limits, clientIds, metrics, throttle, lim } = ctx
  const budget: ClientBudgetLimits = {
    bytes: { perSecond: lim.client_bytes_per_second, burst: lim.client_burst_bytes },
    messages: { perSecond: lim.client_messages_per_second, burst: lim.client_burst_messages },
  }
  return (client, username, password, done) => {
    const address = ctx.addressOf(client)
    const fail = (reason: RefusedReason, returnCode: 2 | 4 | 5) => {
      ctx.refuse(reason)
      done(Object.assign(new Error(REFUSAL_MESSAGES[returnCode]), { returnCode }), null)
    }
    const name = username === undefined || username === '' ? undefined : username
    if (throttle.check(address, name) !== null) return fail('auth_backoff', 4)
    if (!auth.authenticate(username, password)) {
      throttle.fail(address, name)
      return fail('auth_failed', 4)
    }
    throttle.succeed(address, name)
    const user = username === undefined || username === '' ? null : username
    // The client id belongs to the login holding it: another login cannot take it over.
    const conn = (client as unknown as { conn: Duplex }).conn
    if (conn.destroyed || !clientIds.claim(client.id, user ?? '(anonymous)', conn, limits.sessionOwner(client.id))) {
      log.warn({ clientId: client.id, username: user, address }, 'CONNECT refused: the client id is held by another login (an open connection or a persistent session).')
      return fail('client_id_taken', 2)
    }
    conn.once('close', () => clientIds.release(client.id, conn))
    if (!limits.session(user ?? '(anonymous)', client.id, client.clean)) {
      log.warn({ clientId: client.id, username: user }, 'Persistent session refused: the device (or the broker) holds the most persistent sessions allowed (broker.limits).')
      return fail('sessions', 5)
    }
    ;(client as TaggedClient)[USER] = user
    // A logged-in client is paced to its budget from now on (anonymous ones: loopback test rigs and bridges).
    // Every connection aedes handles came through the server below, which registered its pacing.
    const pacing = ctx.pacings.get(conn)!
    if (user !== null) {
      // Made per connection: the first pause of each connection is logged, every one is counted.
      const throttled = telemetryEvent(log, { counter: metrics.throttled, level: 'warn', logEvery: { ms: Infinity, now: ctx.now },
        message: 'MQTT client over its publish budget (broker.limits.client_*): reading from it is paused, its acks slow down (logged once per connection).' })
      pacing.budget = new ClientBudget(budget)
      pacing.onThrottle = (waitMs) => {
        metrics.throttledSeconds.inc(waitMs / 1000)
        throttled({}, { clientId: client.id, username: user, address, waitMs })
      }
    }
    done(null, true)
  }
}

/**
 * PUBLISH: a device publishes only where its ACL lets it; an ingested topic goes to the pipeline
 * (the PUBACK waits for the journal) and is never retained; other retained messages are capped.
 */
function authorizePublishHook(ctx: BrokerContext, auth: BrokerAuth, config: Config, onMessage: MessageHandler): NonNullable<AedesOptions['authorizePublish']> {
  const { log, limits } = ctx
  const ingested = config.mqtt.subscriptions.map((s) => compileFilter(s.topic))
  const isIngested = (topic: string) => ingested.some((m) => m(topic))
  return (client, packet, callback) => {
    if (client === null) return callback(null)
    const user = (client as TaggedClient)[USER] ?? null
    if (!auth.canPublish(user, packet.topic)) {
      ctx.refuse('not_own_topic')
      log.warn({ clientId: client.id, username: user, topic: packet.topic.slice(0, 256) }, 'Device may not publish to this topic; disconnecting it.')
      return callback(new Error('not authorised to publish to this topic'))
    }
    if (!isIngested(packet.topic)) {
      if (packet.retain && !limits.retain(user ?? '(anonymous)', packet.topic, packet.payload.length === 0)) {
        ctx.refuse('retained')
        log.warn({ clientId: client.id, username: user }, 'Retained message refused: over broker.limits.max_retained_per_device or max_retained_total; disconnecting.')
        return callback(new Error('retained message limit'))
      }
      return callback(null)
    }
    // The engine consumes ingested topics; the broker keeps none of them (accepted or rejected).
    packet.retain = false
    let result: void | Promise<void>
    try {
      result = onMessage(packet.topic, packet.payload as Buffer)
    } catch (err) {
      return callback(err as Error)
    }
    if (result === undefined) return callback(null)
    result.then(() => callback(null), (err: Error) => callback(err))
  }
}

/** SUBSCRIBE: within the login's subscribe ACL and the per-client cap; a refused filter gets SUBACK 0x80. */
function authorizeSubscribeHook(ctx: BrokerContext, auth: BrokerAuth): NonNullable<AedesOptions['authorizeSubscribe']> {
  const { log, limits, lim } = ctx
  return (client, sub, callback) => {
    const user = (client as TaggedClient)[USER] ?? null
    if (!auth.canSubscribe(user, sub.topic)) {
      ctx.refuse('subscriptions')
      log.warn({ clientId: client.id, username: user, topic: sub.topic.slice(0, 256) }, 'Device may not subscribe to this filter; refused in the SUBACK.')
      // A null subscription refuses this filter (SUBACK 0x80) without dropping the connection.
      return callback(null, null)
    }
    if (!limits.subscribe(client.id, sub.topic)) {
      ctx.refuse('subscriptions')
      log.warn({ clientId: client.id, username: user, max: lim.max_subscriptions_per_client }, 'Subscription refused: the client holds broker.limits.max_subscriptions_per_client.')
      return callback(null, null)
    }
    callback(null, sub)
  }
}

/** The broker's session bookkeeping: offline queues capped (max_queued_per_client), subscriptions and sessions tracked. */
function trackSessions(aedes: Aedes, ctx: BrokerContext): void {
  const { limits, metrics, log } = ctx
  const persistence = (aedes as unknown as { persistence: unknown }).persistence as { outgoingEnqueueCombi: (subs: Array<{ clientId: string }>, packet: unknown) => Promise<void> }
  const enqueue = persistence.outgoingEnqueueCombi.bind(persistence)
  persistence.outgoingEnqueueCombi = (subs, packet) => {
    const keep = subs.filter((s) => {
      if (limits.enqueue(s.clientId)) return true
      metrics.dropped.inc()
      return false
    })
    return enqueue(keep, packet)
  }
  aedes.on('clientReady', (client) => limits.resumed(client.id))
  aedes.on('unsubscribe', (unsubs, client) => {
    for (const topic of unsubs) limits.unsubscribe(client.id, topic)
  })
  aedes.on('clientDisconnect', (client) => limits.disconnected(client.id, client.clean))
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err }, 'MQTT client error.'))
}

/** The TCP server: an address in its back-off is dropped at once; every connection is size-guarded and paced. */
function acceptConnections(aedes: Aedes, ctx: BrokerContext, config: Config): Server {
  const { log, lim } = ctx
  const packetLimits = { maxPacketBytes: config.mqtt.max_payload_bytes + lim.packet_overhead_bytes, maxConnectBytes: lim.max_connect_bytes }
  return createServer((socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown'
    // An address in its back-off is dropped before a single byte is parsed.
    if (ctx.throttle.check(address) !== null) {
      ctx.refuse('auth_backoff')
      socket.destroy()
      return
    }
    const pacing: Pacing = { budget: null }
    const conn = guardConnection(socket, packetLimits, (v) => {
      ctx.refuse(v.reason)
      log.warn({ address, reason: v.reason, announced: v.announced, limit: v.limit }, 'MQTT packet over its size limit; connection closed before buffering it.')
    }, pacing)
    ctx.addresses.set(conn, address)
    ctx.pacings.set(conn, pacing)
    aedes.handle(conn as unknown as Socket)
  })
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

async function closeBroker(aedes: Aedes, server: Server): Promise<void> {
  await new Promise<void>((resolve) => aedes.close(() => resolve()))
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

export async function startEmbeddedBroker(config: Config, auth: BrokerAuth, onMessage: MessageHandler, logger: Logger, opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const ownThrottle = opts.throttle === undefined
  const now = opts.now ?? Date.now
  const shared = opts.throttle ?? new AuthThrottle({ ...throttleOptions(config.broker.limits), now })
  const ctx = brokerContext(config, logger, opts.registry ?? new Registry(), shared.forTransport('mqtt'), now)
  const log = ctx.log
  const aedes = await Aedes.createBroker({
    id: 'hexpatrol-embedded',
    maxClientsIdLength: 64,
    ...({ maxInflightInbound: ctx.lim.max_inflight_per_client, maxTopicLevels: 16 } as object),
    authenticate: authenticateHook(ctx, auth),
    authorizePublish: authorizePublishHook(ctx, auth, config, onMessage),
    authorizeSubscribe: authorizeSubscribeHook(ctx, auth),
  })
  trackSessions(aedes, ctx)

  const summarise = () => {
    const s = ownThrottle ? shared.drain() : null
    if (s !== null) log.warn(s, 'Refused MQTT authentications since the last summary (wrong credentials, or an address in its back-off).')
  }
  const summary = setInterval(summarise, opts.authLogEveryMs ?? 60_000)
  summary.unref()

  const server = acceptConnections(aedes, ctx, config)
  await listen(server, config.broker.port, config.broker.host)
  const addr = server.address()
  const port = typeof addr === 'object' && addr !== null ? addr.port : config.broker.port
  // The name in broker.host passed the start-up check; what it resolved to must be loopback too.
  const bound = typeof addr === 'object' && addr !== null ? addr.address : config.broker.host
  try {
    checkBoundAddress(auth.anonymous, config.broker.host, bound)
  } catch (err) {
    clearInterval(summary)
    await closeBroker(aedes, server)
    throw err
  }
  let listening = true
  log[auth.anonymous ? 'warn' : 'info']({ host: config.broker.host, address: bound, port, anonymous: auth.anonymous, users: config.broker.users.length },
    auth.anonymous ? 'Embedded MQTT broker listening on loopback with anonymous devices allowed (no broker.users).' : 'Embedded MQTT broker listening.')

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
      clearInterval(summary)
      summarise()
      await closeBroker(aedes, server)
    },
  }
}
