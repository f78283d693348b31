// SOS latency, issue 22: from a simulated JT/T 808 terminal writing the 0x0200 frame with alarm
// bit 0 (emergency) to the signed webhook arriving at a local receiver that verifies it
// (standardwebhooks), through the real engine (gateway → journal → rules → outbox → signed POST).
// One terminal per unit (an SOS opens once per unit). The breach latency to compare with is
// bench/alert-latency.ts (MQTT fix → signed webhook).
//   npx tsx bench/sos-latency.ts [units=200]
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { validateConfig } from '../src/config/load.js'
import { Engine } from '../src/engine.js'
import { startReceiver } from '../test/helpers/receiver.js'
import { generalAnswer, Terminal, TerminalConnection } from '../test/helpers/jt808-terminal.js'
import { median, quantile, sleep, table } from './lib/measure.js'

const UNITS = Number(process.argv[2] ?? 200)
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const POST = { lat: 22.5431, lon: 114.0579 }
const OUT = { lat: 22.5436, lon: 114.0579 }

const rx = await startReceiver(SECRET)
const units = Array.from({ length: UNITS }, (_, i) => ({ id: `car-${i}`, post: 'st', jt808: `0138${String(i).padStart(8, '0')}` }))
const config = validateConfig({
  data_dir: mkdtempSync(join(tmpdir(), 'hexp-sos-')),
  http: { port: 0, host: '127.0.0.1' },
  broker: { port: 0 },
  jt808: { port: 0 },
  units,
  posts: [{ id: 'st', ...POST, radius_m: 1500 }],
  webhooks: [{ id: 'rx', url: rx.url, secret: SECRET, events: ['unit_sos.opened'] }],
  delivery: { allow_private_networks: ['127.0.0.0/8'] },
})
const engine = new Engine({ config, logger: pino({ level: process.env.LOG ?? 'warn' }), http: false })
await engine.start()
const port = engine.testHandle().jt808!.port

/** When the webhook of `type` for `unit` arrived (performance clock), verified. */
const arrived = (type: string, unit: string) => {
  const r = rx.received.find((x) => x.type === type && (x.body.data as { unitId?: string }).unitId === unit)
  if (r !== undefined && !r.verified) throw new Error('a webhook failed signature verification')
  return r
}
// The receiver stamps Date.now(); frames are stamped on the same clock.
const sos: number[] = []
const start = Date.now() - 60_000
for (const u of units) {
  const term = new Terminal(u.jt808)
  const c = await TerminalConnection.open(port)
  c.send(term.register())
  const code = (await c.answer(1)).body.toString('latin1', 3)
  c.send(term.auth(code))
  if (generalAnswer(await c.answer(2)).result !== 0) throw new Error('authentication failed')
  c.send(term.location({ ts: start, ...POST }))
  await c.answer(3)
  await sleep(20)
  const t0 = Date.now()
  c.send(term.location({ ts: start + 5_000, ...OUT, alarm: 1 }))
  await waitFor(() => arrived('unit_sos.opened', u.id))
  sos.push(arrived('unit_sos.opened', u.id)!.at - t0)
  c.close()
}
await engine.stop()
await rx.close()

async function waitFor(fn: () => unknown): Promise<void> {
  const deadline = Date.now() + 10_000
  while (fn() === undefined) {
    if (Date.now() > deadline) throw new Error(`no webhook within 10 s (${rx.received.length} received so far)`)
    await sleep(1)
  }
}

const row = (name: string, xs: number[]) => [name, String(xs.length), median(xs), quantile(xs, 0.99), Math.max(...xs)]
console.log(table(`JT/T 808 frame → signed webhook latency (ms), real engine, one terminal per unit, ${UNITS} units (target p99 ≤ 150 ms)`,
  ['alert', 'events', 'p50 ms', 'p99 ms', 'max ms'], [row('unit_sos (alarm bit 0)', sos)]))
process.exit(0)
