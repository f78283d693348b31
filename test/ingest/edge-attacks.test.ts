// Issue 9, rows 1–3 and 5–9, against the real embedded broker with raw sockets and MQTT.js clients.
import t from 'tap'
import { fixedHeader, streamUntilClosed } from '../helpers/raw-mqtt.js'
import mqtt from 'mqtt'
import { Registry } from 'prom-client'
import { validateConfig } from '../../src/config/load.js'
import { bootConfig } from '../../src/boot.js'
import { createBrokerAuth, anonymousAllowed } from '../../src/ingest/broker-auth.js'
import { startEmbeddedBroker, checkBoundAddress } from '../../src/ingest/embedded-broker.js'
import { BrokerLimits } from '../../src/ingest/broker-limits.js'
import { PacketScanner } from '../../src/ingest/packet-guard.js'
import { AuthThrottle } from '../../src/ingest/auth-throttle.js'
import { captureLogger } from '../delivery/fixtures/alerts.js'

const users = [{ username: 'P-001', password: 'pw1' }, { username: 'P', password: 'pwP' }, { username: 'P-002', password: 'pw2' }, { username: 'alice-phone', password: 'pwA' }]

async function startBroker(broker: Record<string, unknown> = {}, mqttCfg: Record<string, unknown> = {}) {
  const config = validateConfig({ broker: { port: 0, users, ...broker }, mqtt: mqttCfg })
  const got: Array<[string, string]> = []
  const registry = new Registry()
  const { logger, lines } = captureLogger()
  const b = await startEmbeddedBroker(config, createBrokerAuth(config), (topic, payload) => {
    got.push([topic, payload.toString()])
  }, logger, { registry, authLogEveryMs: 50 })
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const m = await registry.getSingleMetric(name)?.get()
    return m?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0
  }
  return { b, got, lines, metric }
}

async function client(port: number, opts: mqtt.IClientOptions) {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 3000, ...opts })
  return new Promise<mqtt.MqttClient>((resolve, reject) => {
    c.once('connect', () => resolve(c))
    c.once('error', (e) => { c.end(true); reject(e) })
    c.once('close', () => reject(new Error('closed')))
  })
}


t.test('packet scanner: follows packet boundaries across chunks and refuses by announced length', async (t) => {
  const sc = new PacketScanner({ maxPacketBytes: 1000, maxConnectBytes: 100 })
  const connect = Buffer.concat([fixedHeader(1, 10), Buffer.alloc(10)])
  const pub = Buffer.concat([fixedHeader(3, 1000), Buffer.alloc(1000)])
  const all = Buffer.concat([connect, pub, fixedHeader(12, 0), pub])
  for (let i = 0; i < all.length; i += 7) t.equal(sc.push(all.subarray(i, i + 7)), null)
  t.same(sc.push(fixedHeader(3, 1001)), { reason: 'packet_too_large', announced: 1001, limit: 1000 })
  t.same(new PacketScanner({ maxPacketBytes: 1000, maxConnectBytes: 100 }).push(fixedHeader(3, 500)), { reason: 'connect_too_large', announced: 500, limit: 100 }, 'the first packet is held to the CONNECT limit')
  const later = new PacketScanner({ maxPacketBytes: 1000, maxConnectBytes: 100 })
  later.push(connect)
  t.match(later.push(fixedHeader(1, 200)), { reason: 'connect_too_large' })
  t.match(new PacketScanner({ maxPacketBytes: 10, maxConnectBytes: 10 }).push(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff])), { reason: 'malformed_length' })
  // 268 MB announced in 4 length bytes: refused on the header alone.
  t.match(new PacketScanner({ maxPacketBytes: 10, maxConnectBytes: 10 }).push(fixedHeader(1, 268_435_455)), { announced: 268_435_455 })
})

