// docker/mosquitto/* run for real: the shipped mosquitto.conf and acl (container paths mapped to a
// temp dir, the listener moved to a free loopback port) on the Debian mosquitto, with logins made
// by the shipped add-user.sh. Checks the ACL isolates devices, the engine can read and alert, and
// the raised queue limit keeps more than the default 1000 messages for an offline engine.
// Skips with a message when mosquitto is not installed (.ci/run installs it).
import t from 'tap'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { connect as netConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt'
import { pino } from 'pino'
import { freePort, mosquittoPath } from '../helpers/mosquitto.js'
import { validateConfig } from '../../src/config/load.js'
import { createDecoder, decoderOptionsFromConfig } from '../../src/decode/decoder.js'
import { startMqttSubscriber } from '../../src/ingest/mqtt-subscriber.js'
import { createMetrics } from '../../src/telemetry/metrics.js'

const docker = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docker', 'mosquitto')
const bin = mosquittoPath()
const hasPasswd = spawnSync('mosquitto_passwd', ['-h']).error === undefined

function addUser(file: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync('/bin/sh', [join(docker, 'add-user.sh'), ...args], { env: { PATH: process.env.PATH, MOSQUITTO_PASSWD_FILE: file, ...env }, encoding: 'utf8' })
}

t.test('add-user.sh', { skip: hasPasswd ? false : 'mosquitto_passwd is not installed' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hexp-'))
  const file = join(dir, 'passwd')
  t.equal(addUser(file, [], {}).status, 2, 'no arguments and no HEXPATROL_MQTT_PASSWORD: refuses')
  t.equal(addUser(file, ['only-one']).status, 64, 'usage error')
  const r = addUser(file, [], { HEXPATROL_MQTT_PASSWORD: 'engine-pw' })
  t.equal(r.status, 0, r.stderr)
  t.equal(addUser(file, ['P-001', 'pw-1']).status, 0)
  t.equal(addUser(file, ['P-001', 'pw-1b']).status, 0, 'updating a login works')
  const lines = readFileSync(file, 'utf8').trim().split('\n')
  t.same(lines.map((l) => l.split(':')[0]), ['hexpatrol', 'P-001'], 'one line per login')
  t.ok(lines.every((l) => /^[^:]+:\$7\$/.test(l)), 'hashed, never plain text')
})

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = netConnect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); done(true) })
    s.once('error', () => done(false))
  })
}

interface Broker { port: number; stop(): Promise<void>; output(): string }

async function startBroker(dir: string, port: number): Promise<Broker> {
  // The shipped conf, with only the container paths and the listener changed.
  const conf = readFileSync(join(docker, 'mosquitto.conf'), 'utf8')
    .replace(/^listener 1883$/m, `listener ${port} 127.0.0.1`)
    .replaceAll('/mosquitto/config/', `${dir}/`)
    .replaceAll('/mosquitto/data/', `${dir}/data/`)
  mkdirSync(join(dir, 'data'))
  copyFileSync(join(docker, 'acl'), join(dir, 'acl'))
  // As root (CI), stay root so the temp files stay readable; in the container it is uid 1883.
  writeFileSync(join(dir, 'mosquitto.conf'), process.getuid?.() === 0 ? `user root\n${conf}` : conf)
  let out = ''
  const child: ChildProcess = spawn(bin!, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { out += d.toString() })
  // Ready when the port accepts connections (stdout logging is block-buffered through a pipe).
  const deadline = Date.now() + 10_000
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`mosquitto did not start:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    port,
    output: () => out,
    stop: () => new Promise<void>((r) => {
      if (child.exitCode !== null) return r()
      child.once('exit', () => r())
      child.kill('SIGTERM')
    }),
  }
}

function waitFor(predicate: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  return new Promise((resolveWait, reject) => {
    const tick = () => {
      if (predicate()) return resolveWait()
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`))
      setTimeout(tick, 20)
    }
    tick()
  })
}

