// End-to-end ingest throughput: fixes/s from MQTT publish to rows committed in ClickHouse, with
// the embedded broker and with Mosquitto, beside the ceiling of a bare MQTT.js subscriber that only
// counts (acks on receipt) on the same broker with the same publisher. Rules on and off.
//   npx tsx bench/ingest.ts [fixes=100000] [runs=3] [--only=mosquitto|embedded] [--profile] [--track=plausible|jumps]
// --track: the published stream (bench/lib/tracks.ts). plausible (default): 300 units registered
// in the engine's config (the sample's units, cloned), each on its own loop inside its post radius
// and zone, 5–10 s apart in fix time, so the rules take the path a real fleet takes; jumps: the
// stream of the figures before (unknown units, fixes 10 ms and ~3 km apart: nearly all flagged
// impossible_speed). The same stream feeds the ceiling and the engine. After the table, the rule
// outcomes of one rules-on run per row (fixes flagged, rejects, alert transitions) show which
// path the fixes took.
// Each run measures the ceiling and the engine back to back (interleaved), so load from other
// processes on the shared cores falls on both; ratios are of medians from the same invocation.
// Two engine rates: "acked" counts from the first to the last fix durable in the journal (what a
// device's PUBACK waits for: the bare subscriber's clock, first to last message received), and
// "committed" from the first fix journaled to the last row committed in ClickHouse (it includes
// the last segment's seal wait, journal.segment_max_age, and its insert).
// --profile: one more engine run per row with the CPU profiler on (not counted in the
// medians), printing the main thread's busy share and its top self-time functions.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import mqtt from 'mqtt'
import { Aedes } from 'aedes'
import { pino } from 'pino'
import { validateConfig, loadConfig } from '../src/config/load.js'
import { clientOptions } from '../src/ingest/mqtt-subscriber.js'
import { Engine } from '../src/engine.js'
import { median, runPublisher, sleep, table } from './lib/measure.js'
import { CpuProfiler, formatProfile, machineCpu, machineCpuPerItem, threadCpu, threadCpuDelta } from './lib/profile.js'
import { ruleOutcomes } from './lib/rule-outcomes.js'
import { runtimeLine } from './lib/runtime.js'
import { benchUnits, describeTrack, trackFromArgs, type Sample } from './lib/tracks.js'
import { mosquittoPath, startMosquitto, freePort } from '../test/helpers/mosquitto.js'
import { committedPositions } from '../test/helpers/clickhouse.js'

console.log(runtimeLine())

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'))
const FIXES = Number(positional[0] ?? 100_000)
const RUNS = Number(positional[1] ?? 3)
const ONLY = flags.find((f) => f.startsWith('--only='))?.slice(7)
const PROFILE = flags.includes('--profile')
const TRACK = trackFromArgs(flags)
/** Units the publisher reports as (its default). */
const UNITS = 300
const sample = loadConfig({ path: 'config/hexpatrol.yaml' }).config
/** What the publisher needs to report as the engine's units, along their posts and zones. */
const published = { units: sample.units, posts: sample.posts, zones: sample.zones } as unknown as Sample

/** CPU µs per fix: this process (all threads), the broker when it runs apart (Mosquitto), the publisher. */
interface Cpu { self: number; broker: number; publisher: number }
interface Rate { rate: number; cpu: Cpu }
interface EngineRate { acked: number; committed: number; cpu: Cpu }

function cpuMeter(): () => Cpu {
  const c0 = process.cpuUsage()
  const m0 = machineCpu()
  return () => {
    const c = process.cpuUsage(c0)
    const per = machineCpuPerItem(m0, machineCpu(), FIXES)
    return { self: (c.user + c.system) / FIXES, broker: per.mosquitto ?? 0, publisher: per['publisher (exited children)'] ?? 0 }
  }
}
const fmtCpu = (xs: Cpu[]) => `${median(xs.map((c) => c.self)).toFixed(1)} / ${median(xs.map((c) => c.broker)).toFixed(1)} / ${median(xs.map((c) => c.publisher)).toFixed(1)}`

async function bareSubscriber(url: string, expected: number, engineOptions: boolean): Promise<{ done: Promise<number>; close(): Promise<void> }> {
  const clientId = `bench-bare-${process.pid}-${Math.random().toString(36).slice(2)}`
  // The engine's own connection options (persistent session, MQTT 5 with session expiry), or MQTT.js defaults.
  const opts = engineOptions ? { ...clientOptions(validateConfig({ mqtt: { url, client_id: clientId } })), reconnectPeriod: 0 } : { clientId, clean: true }
  const client = mqtt.connect(url, opts)
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
  return {
    done,
    close: async () => {
      await client.endAsync()
      if (engineOptions) await endSession(url, clientId)
    },
  }
}

