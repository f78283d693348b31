// Issue 19 item 8 against the real embedded broker with the real alert publisher: a device reads
// only its own alerts (never another unit's position, retained or live), integration logins read
// the full feed, and a device cannot take over another login's client id (which would disconnect
// it and, with a clean CONNECT, delete its persistent session).
import t from 'tap'
import mqtt from 'mqtt'
import { Registry } from 'prom-client'
import { validateConfig } from '../../src/config/load.js'
import { createBrokerAuth } from '../../src/ingest/broker-auth.js'
import { startEmbeddedBroker } from '../../src/ingest/embedded-broker.js'
import { ClientIds } from '../../src/ingest/client-ids.js'
import { MqttPublisher, type MqttPublish } from '../../src/delivery/mqtt-publisher.js'
import { createPublisher } from '../../src/delivery/publish.js'
import { alertToOutbound } from '../../src/delivery/outbound-event.js'
import { DEVICE_TOPIC_PREFIX, topicBuilder } from '../../src/delivery/topics.js'
import { createMetrics } from '../../src/telemetry/metrics.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import { captureLogger, makeEvent } from '../delivery/fixtures/alerts.js'

/** The engine's alert path to MQTT: publish.ts with the default topic prefixes and device topics. */
function alertPublisher(send: MqttPublish) {
  const { logger } = captureLogger()
  const mqtt = new MqttPublisher(send, logger)
  const topics = topicBuilder({ alerts: 'hexpatrol/alerts', events: 'hexpatrol/incidents', devices: DEVICE_TOPIC_PREFIX })
  const publish = createPublisher({ mqtt, topics, metrics: createMetrics({ defaults: false }), logger })
  return { publish: (a: AlertEvent) => publish(alertToOutbound(a)), idle: () => mqtt.idle() }
}

const users = [{ username: 'P-001', password: 'pw1' }, { username: 'P-002', password: 'pw2' }]

async function startBroker(broker: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) {
  const config = validateConfig({ broker: { port: 0, users, ...broker }, ...rest })
  const registry = new Registry()
  const { logger, lines } = captureLogger()
  const got: string[] = []
  const b = await startEmbeddedBroker(config, createBrokerAuth(config), (topic) => { got.push(topic) }, logger, { registry })
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const m = await registry.getSingleMetric(name)?.get()
    return m?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0
  }
  return { b, lines, metric, got }
}

export async function client(port: number, opts: mqtt.IClientOptions) {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 3000, ...opts })
  return new Promise<mqtt.MqttClient>((resolve, reject) => {
    c.once('connect', () => resolve(c))
    c.once('error', (e) => { c.end(true); reject(e) })
    c.once('close', () => reject(new Error('closed')))
  })
}

const P2_POSITION = { lat: 36.512345, lon: 117.876543, ts: Date.now() - 1000, accuracy: 8, h3: '8931aa5a5c7ffff' }
const breach = (unit: string, state: 'opened' | 'resolved') => makeEvent('radius_breach', state, {
  alertId: `al-${unit}`, subject: `unit:${unit}/post:st-1`, unitId: unit, unitName: `Car ${unit}`, postId: 'st-1', postName: 'Station 1',
  position: unit === 'P-002' ? P2_POSITION : { ...P2_POSITION, lat: 36.4 },
} as never)

/** Everything a client receives (retained or live) until the test ends. */
function collect(c: mqtt.MqttClient): Array<{ topic: string; body: string; retain: boolean }> {
  const got: Array<{ topic: string; body: string; retain: boolean }> = []
  c.on('message', (topic, payload, packet) => got.push({ topic, body: payload.toString(), retain: packet.retain }))
  return got
}

/** The QoS granted per filter (128 = refused); MQTT.js rejects a SUBACK with a refusal, so read the packet. */
async function suback(c: mqtt.MqttClient, filters: string[]): Promise<number[]> {
  try {
    const g = await c.subscribeAsync(Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])))
    return g.map((x) => x.qos)
  } catch (err) {
    return (err as { packet: { granted: number[] } }).packet.granted
  }
}

const settle = () => new Promise((r) => setTimeout(r, 300))

t.test('issue 19 item 8: with the default ACL, device P-001 receives none of P-002\'s alerts, retained or live', async (t) => {
  const { b, metric } = await startBroker()
  t.teardown(() => b.close())
  const alerts = alertPublisher(b.publish)
  // P-002 breaches before P-001 connects (a retained message would wait for it) …
  alerts.publish(breach('P-002', 'opened'))
  await alerts.idle()
  const p1 = await client(b.port, { username: 'P-001', password: 'pw1', clientId: 'P-001' })
  t.teardown(() => p1.end(true))
  const got = collect(p1)
  // … it tries every filter that used to work, or might.
  for (const filter of ['hexpatrol/alerts/#', 'hexpatrol/alerts/radius_breach/+/+', 'hexpatrol/#', 'hexpatrol/devices/P-002/#', 'hexpatrol/devices/+/alerts/#', 'hexpatrol/devices/#', 'hexpatrol/incidents/#']) {
    t.same(await suback(p1, [filter]), [128], `${filter} refused in the SUBACK`)
  }
  t.same(await suback(p1, ['hexpatrol/devices/P-001/#']), [1], 'its own device topic is allowed')
  // … and P-002 keeps breaching while P-001 listens; P-001 breaches too.
  alerts.publish(breach('P-002', 'resolved'))
  alerts.publish(breach('P-001', 'opened'))
  alerts.publish(makeEvent('coverage_gap', 'opened'))
  await alerts.idle()
  await settle()
  t.notOk(got.some((m) => m.body.includes('P-002') || m.body.includes(String(P2_POSITION.lat))), 'nothing of P-002 reached P-001')
  t.same(got.map((m) => [m.topic, m.retain]), [['hexpatrol/devices/P-001/alerts/radius_breach/unit:P-001/post:st-1', false]], 'only its own alert, live')
  t.ok(await metric('hexpatrol_broker_refused_total', { reason: 'subscriptions' }) >= 7)
})