t.test('rows 1 and 2: a huge CONNECT or PUBLISH is refused while it arrives, never buffered', async (t) => {
  const { b, got, metric, lines } = await startBroker({}, { max_payload_bytes: 262_144 })
  t.teardown(() => b.close())
  // Row 1: an unauthenticated 250 MB CONNECT; the server closes after the header.
  const sent = await streamUntilClosed(b.port, fixedHeader(1, 250 * 1024 * 1024), 250 * 1024 * 1024)
  t.ok(sent < 32 * 1024 * 1024, `closed after ${sent} bytes of 250 MB`)
  t.equal(await metric('hexpatrol_broker_refused_total', { reason: 'connect_too_large' }), 1)
  t.ok(lines.some((l) => l.reason === 'connect_too_large' && l.announced === 250 * 1024 * 1024))
  // Row 2: a logged-in device publishes 200 MB: closed on the PUBLISH header, never acknowledged.
  const c = await client(b.port, { username: 'P-001', password: 'pw1' })
  const closed = new Promise<void>((r) => c.once('close', () => r()))
  const big = Buffer.alloc(2 * 1024 * 1024, 0x20) // 2 MB stands for any size above the limit
  c.publish('fleet/P-001/position', big, { qos: 1 })
  await closed
  c.end(true)
  t.equal(await metric('hexpatrol_broker_refused_total', { reason: 'packet_too_large' }), 1)
  t.same(got, [], 'nothing reached the pipeline')
  // Just under the limit still passes (the engine then judges the payload).
  const ok = await client(b.port, { username: 'P-001', password: 'pw1' })
  await ok.publishAsync('fleet/P-001/position', Buffer.alloc(262_144, 0x20), { qos: 1 })
  t.equal(got.length, 1)
  await ok.endAsync()
})

t.test('row 3: ingested topics are never retained; device retained messages are capped', async (t) => {
  const { b, metric } = await startBroker({ acl: ['devices/%u/status/+'], limits: { max_retained_per_device: 2, max_retained_total: 3 } })
  t.teardown(() => b.close())
  const dev = await client(b.port, { username: 'alice-phone', password: 'pwA' })
  for (let i = 0; i < 3; i++) await dev.publishAsync('owntracks/alice-phone/phone', `{"r":${i}}`, { qos: 1, retain: true })
  const term = await client(b.port, { username: 'P-002', password: 'pw2' })
  // A subscriber allowed everything would get retained copies at once; the broker kept none.
  const seen: string[] = []
  term.on('message', (topic) => seen.push(topic))
  await new Promise((r) => setTimeout(r, 100))
  t.same(seen, [])
  await t.resolves(dev.publishAsync('devices/alice-phone/status/a', 'x', { qos: 1, retain: true }))
  await t.resolves(dev.publishAsync('devices/alice-phone/status/b', 'x', { qos: 1, retain: true }))
  await t.resolves(dev.publishAsync('devices/alice-phone/status/a', 'y', { qos: 1, retain: true }), 'replacing one of its own is free')
  const closed = new Promise<void>((r) => dev.once('close', () => r()))
  dev.publish('devices/alice-phone/status/c', 'x', { qos: 1, retain: true })
  await closed
  dev.end(true)
  t.equal(await metric('hexpatrol_broker_refused_total', { reason: 'retained' }), 1)
  t.equal(await metric('hexpatrol_broker_retained_messages'), 2)
  // Clearing one frees a slot.
  const again = await client(b.port, { username: 'alice-phone', password: 'pwA' })
  await again.publishAsync('devices/alice-phone/status/a', '', { qos: 1, retain: true })
  await again.publishAsync('devices/alice-phone/status/c', 'x', { qos: 1, retain: true })
  t.equal(await metric('hexpatrol_broker_retained_messages'), 2)
  await again.endAsync()
  await term.endAsync()
})

