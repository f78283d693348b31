// End-to-end ingest throughput: fixes/s from MQTT publish to rows committed in ClickHouse, with
// the embedded broker and with Mosquitto, beside the ceiling of a bare MQTT.js subscriber that only
// counts (acks on receipt) on the same broker with the same publisher. Rules on and off.
//   npx tsx bench/ingest.ts [fixes=100000] [runs=3]
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import mqtt from 'mqtt'
import { Aedes } from 'aedes'
import { pino } from 'pino'
import { validateConfig, loadConfig } from '../src/config/load.js'
import { Engine } from '../src/engine.js'
import { median, runPublisher, sleep, table } from './lib/measure.js'
import { mosquittoPath, startMosquitto, freePort } from '../test/helpers/mosquitto.js'
import { committedPositions } from '../test/helpers/clickhouse.js'

const FIXES = Number(process.argv[2] ?? 100_000)
const RUNS = Number(process.argv[3] ?? 3)

async function bareSubscriber(url: string, expected: number): Promise<{ done: Promise<number>; close(): Promise<void> }> {
  const client = mqtt.connect(url, { clientId: `bench-bare-${process.pid}-${Math.random()}`, clean: true })
  await new Promise<void>((r) => client.once('connect', () => r()))
  await client.subscribeAsync({ 'fleet/+/position': { qos: 1 } })
  let n = 0
  let t0 = 0
  const done = new Promise<number>((resolve) => {
    client.on('message', () => {
      if (n === 0) t0 = performance.now()
      if (++n === expected) resolve(expected / ((performance.now() - t0) / 1000))
    })
  })
  return { done, close: () => client.endAsync() }
}

async function bareAedes(): Promise<{ url: string; close(): Promise<void> }> {
  const aedes = await Aedes.createBroker()
  const server = createServer(aedes.handle)
  const port = await freePort()
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()))
  return { url: `mqtt://127.0.0.1:${port}`, close: async () => { await new Promise<void>((r) => aedes.close(() => r())); await new Promise<void>((r) => server.close(() => r())) } }
}

async function engineRun(mqttUrl: string | null, rules: boolean): Promise<{ rate: number; pubRate: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hexp-bench-'))
  const sample = loadConfig({ path: 'config/hexpatrol.yaml' }).config
  const raw: Record<string, unknown> = {
    data_dir: dir,
    log_level: 'warn',
    http: { port: 0, host: '127.0.0.1' },
    broker: { port: 0 },
    units: sample.units, posts: sample.posts, zones: sample.zones,
  }
  if (mqttUrl !== null) raw.mqtt = { url: mqttUrl, client_id: `bench-engine-${process.pid}-${Math.random().toString(36).slice(2)}` }
  const config = validateConfig(JSON.parse(JSON.stringify(raw)) as Record<string, unknown>)
  const engine = new Engine({ config, logger: pino({ level: 'warn' }), rules, http: false })
  await engine.start()
  const url = mqttUrl ?? `mqtt://127.0.0.1:${engine.testHandle().source.broker!.port}`
  if (mqttUrl !== null) while (engine.testHandle().source.subscriber?.subscribed !== true) await sleep(50)
  const committed = () => committedPositions(engine.metrics)
  const t0 = performance.now()
  const pub = await runPublisher(url, FIXES)
  while ((await committed()) < FIXES) await sleep(20)
  const seconds = (performance.now() - t0) / 1000
  await engine.stop()
  return { rate: FIXES / seconds, pubRate: pub.rate }
}

async function ceiling(url: string): Promise<number> {
  const bare = await bareSubscriber(url, FIXES)
  await runPublisher(url, FIXES)
  const rate = await bare.done
  await bare.close()
  return rate
}

const rows: Array<Array<string | number>> = []
async function measure(label: string, fn: () => Promise<number>): Promise<number> {
  const xs: number[] = []
  for (let i = 0; i < RUNS; i++) xs.push(await fn())
  const m = median(xs)
  rows.push([label, m, xs.map((x) => Math.round(x)).join(' / ')])
  return m
}

const results: Record<string, number> = {}
{
  const b = await bareAedes()
  results.aedesCeiling = await measure('embedded broker (aedes): bare subscriber, ack on receipt (ceiling)', () => ceiling(b.url))
  await b.close()
}
results.aedesRulesOff = await measure('embedded broker → journal → ClickHouse, rules off', async () => (await engineRun(null, false)).rate)
results.aedesRulesOn = await measure('embedded broker → journal → ClickHouse, sample rules on', async () => (await engineRun(null, true)).rate)
if (mosquittoPath() !== null) {
  const mosq = await startMosquitto()
  results.mosqCeiling = await measure('Mosquitto: bare subscriber, ack on receipt (ceiling)', () => ceiling(mosq.url))
  results.mosqRulesOff = await measure('Mosquitto → journal → ClickHouse, rules off', async () => (await engineRun(mosq.url, false)).rate)
  results.mosqRulesOn = await measure('Mosquitto → journal → ClickHouse, sample rules on', async () => (await engineRun(mosq.url, true)).rate)
  await mosq.stop()
} else {
  console.log('mosquitto not installed: Mosquitto rows skipped (apt-get install -y mosquitto)')
}
console.log(table(`End-to-end ingest, ${FIXES.toLocaleString('en-US')} single-fix QoS 1 messages, median of ${RUNS} runs (fixes/s, publish → committed in ClickHouse)`, ['path', 'median fixes/s', 'runs'], rows))
const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined ? (a / b).toFixed(2) : 'n/a')
console.log(`\nratios: embedded engine/ceiling ${ratio(results.aedesRulesOn, results.aedesCeiling)}, Mosquitto engine/ceiling ${ratio(results.mosqRulesOn, results.mosqCeiling)}, rules on/off (embedded) ${ratio(results.aedesRulesOn, results.aedesRulesOff)}, rules on/off (Mosquitto) ${ratio(results.mosqRulesOn, results.mosqRulesOff)}`)
process.exit(0)
