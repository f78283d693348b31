// The external-broker subscriber against a real Mosquitto: QoS 1 persistent session, a pipeline
// failure is never acknowledged (the broker redelivers), deferred acks wait for the pipeline.
import t from 'tap'
import { pino } from 'pino'
import { validateConfig } from '../../src/config/load.js'
import mqtt from 'mqtt'
import { startMqttSubscriber, clientOptions, quietTrace, subscriptionTopic, SHARE_GROUP } from '../../src/ingest/mqtt-subscriber.js'
import { SourcePausedError } from '../../src/ingest/message-handler.js'
import { createMetrics } from '../../src/telemetry/metrics.js'
import { mosquittoPath, startMosquitto } from '../helpers/mosquitto.js'
import { connect } from '../helpers/publisher.js'
import { waitFor, tempDir } from '../helpers/harness.js'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

t.test('client options: persistent session, credentials, TLS files', async (t) => {
  const dir = tempDir()
  writeFileSync(join(dir, 'ca.pem'), 'CA')
  const o = clientOptions(validateConfig({ mqtt: { url: 'mqtts://b:8883', username: 'hexpatrol', password_env: 'PW', ca_file: join(dir, 'ca.pem'), cert_file: join(dir, 'ca.pem'), key_file: join(dir, 'ca.pem'), client_id: 'engine-1' } }, undefined, { PW: 'secret' }))
  t.equal(o.clean, false)
  t.equal(o.clientId, 'engine-1')
  t.equal(o.password, 'secret')
  t.same(o.properties, { sessionExpiryInterval: 3600 })
  t.equal(String(o.ca), 'CA')
  const v4 = clientOptions(validateConfig({ mqtt: { url: 'mqtt://b', protocol_version: 4 } }, undefined, {}))
  t.equal(v4.properties, undefined, 'no MQTT 5 properties on 3.1.1')
  t.throws(() => startMqttSubscriber(validateConfig({}), () => undefined, pino({ level: 'silent' }), createMetrics({ defaults: false })), /needs mqtt\.url/)
})

t.test('cluster mode: each engine its own client id; a shared subscription only with cluster.shared_subscription', async (t) => {
  const cluster = { url: 'nats://127.0.0.1:4222', node_id: 'engine-b' }
  const single = validateConfig({ mqtt: { url: 'mqtt://b', client_id: 'hexp' } }, undefined, {})
  t.equal(clientOptions(single).clientId, 'hexp', 'single engine: the configured id')
  t.equal(subscriptionTopic(single, 'fleet/+/position'), 'fleet/+/position')
  const plain = validateConfig({ mqtt: { url: 'mqtt://b', client_id: 'hexp' }, cluster }, undefined, {})
  t.equal(clientOptions(plain).clientId, 'hexp-engine-b', 'suffixed with the node id (one id would have the engines kick each other off)')
  t.equal(plain.cluster.shared_subscription, false, 'off by default')
  t.equal(subscriptionTopic(plain, 'fleet/+/position'), 'fleet/+/position', 'without shared_subscription every engine takes every fix')
  const shared = validateConfig({ mqtt: { url: 'mqtt://b', client_id: 'hexp' }, cluster: { ...cluster, shared_subscription: true } }, undefined, {})
  t.equal(SHARE_GROUP, 'hexpatrol')
  t.equal(subscriptionTopic(shared, 'fleet/+/position'), '$share/hexpatrol/fleet/+/position')
  t.equal(subscriptionTopic(shared, 'owntracks/#'), '$share/hexpatrol/owntracks/#')
  t.equal(clientOptions(shared).clientId, 'hexp-engine-b')
  const noUrl = validateConfig({ mqtt: { url: 'mqtt://b', client_id: 'hexp' }, cluster: { node_id: 'engine-b', shared_subscription: true } }, undefined, {})
  t.equal(clientOptions(noUrl).clientId, 'hexp', 'a node id without cluster.url is not cluster mode')
  t.equal(subscriptionTopic(noUrl, 'fleet/+/position'), 'fleet/+/position', 'nor is shared_subscription')
})