t.test('row 5: a device reports only as itself (topic levels, - joining, case, payload unit)', async (t) => {
  const { b, got, metric } = await startBroker()
  t.teardown(() => b.close())
  const attempts: Array<[string, string, string, boolean]> = [
    // [user, password, topic, allowed]
    ['P', 'pwP', 'owntracks/P/002', true], // unit P: the device level never lengthens the id
    ['P', 'pwP', 'owntracks/P-002/phone', false], // unit P-002
    ['P', 'pwP', 'fleet/P/position', true],
    ['P-001', 'pw1', 'fleet/P-001/position', true],
    ['P-001', 'pw1', 'fleet/p-001/position', false], // case: another unit id
    ['P-001', 'pw1', 'fleet/P-0011/position', false],
    ['P-001', 'pw1', 'owntracks/P-001/phone', true], // the OwnTracks user is the unit
    ['P-001', 'pw1', 'owntracks/P/001', false], // unit P, not P-001
    ['P-001', 'pw1', 'owntracks/P-0/01', false], // unit P-0
    ['P-001', 'pw1', 'fleet/P-001/position/x', false],
    ['alice-phone', 'pwA', 'owntracks/alice/phone', false], // unit alice
    ['alice-phone', 'pwA', 'owntracks/alice-phone/x', true],
  ]
  for (const [user, pw, topic, allowed] of attempts) {
    const c = await client(b.port, { username: user, password: pw })
    const closed = new Promise<boolean>((r) => c.once('close', () => r(true)))
    const acked = c.publishAsync(topic, '{}', { qos: 1 }).then(() => false, () => true)
    const refused = await Promise.race([closed, acked])
    t.equal(!refused, allowed, `${user} → ${topic}`)
    c.end(true)
  }
  t.same(got.map((g) => g[0]), attempts.filter((a) => a[3]).map((a) => a[2]), 'only the allowed topics reached the pipeline')
  t.equal(await metric('hexpatrol_broker_refused_total', { reason: 'not_own_topic' }), attempts.filter((a) => !a[3]).length)
})

t.test('row 6: persistent sessions and subscriptions per client are capped', async (t) => {
  const { b, metric } = await startBroker({ subscribe_acl: ['hexpatrol/alerts/#'], limits: { max_persistent_sessions_per_device: 2, max_persistent_sessions: 3, max_subscriptions_per_client: 4, max_queued_per_client: 5 } })
  t.teardown(() => b.close())
  const sessions: mqtt.MqttClient[] = []
  for (const id of ['s1', 's2']) sessions.push(await client(b.port, { username: 'P-001', password: 'pw1', clientId: id, clean: false }))
  await t.rejects(client(b.port, { username: 'P-001', password: 'pw1', clientId: 's3', clean: false }), /Not authorized|closed/i, 'a third persistent session of one device')
  t.ok(await client(b.port, { username: 'P-001', password: 'pw1', clientId: 's4', clean: true }).then((c) => c.endAsync()).then(() => true), 'clean sessions are not capped this way')
  sessions.push(await client(b.port, { username: 'P-002', password: 'pw2', clientId: 'q1', clean: false }))
  await t.rejects(client(b.port, { username: 'P', password: 'pwP', clientId: 'q2', clean: false }), /Not authorized|closed/i, 'the broker-wide cap')
  t.equal(await metric('hexpatrol_broker_persistent_sessions'), 3)
  t.equal(await metric('hexpatrol_broker_refused_total', { reason: 'sessions' }), 2)
  // 10,000 subscriptions in one SUBSCRIBE: 4 granted, the rest refused in the SUBACK.
  const filters: Record<string, { qos: 0 | 1 }> = {}
  for (let i = 0; i < 10_000; i++) filters[`hexpatrol/alerts/${i}`] = { qos: 1 }
  const granted = await sessions[0]!.subscribeAsync(filters).catch((err: Error & { granted?: unknown }) => err)
  const s = await sessions[0]!.subscribeAsync({ 'hexpatrol/alerts/0': { qos: 1 } })
  t.equal(s[0]!.qos, 1, 'an already granted filter is granted again')
  t.ok(granted !== undefined)
  t.ok((await metric('hexpatrol_broker_refused_total', { reason: 'subscriptions' })) >= 9_996)
  // An offline persistent session queues at most max_queued_per_client alerts.
  await sessions[0]!.endAsync()
  for (let i = 0; i < 20; i++) await b.publish('hexpatrol/alerts/0', `a${i}`, { qos: 1, retain: false })
  t.equal(await metric('hexpatrol_broker_queued_messages'), 5)
  t.equal(await metric('hexpatrol_broker_queue_dropped_total'), 15)
  const back = await client(b.port, { username: 'P-001', password: 'pw1', clientId: 's1', clean: false })
  const got: string[] = []
  back.on('message', (_topic, p) => got.push(p.toString()))
  for (let i = 0; i < 200 && got.length < 5; i++) await new Promise((r) => setTimeout(r, 10))
  t.same(got, ['a0', 'a1', 'a2', 'a3', 'a4'], 'the queued five delivered on reconnect, the rest dropped')
  t.equal(await metric('hexpatrol_broker_queued_messages'), 0)
  back.end(true)
  for (const c of sessions.slice(1)) c.end(true)
})

