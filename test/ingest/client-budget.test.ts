// Issue 19 item 10 (MQTT): one client's burst must not slow every other device's PUBACK. The
// bucket logic with a fake clock, then the real embedded broker on its default limits: a 600 kB
// burst from P-001 is paced (its own acks wait), while P-002's acks stay fast.
import t from 'tap'
import mqtt from 'mqtt'
import { Registry } from 'prom-client'
import { validateConfig } from '../../src/config/load.js'
import { createBrokerAuth } from '../../src/ingest/broker-auth.js'
import { startEmbeddedBroker } from '../../src/ingest/embedded-broker.js'
import { ClientBudget } from '../../src/ingest/client-budget.js'
import { guardConnection } from '../../src/ingest/packet-guard.js'
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { captureLogger } from '../delivery/fixtures/alerts.js'

t.test('client budget: the longer wait of its byte and message buckets', async (t) => {
  const now = 0
  const c = new ClientBudget({ bytes: { perSecond: 1000, burst: 1000 }, messages: { perSecond: 10, burst: 2 } }, () => now)
  t.equal(c.spend(100, 2), 0)
  t.equal(c.spend(100, 1), 100, 'the message bucket decides: 1 message over at 10/s')
  t.equal(c.spend(3000, 0), 2200, 'the byte bucket decides: 2,200 bytes over at 1,000/s')
  t.equal(c.wait(), 2200)
  t.equal(new ClientBudget({ bytes: { perSecond: 1, burst: 1 }, messages: { perSecond: 1, burst: 1 } }).wait(), 0, 'real clock by default')
})

/** A socket stand-in that records pause/resume; `data` is emitted by the test. */
class FakeSocket extends EventEmitter {
  calls: string[] = []
  destroyed = false
  pause() { this.calls.push('pause'); return this }
  resume() { this.calls.push('resume'); return this }
  written: Buffer[] = []
  write(c: Buffer, cb: () => void) { this.written.push(c); cb(); return true }
  end() { this.calls.push('end'); return this }
  destroy() { this.destroyed = true; return this }
}

t.test('what aedes writes reaches the socket; aedes ending the stream ends the socket; nothing is written to a destroyed one', async (t) => {
  const sock = new FakeSocket()
  const conn = guardConnection(sock as unknown as Socket, { maxPacketBytes: 1000, maxConnectBytes: 100 }, () => t.fail('no violation'))
  conn.on('data', () => undefined)
  // A CONNACK refusing the client, then aedes closes its side (as it does after a refused CONNECT).
  await new Promise<void>((r) => conn.write(Buffer.from([0x20, 2, 0, 5]), () => r()))
  t.same(sock.written, [Buffer.from([0x20, 2, 0, 5])])
  await new Promise<void>((r) => conn.end(() => r()))
  t.equal(sock.calls.at(-1), 'end', 'the socket ended once the stream finished')
  const gone = new FakeSocket()
  const c2 = guardConnection(gone as unknown as Socket, { maxPacketBytes: 1000, maxConnectBytes: 100 }, () => undefined)
  gone.destroyed = true
  await new Promise<void>((r) => c2.write(Buffer.from([0xd0, 0]), () => r()))
  t.same(gone.written, [], 'a write after the socket is gone completes without writing')
  c2.destroy()
})

t.test('the guard stops reading while the budget is overdrawn, waits again if more was spent, resumes after', async (t) => {
  const sock = new FakeSocket()
  const waits = [20, 0]
  const spent: Array<[number, number]> = []
  const throttled: number[] = []
  const budget = { spend: (b: number, m: number) => { spent.push([b, m]); return 30 }, wait: () => waits.shift() ?? 0 } as unknown as ClientBudget
  const conn = guardConnection(sock as unknown as Socket, { maxPacketBytes: 1000, maxConnectBytes: 100 }, () => t.fail('no violation'), { budget, onThrottle: (ms) => throttled.push(ms) })
  conn.on('data', () => undefined)
  // A CONNECT then two PUBLISH headers in one chunk, then more data while the wait runs.
  sock.emit('data', Buffer.from([0x10, 0, 0x30, 0, 0x32, 0]))
  sock.emit('data', Buffer.from([0x30, 0]))
  t.same(spent, [[6, 2], [2, 1]], 'bytes and PUBLISH packets spent per chunk')
  t.same(throttled, [30], 'one wait at a time')
  t.equal(sock.calls.filter((c) => c === 'resume').length, 0, 'not resumed while overdrawn')
  await new Promise((r) => setTimeout(r, 35))
  t.equal(sock.calls.filter((c) => c === 'resume').length, 0, 'more was spent meanwhile: waits again')
  await new Promise((r) => setTimeout(r, 40))
  t.equal(sock.calls.at(-1), 'resume', 'resumed once the budget allows')
  // A wait still running when the connection is destroyed is cleared.
  sock.emit('data', Buffer.from([0x30, 0]))
  t.equal(sock.calls.at(-1), 'pause')
  const before = sock.calls.length
  conn.destroy()
  await new Promise((r) => setTimeout(r, 50))
  t.same(sock.calls.slice(before), [], 'no resume after destroy')
  t.ok(sock.destroyed)
  // Without an onThrottle hook, and without a budget: no pause at all.
  const quiet = new FakeSocket()
  const c2 = guardConnection(quiet as unknown as Socket, { maxPacketBytes: 1000, maxConnectBytes: 100 }, () => undefined, { budget })
  c2.on('data', () => undefined)
  quiet.emit('data', Buffer.from([0x10, 0]))
  t.same(quiet.calls, ['pause'])
  c2.destroy()
  const free = new FakeSocket()
  const c3 = guardConnection(free as unknown as Socket, { maxPacketBytes: 1000, maxConnectBytes: 100 }, () => undefined)
  c3.on('data', () => undefined)
  free.emit('data', Buffer.from([0x10, 0]))
  t.same(free.calls.filter((c) => c === 'pause'), [])
  c3.destroy()
})

