// The embedded broker with real MQTT clients: credentials, per-device ACLs, and the PUBACK held
// until the pipeline has the message.
import t from 'tap'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { validateConfig } from '../../src/config/load.js'
import { createBrokerAuth } from '../../src/ingest/broker-auth.js'
import { startEmbeddedBroker } from '../../src/ingest/embedded-broker.js'

const logger = pino({ level: 'silent' })
const config = validateConfig({ broker: { port: 0, allow_anonymous: false, users: [{ username: 'P-1', password: 'pw1' }, { username: 'P-2', password: 'pw2' }] } })

async function client(port: number, opts: mqtt.IClientOptions) {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 3000, ...opts })
  return new Promise<mqtt.MqttClient>((resolve, reject) => {
    c.once('connect', () => resolve(c))
    c.once('error', (e) => { c.end(true); reject(e) })
  })
}

t.test('credentials, ACLs and acks', async (t) => {
  const got: Array<[string, string]> = []
  let hold: (() => void) | null = null
  const broker = await startEmbeddedBroker(config, createBrokerAuth(config), (topic, payload) => {
    got.push([topic, payload.toString()])
    if (payload.toString() === 'slow') return new Promise<void>((r) => { hold = r })
    if (payload.toString() === 'boom') throw new Error('pipeline broke')
    if (payload.toString() === 'reject') return Promise.reject(new Error('no'))
    return undefined
  }, logger)
  t.teardown(() => broker.close())
  t.ok(broker.listening)
  t.ok(broker.port > 0)

  await t.rejects(client(broker.port, { username: 'P-1', password: 'wrong' }), /Bad username or password|Not authorized/i, 'wrong password refused')
  await t.rejects(client(broker.port, {}), /Bad username or password|Not authorized/i, 'anonymous refused when disabled')

  const p1 = await client(broker.port, { username: 'P-1', password: 'pw1', clientId: 'dev-1' })
  t.equal(broker.connectedClients(), 1)
  await p1.publishAsync('fleet/P-1/position', 'ok', { qos: 1 })
  t.same(got, [['fleet/P-1/position', 'ok']], 'own topic ingested before the PUBACK')

  // PUBACK waits for the pipeline.
  let acked = false
  const slow = p1.publishAsync('fleet/P-1/position', 'slow', { qos: 1 }).then(() => { acked = true })
  await new Promise((r) => setTimeout(r, 200))
  t.notOk(acked, 'no PUBACK while the pipeline holds the message')
  hold!()
  await slow
  t.ok(acked, 'PUBACK after the pipeline took it')

  // A terminal's own alerts reach it; subscribing to everything (or to all alerts: issue 19) is refused.
  const term = await client(broker.port, { username: 'P-2', password: 'pw2', clientId: 'term-2' })
  const granted = await term.subscribeAsync({ 'hexpatrol/devices/P-2/#': { qos: 1 } })
  t.same(granted.map((g) => [g.topic, g.qos]), [['hexpatrol/devices/P-2/#', 1]], 'its own alerts allowed')
  await t.rejects(term.subscribeAsync({ '#': { qos: 1 } }), /Subscribe error/, '# refused in the SUBACK')
  await t.rejects(term.subscribeAsync({ 'hexpatrol/alerts/#': { qos: 1 } }), /Subscribe error/, 'every unit\'s alerts refused')
  t.ok(term.connected, 'a refused subscription does not drop the terminal')
  const received = new Promise<string>((r) => term.once('message', (topic, payload) => r(`${topic} ${payload.toString()}`)))
  await broker.publish('hexpatrol/devices/P-2/alerts/unit_silent/unit:P-2', '{"x":1}', { qos: 1, retain: false })
  t.equal(await received, 'hexpatrol/devices/P-2/alerts/unit_silent/unit:P-2 {"x":1}')
  await term.endAsync()

  // Topics outside the subscriptions pass through without ingestion.
  const before = got.length
  const p1b = await client(broker.port, { username: 'P-1', password: 'pw1', clientId: 'dev-1b' })
  await p1b.endAsync()

  // Reporting as another unit: the device is disconnected and nothing is ingested.
  const closed = new Promise<void>((r) => p1.once('close', () => r()))
  p1.publish('fleet/P-2/position', 'spoof', { qos: 1 })
  await closed
  t.equal(got.length, before, 'spoofed message not ingested')
  p1.end(true)

  // A pipeline failure is never acked: the device is disconnected and can resend.
  for (const bad of ['boom', 'reject']) {
    const d = await client(broker.port, { username: 'P-2', password: 'pw2', clientId: `dev-${bad}` })
    const c = new Promise<void>((r) => d.once('close', () => r()))
    let acked = false
    d.publish('fleet/P-2/position', bad, { qos: 1 }, (err) => { if (!err) acked = true })
    await c
    t.notOk(acked, `${bad}: the device is disconnected, the message not acknowledged`)
    d.end(true)
  }
})

t.test('anonymous devices on loopback and topics outside the subscriptions', async (t) => {
  const cfg = validateConfig({ broker: { port: 0 } })
  const got: string[] = []
  const broker = await startEmbeddedBroker(cfg, createBrokerAuth(cfg), (topic) => { got.push(topic) }, logger)
  const c = await client(broker.port, { clientId: 'anon' })
  await c.publishAsync('owntracks/alice/phone', '{}', { qos: 1 })
  t.same(got, ['owntracks/alice/phone'])
  await c.endAsync()
  await broker.close()
  await broker.close()
  t.notOk(broker.listening)
})