t.test('a failing pipeline is never acked: the broker redelivers', { skip: mosquittoPath() === null ? 'mosquitto is not installed' : false }, async (t) => {
  const mosq = await startMosquitto()
  t.teardown(() => mosq.stop())
  const config = validateConfig({ mqtt: { url: mosq.url, client_id: 'sub-test', reconnect_period: '100ms', protocol_version: 4 } })
  const got: string[] = []
  let failSync = 1
  let failAsync = 1
  let release: (() => void) | null = null
  const sub = startMqttSubscriber(config, (_topic, payload) => {
    const s = payload.toString()
    if (s === 'sync-fail' && failSync-- > 0) throw new Error('disk on fire')
    if (s === 'async-fail' && failAsync-- > 0) return Promise.reject(new Error('later'))
    got.push(s)
    if (s === 'slow') return new Promise<void>((r) => { release = r })
    return undefined
  }, pino({ level: 'silent' }), createMetrics({ defaults: false }))
  t.teardown(() => sub.close())
  await waitFor(() => sub.subscribed, 10_000)
  const pub = await connect(mosq.url, { clientId: 'sub-test-pub' })
  t.teardown(() => pub.endAsync())
  await pub.publishAsync('fleet/P-1/position', 'sync-fail', { qos: 1 })
  await pub.publishAsync('fleet/P-1/position', 'async-fail', { qos: 1 })
  await waitFor(() => got.includes('sync-fail') && got.includes('async-fail'), 20_000)
  t.same(got.filter((s) => s.endsWith('-fail')).sort(), ['async-fail', 'sync-fail'], 'both failed messages were redelivered and then accepted, once each')
  await pub.publishAsync('fleet/P-1/position', 'slow', { qos: 1 })
  await waitFor(() => release !== null, 10_000)
  await pub.publishAsync('fleet/P-1/position', 'after-slow', { qos: 1 })
  await new Promise((r) => setTimeout(r, 300))
  t.notOk(got.includes('after-slow'), 'the next message waits until the held one is acked (one at a time)')
  release!()
  await waitFor(() => got.includes('after-slow'), 10_000)
  const listener = await connect(mosq.url, { clientId: 'sub-test-listener' })
  t.teardown(() => listener.endAsync())
  await listener.subscribeAsync('hexpatrol/alerts/#', { qos: 1 })
  const heard = new Promise<string>((resolve) => listener.once('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)))
  await sub.publish('hexpatrol/alerts/test', 'x', { qos: 1, retain: false })
  t.equal(await heard, 'hexpatrol/alerts/test x', 'publishes through the same connection')
})

t.test('while stopping, a message is not acknowledged but the connection stays; the next session gets it again', { skip: mosquittoPath() === null ? 'mosquitto is not installed' : false }, async (t) => {
  const mosq = await startMosquitto()
  t.teardown(() => mosq.stop())
  const config = validateConfig({ mqtt: { url: mosq.url, client_id: 'sub-pause', reconnect_period: '100ms', protocol_version: 4 } })
  const seen: string[] = []
  const first = startMqttSubscriber(config, (_topic, payload) => {
    seen.push(payload.toString())
    throw new SourcePausedError()
  }, pino({ level: 'silent' }), createMetrics({ defaults: false }))
  await waitFor(() => first.subscribed, 10_000)
  const pub = await connect(mosq.url, { clientId: 'sub-pause-pub' })
  t.teardown(() => pub.endAsync())
  await pub.publishAsync('fleet/P-1/position', 'during-stop', { qos: 1 })
  await waitFor(() => seen.includes('during-stop'), 10_000)
  await new Promise((r) => setTimeout(r, 200))
  t.ok(first.subscribed, 'the connection was not dropped (alerts can still be published)')
  await first.publish('hexpatrol/alerts/x', 'still-up', { qos: 1, retain: false })
  await first.close()
  const got: string[] = []
  const second = startMqttSubscriber(config, (_topic, payload) => { got.push(payload.toString()) }, pino({ level: 'silent' }), createMetrics({ defaults: false }))
  t.teardown(() => second.close())
  await waitFor(() => got.includes('during-stop'), 10_000)
  t.same(got, ['during-stop'], 'the broker delivered the unacknowledged message to the next session')
})

t.test('group commit: no PUBACK leaves before the journal wrote the record (the broker redelivers until then)', { skip: mosquittoPath() === null ? 'mosquitto is not installed' : false }, async (t) => {
  const mosq = await startMosquitto()
  t.teardown(() => mosq.stop())
  const config = validateConfig({ mqtt: { url: mosq.url, client_id: 'sub-group', reconnect_period: '100ms', protocol_version: 4 } })
  let written = false
  let deferred = 0
  let wake: (() => void) | null = null
  const commit = {
    defer: <T>(fn: () => T): T => { deferred++; return fn() },
    flush: () => written,
    whenWritable: () => new Promise<void>((resolve) => { wake = resolve }),
  }
  const got: string[] = []
  const sub = startMqttSubscriber(config, (_topic, payload) => { got.push(payload.toString()) }, pino({ level: 'silent' }), createMetrics({ defaults: false }), commit)
  t.teardown(() => sub.close())
  await waitFor(() => sub.subscribed, 10_000)
  const pub = await connect(mosq.url, { clientId: 'sub-group-pub' })
  t.teardown(() => pub.endAsync())
  await pub.publishAsync('fleet/P-1/position', 'm1', { qos: 1 })
  await waitFor(() => got.includes('m1'), 10_000)
  t.equal(deferred, 1, 'the handler ran inside the journal\'s defer()')
  // The record is not written: its PUBACK must not have left, so the broker delivers it again (the
  // subscriber takes it once the held group is written: no message is taken while one waits).
  await mosq.restart()
  await waitFor(() => sub.subscribed, 20_000)
  await new Promise((r) => setTimeout(r, 500))
  t.same(got, ['m1'], 'nothing taken while the group waits for its write')
  written = true
  wake!()
  await waitFor(() => got.filter((m) => m === 'm1').length === 2, 20_000)
  t.pass('redelivered after a broker restart: it had not been acknowledged')
  await pub.publishAsync('fleet/P-1/position', 'm2', { qos: 1 })
  await waitFor(() => got.includes('m2'), 10_000)
  // Written now: the PUBACKs went out, so another restart delivers nothing again.
  await new Promise((r) => setTimeout(r, 300))
  await mosq.restart()
  await waitFor(() => sub.subscribed, 20_000)
  await new Promise((r) => setTimeout(r, 1000))
  t.same(got, ['m1', 'm1', 'm2'], 'acknowledged once written: no further redelivery')
})

t.test('MQTT.js trace: a no-op while its debug namespace is off, kept while it is on or not debug\'s', (t) => {
  const off = Object.assign(() => {}, { namespace: 'mqttjs:client', enabled: undefined })
  const client = { log: off as (...args: unknown[]) => void }
  quietTrace(client)
  t.not(client.log, off, 'trace off: replaced')
  t.equal(client.log.length, 0)
  const on = Object.assign(() => {}, { namespace: 'mqttjs:client', enabled: true })
  const traced = { log: on as (...args: unknown[]) => void }
  quietTrace(traced)
  t.equal(traced.log, on, 'DEBUG=mqttjs:* : the trace stays')
  const own = () => {}
  const custom = { log: own as (...args: unknown[]) => void }
  quietTrace(custom)
  t.equal(custom.log, own, 'a logger that is not debug\'s stays')
  // MQTT.js's own default is a debug instance (what quietTrace relies on); DEBUG is unset here.
  const real = mqtt.connect('mqtt://127.0.0.1:1', { manualConnect: true, reconnectPeriod: 0 })
  const before = real.log
  quietTrace(real)
  if (process.env.DEBUG === undefined) t.not(real.log, before, 'MQTT.js\'s default trace, off: replaced')
  else t.pass('DEBUG is set in this environment: the real client keeps its trace')
  t.end()
})