async function client(port: number, opts: mqtt.IClientOptions) {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5000, ...opts })
  return new Promise<mqtt.MqttClient>((resolve, reject) => {
    c.once('connect', () => resolve(c))
    c.once('error', (e) => { c.end(true); reject(e) })
  })
}

t.test('issue 19 item 10: a 600 kB burst from one device is paced; another device\'s PUBACKs stay fast (default limits)', async (t) => {
  const config = validateConfig({ broker: { port: 0, users: [{ username: 'P-001', password: 'pw1' }, { username: 'P-002', password: 'pw2' }] } })
  const lim = config.broker.limits
  const registry = new Registry()
  const { logger, lines } = captureLogger()
  let bytes = 0
  const b = await startEmbeddedBroker(config, createBrokerAuth(config), (_topic, payload) => { bytes += payload.length }, logger, { registry })
  t.teardown(() => b.close())
  const offender = await client(b.port, { username: 'P-001', password: 'pw1', clientId: 'P-001' })
  const victim = await client(b.port, { username: 'P-002', password: 'pw2', clientId: 'P-002' })
  t.teardown(() => { offender.end(true); victim.end(true) })

  // 60 × 10 kB, all in flight at once (what a flooding client does).
  const chunk = JSON.stringify({ ts: Date.now(), lat: 36.49, lon: 117.86, pad: 'x'.repeat(10_000) })
  const t0 = Date.now()
  const burst = Promise.all(Array.from({ length: 60 }, () => offender.publishAsync('fleet/P-001/position', chunk, { qos: 1 }))).then(() => Date.now() - t0)
  const SMALL = '{"ts":1,"lat":36.49,"lon":117.86}'
  const acks: number[] = []
  const state = { done: false }
  void burst.then(() => { state.done = true })
  while (!state.done) {
    const s = Date.now()
    await victim.publishAsync('fleet/P-002/position', SMALL, { qos: 1 })
    acks.push(Date.now() - s)
    await new Promise((r) => setTimeout(r, 100))
  }
  const offenderMs = await burst
  const total = 60 * chunk.length
  // Bytes past the burst arrive at the configured rate: ~5 s on the defaults (generous lower bound).
  const expectedMs = ((total - lim.client_burst_bytes) / lim.client_bytes_per_second) * 1000
  const victimMax = Math.max(...acks)
  t.comment(`offender ${total} bytes in ${offenderMs} ms (paced: ≥ ${Math.round(expectedMs)} ms expected); victim ${acks.length} acks, max ${victimMax} ms`)
  t.ok(offenderMs >= expectedMs * 0.6, `the offender is paced (${offenderMs} ms)`)
  t.ok(acks.length >= 5, 'the victim published throughout')
  t.ok(victimMax < 1000, `the victim's PUBACKs stay fast (max ${victimMax} ms)`)
  t.ok(offenderMs > 4 * victimMax, 'the offender alone waits')
  t.equal(bytes, total + acks.length * SMALL.length, 'nothing is lost: every message was taken')
  const throttled = (await registry.getSingleMetric('hexpatrol_broker_throttled_total')!.get()).values[0]!.value
  t.ok(throttled >= 1, `throttled ${throttled} times`)
  t.ok(((await registry.getSingleMetric('hexpatrol_broker_throttled_seconds_total')!.get()).values[0]!.value) > 1)
  t.equal(lines.filter((l) => /over its publish budget/.test(String(l.msg))).length, 1, 'logged once per connection')
  t.match(lines.find((l) => /over its publish budget/.test(String(l.msg))), { username: 'P-001', clientId: 'P-001' })
})

t.test('anonymous loopback clients are not paced; 0 per second is unlimited', async (t) => {
  for (const broker of [{ port: 0 }, { port: 0, users: [{ username: 'P-001', password: 'pw1' }], limits: { client_bytes_per_second: 0, client_messages_per_second: 0 } }]) {
    const config = validateConfig({ broker })
    const registry = new Registry()
    const b = await startEmbeddedBroker(config, createBrokerAuth(config), () => undefined, captureLogger().logger, { registry })
    const c = await client(b.port, 'users' in broker ? { username: 'P-001', password: 'pw1' } : {})
    const chunk = 'x'.repeat(50_000)
    await Promise.all(Array.from({ length: 20 }, () => c.publishAsync('fleet/P-001/position', chunk, { qos: 1 })))
    t.equal((await registry.getSingleMetric('hexpatrol_broker_throttled_total')!.get()).values[0]?.value ?? 0, 0, JSON.stringify(broker))
    c.end(true)
    await b.close()
  }
})
