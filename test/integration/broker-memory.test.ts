// Issue 9, rows 1–3 (memory): attacks on the embedded broker measured from outside, on the real
// engine in a child process: its RSS (/proc/<pid>/status) must stay within MAX_GROWTH_MB of what it
// was before the attack. On the code before the packet guard the same attack grew it by ~1–2.3 GB.
import t from 'tap'
import { readFileSync } from 'node:fs'
import mqttPacket from 'mqtt-packet'
import { engineProcess } from '../helpers/engine-process.js'
import { freePort } from '../helpers/mosquitto.js'
import { tempDir } from '../helpers/harness.js'
import { streamUntilClosed, varint } from '../helpers/raw-mqtt.js'

/** The stated bound: what the whole attack may add to the engine's resident memory. */
const MAX_GROWTH_MB = 150
const MB = 1024 * 1024

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? Number.NaN : Number(m[1]) / 1024
}


/** Opens a raw connection, writes `first`, then streams up to `budget` bytes until the engine closes it. */
const attack = (port: number, first: Buffer, budget: number) => streamUntilClosed(port, first, budget, { chunkBytes: 256 * 1024, timeoutMs: 20_000 })

const connect = (user: string, pw: string) =>
  mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `atk-${Math.random().toString(36).slice(2)}`, keepalive: 60, username: user, password: Buffer.from(pw) })

/** A PUBLISH header (QoS 1, optionally retained) announcing `length` bytes for the topic. */
function publishHeader(topic: string, length: number, retain: boolean): Buffer {
  const t = Buffer.from(topic)
  return Buffer.from([0x32 | (retain ? 1 : 0), ...varint(length), t.length >> 8, t.length & 0xff, ...t, 0, 1])
}

t.test('huge CONNECTs, PUBLISHes and retained messages leave the engine RSS within the bound', { timeout: 60_000 }, async (t) => {
  const brokerPort = await freePort()
  const dir = tempDir('hexp-brkmem-')
  const engine = await engineProcess(dir, {
    broker: { host: '127.0.0.1', port: brokerPort, users: [{ username: 'P-001', password: 'pw-001' }] },
    journal: { fsync: 'never' },
  })
  t.teardown(() => engine.kill9())
  await engine.start()
  const pid = engine.child!.pid!
  const before = rssMb(pid)
  let peak = before
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid))
  }, 25)

  const attacks: Array<Promise<number>> = []
  // Row 1: 4 raw sockets announce a 250 MB CONNECT and stream it, never authenticating.
  for (let i = 0; i < 4; i++) attacks.push(attack(brokerPort, Buffer.from([0x10, ...varint(250 * MB)]), 250 * MB))
  // Row 2: 8 logged-in clients each publish 200 MB.
  for (let i = 0; i < 8; i++) attacks.push(attack(brokerPort, Buffer.concat([connect('P-001', 'pw-001'), publishHeader('fleet/P-001/position', 200 * MB, false)]), 200 * MB))
  // Row 3: 10 retained 50 MB messages to r0…r9.
  for (let i = 0; i < 10; i++) attacks.push(attack(brokerPort, Buffer.concat([connect('P-001', 'pw-001'), publishHeader(`owntracks/P-001/r${i}`, 50 * MB, true)]), 50 * MB))
  const sent = await Promise.all(attacks)
  await new Promise((r) => setTimeout(r, 300))
  clearInterval(sampler)
  peak = Math.max(peak, rssMb(pid))
  const offered = sent.reduce((a, b) => a + b, 0) / MB
  t.comment(`RSS before ${before.toFixed(0)} MB, peak ${peak.toFixed(0)} MB; the attackers got ${offered.toFixed(0)} MB onto the wire before being cut off (announced 2,100 MB)`)
  t.ok(peak - before < MAX_GROWTH_MB, `RSS grew ${(peak - before).toFixed(0)} MB (bound ${MAX_GROWTH_MB} MB)`)
  t.ok(offered < 1000, 'every connection was closed long before its announced size')
  t.equal(await engine.metric('hexpatrol_broker_refused_total'), 22, 'each of the 22 connections refused on its header')
  t.equal((await engine.readyz())?.status, 200, 'the engine still serves')
})