t.test('row 7: anonymous is off once any device has credentials; both set is a start-up error', async (t) => {
  t.equal(anonymousAllowed(validateConfig({}).broker), true, 'no users: anonymous (loopback only)')
  t.equal(anonymousAllowed(validateConfig({ broker: { users } }).broker), false)
  t.throws(() => bootConfig({ broker: { users, allow_anonymous: true } }), { code: 'HEXP_ERR_CONFIG', message: /allow_anonymous: true while broker\.users lists 4/ })
  const { b } = await startBroker()
  t.teardown(() => b.close())
  await t.rejects(client(b.port, { clientId: 'anon' }), /Bad username or password|Not authorized|closed/i)
  // No users: anonymous, and said at warn level.
  const { logger, lines } = captureLogger()
  const cfg = validateConfig({ broker: { port: 0 } })
  const open = await startEmbeddedBroker(cfg, createBrokerAuth(cfg), () => undefined, logger)
  await open.close()
  t.match(lines.find((l) => /listening/.test(String(l.msg))), { level: 40, anonymous: true })
})

t.test('row 8: wrong passwords back off per address and are logged in aggregate', async (t) => {
  const { b, lines, metric } = await startBroker({ limits: { auth_free_failures: 5 } })
  t.teardown(() => b.close())
  const tries = 500
  const started = Date.now()
  let refused = 0
  for (let i = 0; i < tries; i++) {
    await client(b.port, { username: 'P-001', password: `guess-${i}` }).then((c) => c.end(true), () => refused++)
  }
  t.equal(refused, tries)
  const checked = await metric('hexpatrol_broker_refused_total', { reason: 'auth_failed' })
  // 5 free, then one more each time a (doubling) back-off expires: a handful, however slow the machine.
  const seconds = (Date.now() - started) / 1000
  t.ok(checked <= 5 + Math.ceil(Math.log2(seconds + 1)) + 1, `only ${checked} of ${tries} guesses in ${seconds.toFixed(1)} s had their password checked`)
  t.equal(checked + await metric('hexpatrol_broker_refused_total', { reason: 'auth_backoff' }), tries)
  // Even the right password waits out the back-off.
  await t.rejects(client(b.port, { username: 'P-001', password: 'pw1' }))
  await new Promise((r) => setTimeout(r, 120))
  const perGuess = lines.filter((l) => /Device refused/.test(String(l.msg))).length
  const summaries = lines.filter((l) => /Refused MQTT authentications/.test(String(l.msg)))
  t.equal(perGuess, 0, 'no log line per guess')
  // At most one line per interval (50 ms here, 60 s by default), each counting every refusal since the last.
  const intervals = Math.ceil((Date.now() - started) / 50) + 2
  t.ok(summaries.length >= 1 && summaries.length <= intervals, `${summaries.length} summary lines for ${tries + 1} refusals`)
  t.equal(summaries.reduce((n, l) => n + (l.failures as number) + (l.refused as number), 0), tries + 1)
  t.match(summaries[0], { addresses: [{ address: /127\.0\.0\.1/ }] })
})

t.test('auth throttle: doubling back-off, forgiveness, bounded memory', async (t) => {
  let now = 0
  const th = new AuthThrottle({ freeFailures: 2, baseBackoffMs: 1000, maxBackoffMs: 8000, forgetAfterMs: 60_000, maxAddresses: 3, now: () => now })
  const g = th.forTransport('mqtt')
  g.fail('a')
  g.fail('a')
  t.equal(g.check('a'), null)
  g.fail('a')
  t.equal(th.backoffMs('a'), 1000)
  t.not(g.check('a'), null)
  now += 1000
  t.equal(g.check('a'), null)
  g.fail('a')
  t.equal(th.backoffMs('a'), 2000)
  for (let i = 0; i < 10; i++) g.fail('a')
  t.equal(th.backoffMs('a'), 8000, 'capped')
  g.succeed('a')
  t.equal(th.backoffMs('a'), 0)
  g.fail('b')
  now += 61_000
  g.fail('b')
  g.fail('b')
  t.equal(g.check('b'), null, 'failures long ago are forgotten')
  for (const x of ['c', 'd', 'e', 'f']) g.fail(x)
  const s = th.drain(10)!
  t.ok(s.addresses.length <= 4)
  t.ok(s.addresses.some((r) => r.address === '(other)'))
  t.equal(th.drain(), null)
  t.equal(th.backoffMs('nobody'), 0)
})