t.test('integration logins read the full alert feed, live only (nothing retained), and publish nothing', async (t) => {
  const { b, got: ingested } = await startBroker({ users: [...users, { username: 'dispatch', password: 'pw-d', role: 'integration' }] })
  t.teardown(() => b.close())
  const alerts = alertPublisher(b.publish)
  alerts.publish(breach('P-002', 'opened'))
  await alerts.idle()
  const d = await client(b.port, { username: 'dispatch', password: 'pw-d', clientId: 'dispatch-1' })
  t.teardown(() => d.end(true))
  const got = collect(d)
  t.same(await suback(d, ['hexpatrol/alerts/#', 'hexpatrol/incidents/#', 'fleet/+/position']), [1, 1, 128], 'alerts and events yes, raw positions no (integration_subscribe_acl)')
  await settle()
  t.same(got, [], 'no retained alert from before it connected')
  alerts.publish(breach('P-002', 'resolved'))
  await alerts.idle()
  await settle()
  t.same(got.map((m) => [m.topic, m.retain]), [['hexpatrol/alerts/radius_breach/unit:P-002/post:st-1', false]], 'the live feed under the documented topic')
  t.match(JSON.parse(got[0]!.body), { type: 'radius_breach.resolved', data: { unitId: 'P-002', position: { lat: P2_POSITION.lat } } })
  // An integration is no unit: it publishes nothing, not even to a topic named after it.
  const closed = new Promise<void>((r) => d.once('close', () => r()))
  d.publish('fleet/dispatch/position', '{}', { qos: 1 })
  await closed
  t.pass('disconnected for publishing')
  t.same(ingested, [], 'nothing ingested from an integration login')
})

t.test('client id bookkeeping: held by a login while connected or in a persistent session', async (t) => {
  const ids = new ClientIds()
  const a = {}
  const b = {}
  const c = {}
  t.ok(ids.claim('x', 'P-001', a, undefined))
  t.notOk(ids.claim('x', 'P-002', c, undefined), 'another login: refused')
  t.ok(ids.claim('x', 'P-001', b, undefined), 'the same login may take its id over')
  ids.release('x', a)
  t.notOk(ids.claim('x', 'P-002', c, undefined), 'still held by the second connection')
  ids.release('x', b)
  ids.release('x', b)
  ids.release('nobody', b)
  t.notOk(ids.claim('x', 'P-002', c, 'P-001'), 'held by a persistent session of another login')
  t.ok(ids.claim('x', 'P-001', c, 'P-001'))
  ids.release('x', c)
  t.ok(ids.claim('x', 'P-002', c, undefined), 'free once nobody holds it')
})

t.test('a device cannot take over another device\'s client id, connected or with a persistent session', async (t) => {
  // A literal filter, so this test is about client ids whatever the default subscribe ACL.
  const { b, metric, lines } = await startBroker({ subscribe_acl: ['hexpatrol/devices/P-001/#'] })
  t.teardown(() => b.close())
  const victim = await client(b.port, { username: 'P-001', password: 'pw1', clientId: 'owntracks-P-001', clean: false })
  let victimClosed = false
  victim.on('close', () => { victimClosed = true })
  await victim.subscribeAsync('hexpatrol/devices/P-001/#', { qos: 1 })

  await t.rejects(client(b.port, { username: 'P-002', password: 'pw2', clientId: 'owntracks-P-001', clean: true }), /Identifier rejected/i, 'takeover of a connected id refused')
  await new Promise((r) => setTimeout(r, 100))
  t.notOk(victimClosed, 'the holder stays connected')
  t.equal(await metric('hexpatrol_broker_refused_total', { reason: 'client_id_taken' }), 1, 'counted')
  t.ok(lines.some((l) => /client id is held by another login/.test(String(l.msg)) && l.clientId === 'owntracks-P-001' && l.username === 'P-002'), 'logged')

  // The victim goes offline; its persistent session (and queue) must survive another login's clean CONNECT.
  await victim.endAsync()
  await t.rejects(client(b.port, { username: 'P-002', password: 'pw2', clientId: 'owntracks-P-001', clean: true }), /Identifier rejected/i, 'the persistent session is not deleted by another login')
  await b.publish('hexpatrol/devices/P-001/alerts/x', 'queued', { qos: 1, retain: false })
  const back = mqtt.connect(`mqtt://127.0.0.1:${b.port}`, { reconnectPeriod: 0, username: 'P-001', password: 'pw1', clientId: 'owntracks-P-001', clean: false })
  const queued = await new Promise<string>((resolve) => back.on('message', (_topic, p) => resolve(p.toString())))
  t.equal(queued, 'queued', 'the owner gets its queued message back')

  // The same login may take its own id over (a phone reconnecting over a half-open connection).
  const again = await client(b.port, { username: 'P-001', password: 'pw1', clientId: 'owntracks-P-001', clean: false })
  await again.endAsync()
  back.end(true)
  // Clean again: the id is free once its session is gone and nobody is connected with it.
  const clean = await client(b.port, { username: 'P-001', password: 'pw1', clientId: 'owntracks-P-001', clean: true })
  await clean.endAsync()
  await new Promise((r) => setTimeout(r, 50))
  const other = await client(b.port, { username: 'P-002', password: 'pw2', clientId: 'owntracks-P-001', clean: true })
  await other.endAsync()
  t.equal(await metric('hexpatrol_broker_refused_total', { reason: 'client_id_taken' }), 2)
})