t.test('the shipped mosquitto.conf and acl on a real broker', { skip: bin !== null && hasPasswd ? false : 'mosquitto is not installed (apt-get install mosquitto)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hexp-'))
  const passwd = join(dir, 'passwd')
  t.equal(addUser(passwd, [], { HEXPATROL_MQTT_PASSWORD: 'engine-pw' }).status, 0)
  t.equal(addUser(passwd, ['P-001', 'pw-1']).status, 0)
  t.equal(addUser(passwd, ['P-002', 'pw-2']).status, 0)
  const broker = await startBroker(dir, await freePort())
  t.teardown(() => broker.stop())
  const url = `mqtt://127.0.0.1:${broker.port}`
  const clients: MqttClient[] = []
  t.teardown(() => Promise.all(clients.map((c) => c.endAsync(true))))
  const connect = async (opts: IClientOptions) => {
    const c = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, ...opts })
    clients.push(c)
    return c
  }

  await t.rejects(connect({ clientId: 'anon' }), 'anonymous login is refused')
  await t.rejects(connect({ clientId: 'bad', username: 'P-001', password: 'wrong' }), 'a wrong password is refused')

  const engineOpts: IClientOptions = { clientId: 'hexpatrol-ingest', username: 'hexpatrol', password: 'engine-pw', clean: false, properties: { sessionExpiryInterval: 3600 } }
  let engine = await connect(engineOpts)
  const got: string[] = []
  const onMessage = (topic: string, payload: Buffer) => { if (!topic.startsWith('$SYS')) got.push(`${topic} ${payload.toString()}`) }
  engine.on('message', onMessage)
  const grants = await engine.subscribeAsync({ 'fleet/+/position': { qos: 1 }, 'owntracks/+/+': { qos: 1 }, '$SYS/broker/uptime': { qos: 0 } })
  t.ok(grants.every((g) => g.qos < 128), 'the engine may subscribe to every unit and to the uptime (healthcheck)')

  const dev1 = await connect({ clientId: 'P-001', username: 'P-001', password: 'pw-1' })
  const dev2 = await connect({ clientId: 'P-002', username: 'P-002', password: 'pw-2' })
  const dev1Got = new Set<string>()
  dev1.on('message', (topic) => dev1Got.add(topic))
  // Mosquitto grants any filter and checks read access per message: a device subscribed to `#`
  // must still see nothing but alerts.
  await dev1.subscribeAsync({ '#': { qos: 1 } })

  await dev1.publishAsync('fleet/P-001/position', '1', { qos: 1 })
  await t.rejects(dev1.publishAsync('fleet/P-002/position', 'spoof', { qos: 1 }), /Not authorized/i, 'a device cannot publish as another unit')
  await t.rejects(dev1.publishAsync('owntracks/P-002/phone', 'spoof', { qos: 1 }), /Not authorized/i)
  await t.rejects(dev1.publishAsync('hexpatrol/alerts/radius_breach/unit:P-001', 'fake', { qos: 1 }), /Not authorized/i, 'devices cannot forge alerts')
  await dev1.publishAsync('owntracks/P-001/phone', '2', { qos: 1 })
  await dev2.publishAsync('fleet/P-002/position', '3', { qos: 1 })
  await waitFor(() => got.length >= 3, 'the engine to receive the allowed fixes')
  t.same(got, ['fleet/P-001/position 1', 'owntracks/P-001/phone 2', 'fleet/P-002/position 3'], 'only the allowed publishes reach the engine, in order')

  // The full feed carries every unit's position: devices read only their own copy.
  await engine.publishAsync('hexpatrol/alerts/radius_breach/unit:P-002', '{}', { qos: 1 })
  await engine.publishAsync('hexpatrol/devices/P-002/alerts/radius_breach/unit:P-002', '{}', { qos: 1 })
  await engine.publishAsync('hexpatrol/incidents/opened/incident:1', '{}', { qos: 1 })
  await engine.publishAsync('hexpatrol/devices/P-001/alerts/radius_breach/unit:P-001', '{}', { qos: 1 })
  await waitFor(() => dev1Got.size > 0, 'the device to receive its alert')
  await new Promise((r) => setTimeout(r, 300))
  t.same([...dev1Got], ['hexpatrol/devices/P-001/alerts/radius_breach/unit:P-001'], 'a device reads its own alerts only: not the full feed, not another unit\'s copy, never fixes')
  await t.rejects(engine.publishAsync('fleet/P-001/position', 'x', { qos: 1 }), /Not authorized/i, 'the engine account cannot inject fixes')

  // The engine goes away with a persistent session; more than the default 1000 messages queue up.
  await engine.endAsync()
  got.length = 0
  const N = 1500
  for (let i = 0; i < N; i++) await dev1.publishAsync('fleet/P-001/position', String(i), { qos: 1 })
  // The handler must be in place before CONNACK: the broker sends the queue right after it.
  engine = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, ...engineOpts })
  clients.push(engine)
  engine.on('message', onMessage)
  const connack = await new Promise<{ sessionPresent: boolean }>((r, j) => { engine.once('connect', r); engine.once('error', j) })
  t.ok(connack.sessionPresent, 'the broker kept the engine\'s session')
  await waitFor(() => got.length >= N, `${N} queued messages (got ${got.length})`)
  t.equal(got.length, N, 'nothing dropped while the engine was offline')
  t.same(got.slice(0, 2), ['fleet/P-001/position 0', 'fleet/P-001/position 1'], 'queued in order')
  t.notMatch(broker.output(), /Error|Outgoing messages are being dropped/i, 'the broker logged no errors or drops')
})