t.test('row 9: a host name that is not loopback never passes as loopback', async (t) => {
  t.throws(() => bootConfig({ broker: { host: '127.lan' } }), { code: 'HEXP_ERR_BROKER_EXPOSED' })
  // Resolved: `localhost` is checked after listening on what it resolved to.
  const cfg = validateConfig({ broker: { host: 'localhost', port: 0 } })
  const b = await startEmbeddedBroker(cfg, createBrokerAuth(cfg), () => undefined, captureLogger().logger)
  t.ok(b.listening)
  await b.close()
})

t.test('row 9: the resolved listen address decides, not the configured name', async (t) => {
  t.throws(() => checkBoundAddress(true, 'broker.internal', '192.168.1.20'), { code: 'HEXP_ERR_BROKER_EXPOSED', message: /resolved to 192\.168\.1\.20/ })
  t.doesNotThrow(() => checkBoundAddress(true, 'localhost', '::1'))
  t.doesNotThrow(() => checkBoundAddress(false, '0.0.0.0', '0.0.0.0'), 'with credentials only, any address')
  // A broker that finds itself on a network address with anonymous devices closes and refuses to start.
  const cfg = validateConfig({ broker: { host: '0.0.0.0', port: 0, users } })
  const anon = { ...createBrokerAuth(cfg), anonymous: true }
  await t.rejects(startEmbeddedBroker(cfg, anon, () => undefined, captureLogger().logger), { code: 'HEXP_ERR_BROKER_EXPOSED' })
})

t.test('broker limits bookkeeping', async (t) => {
  const l = new BrokerLimits(validateConfig({ broker: { limits: { max_retained_per_device: 2, max_retained_total: 3, max_persistent_sessions_per_device: 1, max_persistent_sessions: 5, max_subscriptions_per_client: 2, max_queued_per_client: 1 } } }).broker.limits)
  t.ok(l.retain('a', 't1', false))
  t.ok(l.retain('a', 't2', false))
  t.ok(l.retain('b', 't1', false), "taking over another device's retained topic moves it")
  t.equal(l.retained, 2)
  t.ok(l.retain('a', 't3', false), 'a holds one again after b took t1')
  t.notOk(l.retain('c', 't4', false), 'total cap')
  t.ok(l.retain('x', 'nothing', true), 'clearing an unknown topic is fine')
  t.ok(l.retain('a', 't3', true))
  t.equal(l.retained, 2)
  t.ok(l.session('a', 'c1', false))
  t.ok(l.session('a', 'c1', false), 'the same session again')
  t.notOk(l.session('b', 'c1', false), "another device cannot take over a's session id")
  t.notOk(l.session('a', 'c2', false), 'per-device cap')
  t.ok(l.session('a', 'c1', true), 'a clean connect ends it')
  t.equal(l.persistentSessions, 0)
  t.ok(l.subscribe('c1', 'f1'))
  t.ok(l.subscribe('c1', 'f2'))
  t.notOk(l.subscribe('c1', 'f3'))
  l.unsubscribe('c1', 'f2')
  t.ok(l.subscribe('c1', 'f3'), 'an unsubscribe frees a slot')
  l.disconnected('c1', false)
  t.notOk(l.subscribe('c1', 'f4'), 'a persistent session keeps its subscriptions')
  l.disconnected('c1', true)
  t.ok(l.subscribe('c1', 'f4'))
  t.ok(l.enqueue('c9'))
  t.notOk(l.enqueue('c9'))
  t.equal(l.queuedMessages, 1)
  l.resumed('c9')
  t.equal(l.queuedMessages, 0)
})
