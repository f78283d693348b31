// Subscribes to an external broker (Mosquitto, EMQX, …) with MQTT.js: QoS 1, persistent session
// (stable client id, clean: false, session expiry on MQTT 5), so the broker keeps what we have not
// acknowledged. MQTT.js sends PUBACK when handleMessage calls back and handles packets one at a
// time, so the handler is synchronous in the common case (a journal append) and only defers the
// callback when the pipeline applies backpressure (journal full). With the journal's group commit,
// up to 64 messages of one event-loop turn share one journal write and one socket write of PUBACKs.
import { readFileSync } from 'node:fs'
import mqtt, { type MqttClient, type IClientOptions, type IPublishPacket } from 'mqtt'
import type { Logger } from 'pino'
import type { ResolvedConfig } from '../config/resolve.js'
import { redactUrl } from '../telemetry/redact.js'
import type { Metrics } from '../telemetry/metrics.js'
import { telemetryEvent } from '../telemetry/events.js'
import { SourcePausedError, type GroupCommit, type MessageHandler, type Publish } from './message-handler.js'

/**
 * Most messages whose PUBACKs wait for one journal write. Holding a whole turn's messages (up to the
 * broker's in-flight window) would leave the broker idle while we work and us idle while it refills.
 */
const GROUP_MAX = 64

export interface MqttSubscriber {
  readonly subscribed: boolean
  publish: Publish
  close(): Promise<void>
}

/** The MQTT shared-subscription group of cluster mode: the broker hands each message to one engine. */
export const SHARE_GROUP = 'hexpatrol'

/**
 * What the engine subscribes to for a configured topic: in cluster mode with
 * cluster.shared_subscription, one shared group; otherwise every engine takes every fix (the
 * JetStream log stores each once: the same fix has the same dedup id whichever engine appends it).
 */
export function subscriptionTopic(config: ResolvedConfig, topic: string): string {
  return config.cluster.url !== undefined && config.cluster.shared_subscription ? `$share/${SHARE_GROUP}/${topic}` : topic
}

export function clientOptions(config: ResolvedConfig): IClientOptions {
  const m = config.mqtt
  const opts: IClientOptions = {
    // Cluster mode: every engine is its own client (one id would have them kick each other off).
    clientId: config.cluster.url !== undefined && config.cluster.node_id !== undefined ? `${m.client_id}-${config.cluster.node_id}` : m.client_id,
    clean: false,
    protocolVersion: m.protocol_version,
    keepalive: Math.round(m.keepalive / 1000),
    reconnectPeriod: m.reconnect_period,
    connectTimeout: 10_000,
    resubscribe: true,
    rejectUnauthorized: m.reject_unauthorized,
  }
  if (m.protocol_version === 5) opts.properties = { sessionExpiryInterval: Math.round(m.session_expiry / 1000) }
  if (m.username !== undefined) opts.username = m.username
  if (m.password !== undefined) opts.password = m.password
  if (m.ca_file !== undefined) opts.ca = readFileSync(m.ca_file)
  if (m.cert_file !== undefined) opts.cert = readFileSync(m.cert_file)
  if (m.key_file !== undefined) opts.key = readFileSync(m.key_file)
  return opts
}

/**
 * MQTT.js traces every packet through the `debug` library: several calls per message, paid even
 * with the trace off (about 1 µs per message, 4 % of the main thread in bench/ingest.ts --profile).
 * With its namespace off (DEBUG does not name `mqttjs:client`; `debug` reads it at start) the
 * client's trace becomes a no-op; with it on, the trace stays, for troubleshooting.
 */
export function quietTrace(client: { log: (...args: unknown[]) => void }): void {
  // debug's `enabled` reads undefined, not false, while DEBUG is unset.
  const trace = client.log as { namespace?: string; enabled?: boolean }
  if (typeof trace.namespace === 'string' && trace.enabled !== true) client.log = () => {}
}