// Issue 19, item 3: with the shipped ACL (`pattern write owntracks/%u/+`) a login `P` may publish
// `owntracks/P/002`; the router used to name that unit P-002. The engine, subscribed as it is in the
// Compose stack (default subscriptions, mqtt.url set), must see each login only as its own unit.
t.test('the shipped acl and the engine agree: a login reaches only its own unit id', { skip: bin !== null && hasPasswd ? false : 'mosquitto is not installed (apt-get install mosquitto)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hexp-'))
  const passwd = join(dir, 'passwd')
  t.equal(addUser(passwd, [], { HEXPATROL_MQTT_PASSWORD: 'engine-pw' }).status, 0)
  t.equal(addUser(passwd, ['P', 'pw-p']).status, 0)
  t.equal(addUser(passwd, ['P-002', 'pw-2']).status, 0)
  const broker = await startBroker(dir, await freePort())
  t.teardown(() => broker.stop())
  const url = `mqtt://127.0.0.1:${broker.port}`
  const config = validateConfig({ mqtt: { url, username: 'hexpatrol', password: 'engine-pw', client_id: 'hexpatrol-acl-test' } }, undefined, {})
  const decode = createDecoder(decoderOptionsFromConfig(config))
  const stored: Array<[string, string]> = []
  const sub = startMqttSubscriber(config, (topic, payload) => {
    const r = decode(topic, payload, Date.now())
    for (const f of r.fixes) stored.push([topic, f.unitId])
    for (const x of r.rejects) stored.push([topic, `reject:${x.reason}`])
  }, pino({ level: 'silent' }), createMetrics({ defaults: false }))
  t.teardown(() => sub.close())
  await waitFor(() => sub.subscribed, 'the engine to subscribe')

  const clients: MqttClient[] = []
  t.teardown(() => Promise.all(clients.map((c) => c.endAsync(true))))
  const connect = async (username: string, password: string) => {
    const c = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, clientId: username, username, password })
    clients.push(c)
    return c
  }
  const loc = () => JSON.stringify({ _type: 'location', tst: Math.floor(Date.now() / 1000), lat: 36.49, lon: 117.86 })
  const p = await connect('P', 'pw-p')
  const p2 = await connect('P-002', 'pw-2')
  await p.publishAsync('owntracks/P/002', loc(), { qos: 1 })
  await t.rejects(p.publishAsync('owntracks/P-002/phone', loc(), { qos: 1 }), /Not authorized/i, 'the ACL binds the <user> level to the login')
  await t.rejects(p.publishAsync('fleet/P-002/position', '{}', { qos: 1 }), /Not authorized/i)
  await p2.publishAsync('owntracks/P-002/phone', loc(), { qos: 1 })
  await p.publishAsync('fleet/P/position', JSON.stringify({ ts: Date.now(), lat: 36.49, lon: 117.86 }), { qos: 1 })
  await waitFor(() => stored.length >= 3, 'the engine to receive the allowed fixes')
  t.same(stored, [['owntracks/P/002', 'P'], ['owntracks/P-002/phone', 'P-002'], ['fleet/P/position', 'P']], 'P is stored as P, never as P-002; P-002 as itself')
  t.notOk(stored.some(([topic, unit]) => unit === 'P-002' && !topic.includes('/P-002/')), 'no login reaches another unit id')
})
