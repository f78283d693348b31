// Why the cluster stack's engines do not share a subscription: on the shipped Mosquitto
// configuration (docker/mosquitto/mosquitto.conf and acl, container paths mapped to a temp dir,
// listener on a free loopback port), a `$share/` group keeps dispatching to a member whose
// persistent session is offline (its share waits for it), so a killed engine would hold back a
// third of the fixes; with plain subscriptions, as docker/cluster/hexpatrol.yaml has them, the
// surviving engines receive every fix while one is down (the stream's dedup keeps one copy).
// Skips with a message when mosquitto is not installed (.ci/run installs it).
import t, { type Test } from 'tap'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { connect as netConnect } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { loadConfig } from '../../src/config/load.js'
import { tempDir } from '../helpers/harness.js'
import { freePort, mosquittoPath } from '../helpers/mosquitto.js'

const docker = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docker')
const bin = mosquittoPath()
const hasPasswd = spawnSync('mosquitto_passwd', ['-h']).error === undefined
const SKIP = bin !== null && hasPasswd ? false : 'mosquitto is not installed (apt-get install mosquitto)'

async function startShippedBroker(t: Test): Promise<string> {
  const dir = tempDir('hexp-cluster-mosq-')
  const port = await freePort()
  const passwd = join(dir, 'passwd')
  for (const [user, pw] of [['hexpatrol', 'engine-pw'], ['P-001', 'pw-1']] as const) {
    const r = spawnSync('/bin/sh', [join(docker, 'mosquitto', 'add-user.sh'), user, pw], { env: { PATH: process.env.PATH, MOSQUITTO_PASSWD_FILE: passwd }, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(r.stderr)
  }
  const conf = readFileSync(join(docker, 'mosquitto', 'mosquitto.conf'), 'utf8')
    .replace(/^listener 1883$/m, `listener ${port} 127.0.0.1`)
    .replaceAll('/mosquitto/config/', `${dir}/`)
    .replaceAll('/mosquitto/data/', `${dir}/data/`)
  mkdirSync(join(dir, 'data'))
  copyFileSync(join(docker, 'mosquitto', 'acl'), join(dir, 'acl'))
  writeFileSync(join(dir, 'mosquitto.conf'), process.getuid?.() === 0 ? `user root\n${conf}` : conf)
  const child: ChildProcess = spawn(bin!, ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' })
  t.teardown(() => new Promise<void>((r) => {
    if (child.exitCode !== null) return r()
    child.once('exit', () => r())
    child.kill('SIGTERM')
  }))
  const deadline = Date.now() + 30_000
  for (;;) {
    const up = await new Promise<boolean>((done) => {
      const s = netConnect(port, '127.0.0.1')
      s.once('connect', () => { s.destroy(); done(true) })
      s.once('error', () => done(false))
    })
    if (up) return `mqtt://127.0.0.1:${port}`
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('mosquitto did not start')
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function settle(ms = 300): Promise<void> {
  await new Promise((r) => setTimeout(r, ms))
}

/** Waits (bounded) until `ok`, then a little longer so that anything more would have arrived too. */
async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await settle(20)
  }
  await settle()
}

/** Two engines' persistent sessions (as the compose file gives them: one client id each), a device, and what each engine got. */
async function fleet(t: Test, url: string, filter: string) {
  const clients: MqttClient[] = []
  t.teardown(() => Promise.all(clients.map((c) => c.endAsync(true))))
  const got: Record<string, string[]> = { 'engine-1': [], 'engine-2': [] }
  const engineOpts = (id: string): IClientOptions => ({ protocolVersion: 5, clientId: `hexpatrol-${id}`, username: 'hexpatrol', password: 'engine-pw', clean: false, properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 0, connectTimeout: 5000 })
  const connectEngine = async (id: string) => {
    const c = mqtt.connect(url, engineOpts(id))
    clients.push(c)
    c.on('message', (_topic, payload) => got[id]!.push(payload.toString()))
    await new Promise((r, j) => { c.once('connect', r); c.once('error', j) })
    return c
  }
  const e1 = await connectEngine('engine-1')
  const e2 = await connectEngine('engine-2')
  for (const e of [e1, e2]) {
    const granted = await e.subscribeAsync({ [filter]: { qos: 1 } })
    t.ok(granted.every((g) => g.qos < 128), `the ACL lets the engine subscribe to ${filter}`)
  }
  const device = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: 'P-001', username: 'P-001', password: 'pw-1', reconnectPeriod: 0, connectTimeout: 5000 })
  clients.push(device)
  const publish = async (from: number, n: number) => {
    for (let i = from; i < from + n; i++) await device.publishAsync('fleet/P-001/position', String(i), { qos: 1 })
  }
  return { got, e2, publish, reconnect: () => connectEngine('engine-2') }
}

t.test('a $share group on Mosquitto holds a killed engine\'s share until it returns', { skip: SKIP }, async (t) => {
  const url = await startShippedBroker(t)
  const { got, e2, publish, reconnect } = await fleet(t, url, '$share/hexpatrol/fleet/+/position')
  await publish(0, 6)
  await until('six fixes', () => got['engine-1']!.length + got['engine-2']!.length >= 6)
  t.same([got['engine-1']!.length, got['engine-2']!.length], [3, 3], 'both alive: round-robin')
  got['engine-1'] = []
  got['engine-2'] = []
  e2.stream.destroy() // kill -9: the connection drops, the persistent session stays
  await settle()
  await publish(10, 6)
  await until('the survivor\'s half', () => got['engine-1']!.length >= 3)
  t.equal(got['engine-1']!.length, 3, 'engine-2 killed: the survivor still gets only its half')
  await reconnect()
  await until('engine-2\'s queued half', () => got['engine-2']!.length >= 3)
  t.equal(got['engine-2']!.length, 3, 'the other half waited for engine-2 to come back')
})

t.test('with plain subscriptions (docker/cluster/hexpatrol.yaml) the survivor gets every fix', { skip: SKIP }, async (t) => {
  const env: NodeJS.ProcessEnv = { HEXPATROL_MQTT_URL: 'mqtt://mosquitto:1883' }
  const configPath = join(docker, 'cluster', 'hexpatrol.yaml')
  for (const m of readFileSync(configPath, 'utf8').matchAll(/^[^#\n]*_env:\s*([A-Z][A-Z0-9_]*)/gm)) env[m[1]!] = 'a-test-secret-of-more-than-32-characters'
  const filter = loadConfig({ env, path: configPath }).config.mqtt.subscriptions.find((s) => s.format === 'native')!.topic
  t.equal(filter, 'fleet/+/position')
  const url = await startShippedBroker(t)
  const { got, e2, publish, reconnect } = await fleet(t, url, filter)
  await publish(0, 3)
  await until('three fixes at each engine', () => got['engine-1']!.length >= 3 && got['engine-2']!.length >= 3)
  t.same(got, { 'engine-1': ['0', '1', '2'], 'engine-2': ['0', '1', '2'] }, 'every engine gets every fix')
  e2.stream.destroy()
  await settle()
  await publish(10, 3)
  await until('the survivor to get them', () => got['engine-1']!.length >= 6)
  t.same(got['engine-1'], ['0', '1', '2', '10', '11', '12'], 'engine-2 killed: the survivor still gets every fix, at once')
  await reconnect()
  await until('engine-2 to catch up', () => got['engine-2']!.length >= 6)
  t.same(got['engine-2'], ['0', '1', '2', '10', '11', '12'], 'engine-2 catches up from its session (its appends are duplicates the stream drops)')
})