/** `commit`: the journal's group commit (see GroupCommit); without it every message is written on its own. */
export function startMqttSubscriber(config: ResolvedConfig, onMessage: MessageHandler, logger: Logger, metrics: Metrics, commit?: GroupCommit): MqttSubscriber {
  const url = config.mqtt.url
  if (url === undefined) throw new Error('startMqttSubscriber needs mqtt.url')
  const log = logger.child({ component: 'mqtt' })
  const reconnecting = telemetryEvent(log, { counter: metrics.mqttReconnects, level: 'info', message: 'Reconnecting to MQTT broker.' })
  const client: MqttClient = mqtt.connect(url, clientOptions(config))
  quietTrace(client)
  let subscribed = false
  const topics = Object.fromEntries(config.mqtt.subscriptions.map((s) => [subscriptionTopic(config, s.topic), { qos: 1 as const }]))

  // One event-loop turn's messages are journaled in one write and their PUBACKs leave in one
  // socket write. MQTT.js hands over one packet at a time and acks each as soon as the handler
  // calls back, so the socket is corked for the turn: the PUBACKs queue in it, and at the end of
  // the turn (setImmediate) the journal writes the turn's records (group commit) before the socket
  // is uncorked. No PUBACK leaves before its record is written; if the write has to wait (disk
  // full or failing), the PUBACKs wait with it. Without `commit`, each append writes at once.
  /** The sockets corked for the current group (a reconnect mid-group corks the new one too). */
  let corked: Array<{ uncork(): void }> = []
  let grouped = 0
  let scheduled = false
  /**
   * Set while a closed group waits for its records (journal full, or cluster mode's appends in
   * flight). Messages arriving meanwhile are taken once it is written: their PUBACKs would otherwise
   * join the corked socket and leave with the group's before their own records are durable, and
   * the group would never close while the broker keeps sending (an MQTT 5 session's receive window
   * is 65,535 messages).
   */
  let writing: Promise<void> | null = null
  /** Writes the group's records, then lets its PUBACKs go; false (and retried) while the journal cannot write. */
  const release = (): boolean => {
    let written = true
    try {
      written = commit === undefined || commit.flush()
    } catch (err) {
      // Never ack what was not written: drop the connection (and the queued PUBACKs) instead.
      log.error({ err }, 'Journal write failed; not acknowledging this turn\'s messages.')
      corked = []
      grouped = 0
      scheduled = false
      client.stream.destroy()
      return false
    }
    if (!written) {
      // One wait at a time; the messages that arrive meanwhile wait for it (see handleMessage).
      writing ??= commit!.whenWritable().then(() => { writing = null; release() }, () => { writing = null })
      return false
    }
    const streams = corked
    corked = []
    grouped = 0
    scheduled = false
    for (const st of streams) st.uncork()
    return true
  }
  /** Drops the connection, after the PUBACKs of messages already journaled this turn have left. */
  const drop = (): void => {
    if (corked.length > 0) release()
    client.stream.destroy()
  }
  const handle = commit === undefined ? onMessage : (topic: string, payload: Buffer) => commit.defer(() => onMessage(topic, payload))
  client.handleMessage = (packet: IPublishPacket, callback) => {
    if (writing !== null) {
      void writing.then(() => client.handleMessage(packet, callback))
      return
    }
    // A full group is released at once: the broker refills its in-flight window while we work on.
    if (grouped >= GROUP_MAX) release()
    grouped++
    const stream = client.stream
    if (!corked.includes(stream)) {
      stream.cork()
      corked.push(stream)
    }
    if (!scheduled) {
      scheduled = true
      setImmediate(release)
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
    let result: void | Promise<void>
    try {
      result = handle(packet.topic, payload)
    } catch (err) {
      // Stopping: leave the message unacknowledged but keep the connection (alerts are still
      // published through it); the broker re-sends it to the persistent session after the restart.
      if (err instanceof SourcePausedError) return callback(err)
      // Never ack what the pipeline could not take: drop the connection so the broker redelivers after reconnect.
      log.error({ err, topic: packet.topic }, 'Pipeline failed on a message; not acknowledging it.')
      drop()
      return
    }
    if (result === undefined) return callback()
    result.then(() => callback(), (err: Error) => {
      log.error({ err, topic: packet.topic }, 'Pipeline failed on a message; not acknowledging it.')
      drop()
    })
  }

  client.on('connect', (connack) => {
    log.info({ url: redactUrl(url), sessionPresent: connack.sessionPresent }, 'Connected to MQTT broker.')
    // Subscribing again is harmless and covers a broker that lost the session.
    client.subscribe(topics, (err, granted) => {
      if (err) {
        log.error({ err }, 'MQTT subscribe failed; will retry on reconnect.')
        return
      }
      const refused = (granted ?? []).filter((g) => g.qos === 128)
      if (refused.length > 0) log.error({ topics: refused.map((g) => g.topic) }, 'Broker refused subscriptions (check its ACL).')
      subscribed = refused.length === 0
      metrics.mqttConnected.set(subscribed ? 1 : 0)
      log.info({ topics: Object.keys(topics) }, 'Subscribed.')
    })
  })
  client.on('reconnect', () => {
    reconnecting({})
  })
  client.on('close', () => {
    if (subscribed) log.warn('MQTT connection closed.')
    subscribed = false
    metrics.mqttConnected.set(0)
  })
  client.on('error', (err) => log.warn({ err }, 'MQTT client error.'))

  return {
    get subscribed() {
      return subscribed && client.connected
    },
    publish(topic, payload, opts) {
      return new Promise((resolve, reject) => client.publish(topic, payload, opts, (err) => (err ? reject(err) : resolve())))
    },
    close() {
      // end() would uncork the socket: PUBACKs still waiting for their records are dropped with it instead.
      if (corked.length > 0 && !release()) client.stream.destroy()
      return new Promise((resolve) => client.end(false, {}, () => resolve()))
    },
  }
}