/**
 * Removes a persistent session from the broker: left there, it would queue every later run's
 * messages (Mosquitto keeps them, persists them, and slows down run after run).
 */
async function endSession(url: string, clientId: string): Promise<void> {
  const c = await mqtt.connectAsync(url, { clientId, clean: true, protocolVersion: 4, reconnectPeriod: 0 })
  await c.endAsync()
}

async function bareAedes(): Promise<{ url: string; close(): Promise<void> }> {
  const aedes = await Aedes.createBroker()
  const server = createServer(aedes.handle)
  const port = await freePort()
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()))
  return { url: `mqtt://127.0.0.1:${port}`, close: async () => { await new Promise<void>((r) => aedes.close(() => r())); await new Promise<void>((r) => server.close(() => r())) } }
}

async function engineRun(mqttUrl: string | null, rules: boolean, profile?: string): Promise<EngineRate> {
  const dir = mkdtempSync(join(tmpdir(), 'hexp-bench-'))
  const raw: Record<string, unknown> = {
    data_dir: dir,
    log_level: 'warn',
    http: { port: 0, host: '127.0.0.1' },
    broker: { port: 0 },
    // The plausible stream reports as these units; the old one as unknown units U-0… beside the sample's.
    units: TRACK === 'plausible' ? benchUnits(sample.units, UNITS) : sample.units, posts: sample.posts, zones: sample.zones,
  }
  const clientId = `bench-engine-${process.pid}-${Math.random().toString(36).slice(2)}`
  if (mqttUrl !== null) raw.mqtt = { url: mqttUrl, client_id: clientId }
  const config = validateConfig(JSON.parse(JSON.stringify(raw)) as Record<string, unknown>)
  const engine = new Engine({ config, logger: pino({ level: 'warn' }), rules, http: false })
  await engine.start()
  const h = engine.testHandle()
  const url = mqttUrl ?? `mqtt://127.0.0.1:${h.source.broker!.port}`
  if (mqttUrl !== null) while (h.source.subscriber?.subscribed !== true) await sleep(50)
  // The journal's append is where a fix becomes durable (and may be acknowledged): time the first
  // and the last appended position record (alert and tick records are not fixes).
  const journal = h.journal
  const append = journal.append.bind(journal)
  let positions = 0
  let firstAt = 0
  let lastAt = 0
  journal.append = (rec: Buffer) => {
    const ok = append(rec)
    if (ok && rec[0] === 0x70 && rec[1] === 0x09) {
      const t = performance.now()
      if (positions === 0) firstAt = t
      positions += count(rec)
      if (positions >= FIXES && lastAt === 0) lastAt = t
    }
    return ok
  }
  // Group commits (journal writes of held records) during the run, to print records per write.
  let groupWrites = 0
  if (typeof journal.flush === 'function') {
    const flush = journal.flush.bind(journal)
    journal.flush = () => {
      if (!journal.flushed) groupWrites++
      return flush()
    }
  }
  const profiler = profile === undefined ? null : new CpuProfiler()
  await profiler?.start()
  const threads0 = threadCpu()
  const proc0 = process.cpuUsage()
  const cpu = cpuMeter()
  void runPublisher(url, FIXES, { units: UNITS, track: TRACK, sample: published })
  while ((await committedPositions(engine.metrics)) < FIXES) await sleep(20)
  const committedAt = performance.now()
  const cpuUsed = cpu()
  if (profiler !== null) {
    console.log(formatProfile(profile!, await profiler.stop()))
    const byThread = threadCpuDelta(threads0, threadCpu())
    const p = process.cpuUsage(proc0)
    const totalMs = (p.user + p.system) / 1000
    const named = byThread.reduce((n, t) => n + t.ms, 0)
    console.log(`  group commit: ${groupWrites === 0 ? 'none (one write per record)' : `${(positions / groupWrites).toFixed(1)} position records per journal write`}`)
    console.log(`  process CPU by thread (µs per fix; ${Math.round(totalMs)} ms in all): ${[...byThread.slice(0, 8), { name: 'exited threads', ms: Math.max(0, totalMs - named) }].map((t) => `${t.name} ${((t.ms * 1000) / FIXES).toFixed(1)}`).join(', ')}`)
  }
  if (rules && outcomes.length < outcomesWanted) outcomes.push(`${currentRow}: ${await ruleOutcomes(engine, FIXES)}`)
  await engine.stop()
  if (mqttUrl !== null) await endSession(mqttUrl, clientId)
  return { acked: FIXES / ((lastAt - firstAt) / 1000), committed: FIXES / ((committedAt - firstAt) / 1000), cpu: cpuUsed }
}

/** Rule outcomes of the first rules-on run of each row (not timed): the path the fixes took. */
const outcomes: string[] = []
let outcomesWanted = 0
let currentRow = ''

/** Position rows in one record (one per line). */
function count(rec: Buffer): number {
  let n = 0
  for (let i = rec.indexOf(0x0a); i >= 0; i = rec.indexOf(0x0a, i + 1)) n++
  return n
}

async function ceiling(url: string, engineOptions = false): Promise<Rate> {
  const bare = await bareSubscriber(url, FIXES, engineOptions)
  const cpu = cpuMeter()
  await runPublisher(url, FIXES, { units: UNITS, track: TRACK, sample: published })
  const rate = await bare.done
  const cpuUsed = cpu()
  await bare.close()
  return { rate, cpu: cpuUsed }
}

const rows: Array<Array<string | number>> = []
const summary: string[] = []
const runsOf = (xs: number[]) => xs.map((x) => Math.round(x)).join(' / ')

/** RUNS rounds of ceiling, engine rules off, engine rules on, interleaved; one table row each. */
async function measureBroker(name: string, url: () => string | null, ceilingUrl: string): Promise<void> {
  const ceil: Rate[] = []
  const ceilEngineOpts: Rate[] = []
  const off: EngineRate[] = []
  const on: EngineRate[] = []
  // aedes speaks MQTT 3.1.1 only: the engine-options ceiling (MQTT 5) is for the external broker.
  const withEngineOpts = name === 'Mosquitto'
  outcomesWanted++
  currentRow = name
  for (let i = 0; i < RUNS; i++) {
    ceil.push(await ceiling(ceilingUrl))
    if (withEngineOpts) ceilEngineOpts.push(await ceiling(ceilingUrl, true))
    off.push(await engineRun(url(), false))
    on.push(await engineRun(url(), true))
  }
  const c = median(ceil.map((r) => r.rate))
  rows.push([`${name}: bare MQTT.js subscriber, ack on receipt (ceiling)`, c, '', '', fmtCpu(ceil.map((r) => r.cpu)), runsOf(ceil.map((r) => r.rate))])
  if (withEngineOpts) {
    const ce = median(ceilEngineOpts.map((r) => r.rate))
    rows.push([`${name}: the same with the engine's connection options (persistent session, MQTT 5)`, ce, '', (ce / c).toFixed(2), fmtCpu(ceilEngineOpts.map((r) => r.cpu)), runsOf(ceilEngineOpts.map((r) => r.rate))])
  }
  for (const [label, xs] of [['rules off', off], ['sample rules on', on]] as const) {
    const acked = median(xs.map((r) => r.acked))
    const committed = median(xs.map((r) => r.committed))
    rows.push([`${name} → journal → ClickHouse, ${label}`, acked, committed, `${(acked / c).toFixed(2)} / ${(committed / c).toFixed(2)}`, fmtCpu(xs.map((r) => r.cpu)), `${runsOf(xs.map((r) => r.acked))} (committed ${runsOf(xs.map((r) => r.committed))})`])
    summary.push(`${name}, ${label}: engine/ceiling ${(acked / c).toFixed(2)} acked, ${(committed / c).toFixed(2)} committed`)
  }
  if (PROFILE) {
    await engineRun(url(), false, `profile: ${name}, rules off (engine process main thread, one extra run)`)
    await engineRun(url(), true, `profile: ${name}, sample rules on (engine process main thread, one extra run)`)
  }
}

if (ONLY === undefined || ONLY === 'embedded') {
  const b = await bareAedes()
  await measureBroker('embedded broker (aedes)', () => null, b.url)
  await b.close()
}
if (ONLY === undefined || ONLY === 'mosquitto') {
  if (mosquittoPath() !== null) {
    const mosq = await startMosquitto()
    await measureBroker('Mosquitto', () => mosq.url, mosq.url)
    await mosq.stop()
  } else {
    console.log('mosquitto not installed: Mosquitto rows skipped (apt-get install -y mosquitto)')
  }
}
console.log(table(`End-to-end ingest, ${FIXES.toLocaleString('en-US')} single-fix QoS 1 messages, median of ${RUNS} runs (fixes/s; acked = first to last fix durable in the journal, committed = to the last row in ClickHouse)`,
  ['path', 'acked fixes/s', 'committed fixes/s', 'ratio to ceiling, acked / committed', 'CPU µs/fix: bench+engine process / Mosquitto / publisher', 'runs (acked)'], rows))
console.log(`\nratios (same run, medians): ${summary.join('; ')}`)
console.log(`${describeTrack(TRACK)}`)
for (const o of outcomes) console.log(`rule outcomes (one rules-on run): ${o}`)
process.exit(0)
