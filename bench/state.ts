// Rule-state persistence and the MQTT edge with a large fleet: 100,000 units known to the rules,
// 1 % of them moving (one fix each per 5 s tick).
// Part 1, in-process: per tick, the synchronous cost the tick pays (takeDelta() + save(), which
// only queues), the time until the line is written (serialised in slices, written asynchronously)
// and the longest event-loop stall while it is; a compaction's worst stall; the old whole-snapshot
// cost for comparison.
// Part 2, a real engine over MQTT (embedded broker, QoS 1): the PUBACK latency of the moving units'
// fixes and the engine's event-loop delay while its rule ticks and saves run.
//   npx tsx bench/state.ts [units=100000] [ticks=20] [mqtt seconds=30]
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { latLngToCell } from 'h3-js'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { validateConfig } from '../src/config/load.js'
import { compileDeployment } from '../src/rules/deployment.js'
import { RuleEngine } from '../src/rules/engine.js'
import { Engine } from '../src/engine.js'
import type { Fix } from '../src/decode/fix.js'
import { RuleStateStore } from '../src/state/rule-state-store.js'
import { median, quantile, runPublisher, sleep, table } from './lib/measure.js'

const UNITS = Number(process.argv[2] ?? 100_000)
const TICKS = Number(process.argv[3] ?? 20)
const MQTT_SECONDS = Number(process.argv[4] ?? 30)
const MOVING = Math.max(1, Math.floor(UNITS / 100))
const T0 = Date.UTC(2025, 2, 1, 8, 0, 0)

/** Longest gap between event-loop turns while `work` runs (a 1 ms probe), ms. */
async function worstStall(work: () => Promise<void>): Promise<number> {
  let max = 0
  let last = performance.now()
  const probe = setInterval(() => {
    const n = performance.now()
    max = Math.max(max, n - last - 1)
    last = n
  }, 1)
  await work()
  clearInterval(probe)
  return Math.max(max, performance.now() - last - 1)
}

async function inProcess(): Promise<void> {
  const cfg = validateConfig({ rules: { max_unknown_units: UNITS } })
  const engine = new RuleEngine(compileDeployment(cfg), { startedAt: T0 })
  const fix = (i: number, ts: number): Fix => {
    const lat = 36.49 + (i % 1000) * 1e-4
    const lon = 117.86 + Math.floor(i / 1000) * 1e-4 + (ts - T0) * 1e-8
    return { unitId: `U-${i}`, ts, receivedAt: ts, lat, lon, h3: latLngToCell(lat, lon, 9), speed: null, heading: null, accuracy: 10, altitude: null, battery: null, seq: null, source: 'native', topic: '', flags: 0 }
  }
  for (let i = 0; i < UNITS; i++) engine.ingest(fix(i, T0), T0)
  const store = new RuleStateStore(join(mkdtempSync(join(tmpdir(), 'hexp-state-')), 'rules'))
  store.save(engine.takeDelta())
  await store.flush()

  const syncMs: number[] = []
  const writtenMs: number[] = []
  const stallMs: number[] = []
  const tickMs: number[] = []
  const bytes: number[] = []
  for (let k = 1; k <= TICKS; k++) {
    const now = T0 + k * 5000
    for (let j = 0; j < MOVING; j++) {
      const f = fix((k * MOVING + j) % UNITS, now)
      f.flags = engine.classify(f)
      engine.ingest(f, now)
    }
    const t = performance.now()
    engine.tick(now)
    tickMs.push(performance.now() - t)
    let d!: ReturnType<RuleEngine['takeDelta']>
    stallMs.push(await worstStall(async () => {
      const t0 = performance.now()
      d = engine.takeDelta()
      const written = store.save(d)
      syncMs.push(performance.now() - t0)
      await written
      writtenMs.push(performance.now() - t0)
    }))
    bytes.push(JSON.stringify(d).length)
  }
  await store.flush()
  const compaction = store as unknown as { compact(): Promise<void> }
  let compactS = 0
  const compactStall = await worstStall(async () => {
    const t1 = performance.now()
    await compaction.compact()
    compactS = (performance.now() - t1) / 1000
  })
  const full = performance.now()
  JSON.stringify(engine.snapshot())
  const fullMs = performance.now() - full
  console.log(table(`Rule-state persistence, ${UNITS.toLocaleString('en-US')} units, ${MOVING.toLocaleString('en-US')} moving per 5 s tick, ${TICKS} ticks (in-process)`, ['measure', 'median', 'p99 / worst'], [
    ['rule tick (releases, silence, coverage; not persistence), ms', median(tickMs), quantile(tickMs, 0.99)],
    ['persistence, synchronous part of the tick (takeDelta + save), ms', median(syncMs), quantile(syncMs, 0.99)],
    ['persistence, until the delta line is written (async, sliced), ms', median(writtenMs), quantile(writtenMs, 0.99)],
    ['persistence, longest event-loop stall while writing, ms', median(stallMs), Math.max(...stallMs)],
    ['per-tick delta, bytes', median(bytes), Math.max(...bytes)],
    ['compaction of the whole state: total s / longest stall ms', compactS, compactStall],
    ['old: whole snapshot JSON.stringify per tick, ms', fullMs, fullMs],
  ]))
}

/** PUBACK latency over MQTT with UNITS units known to a real engine and MOVING of them reporting every 5 s. */
async function overMqtt(): Promise<void> {
  const config = validateConfig({
    data_dir: mkdtempSync(join(tmpdir(), 'hexp-state-mqtt-')),
    broker: { port: 0 },
    rules: { max_unknown_units: UNITS },
  })
  const engine = new Engine({ config, logger: pino({ level: 'warn' }), http: false })
  await engine.start()
  const url = `mqtt://127.0.0.1:${engine.testHandle().source.broker!.port}`
  // Every unit reports once (from a separate publisher process), then the rules know UNITS units.
  const fill = await runPublisher(url, UNITS, { units: UNITS, inflight: 200 })
  const rules = engine.testHandle().rules!
  for (let i = 0; i < 600 && rules.units(Date.now()).length < UNITS * 0.99; i++) await sleep(100)
  const known = rules.units(Date.now()).length
  await sleep(6000) // one tick with the whole fleet dirty: the first large save

  const pub = mqtt.connect(url, { clientId: 'state-bench' })
  await new Promise<void>((resolve) => pub.once('connect', () => resolve()))
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const acks: number[] = []
  const interval = 5000 / MOVING
  const started = performance.now()
  const pending: Array<Promise<void>> = []
  for (let n = 0; performance.now() - started < MQTT_SECONDS * 1000; n++) {
    const due = started + n * interval
    const wait = due - performance.now()
    if (wait > 1) await sleep(wait)
    const i = n % MOVING
    const body = JSON.stringify({ ts: Date.now(), lat: 36.49 + (i % 100) * 1e-4, lon: 117.86 + n * 1e-7, accuracy: 8 })
    const t0 = performance.now()
    pending.push(pub.publishAsync(`fleet/U-${i}/position`, body, { qos: 1 }).then(() => { acks.push(performance.now() - t0) }))
  }
  await Promise.all(pending)
  loop.disable()
  await pub.endAsync()
  const rss = process.memoryUsage().rss / 1024 / 1024
  await engine.stop()
  console.log(table(`MQTT edge with ${known.toLocaleString('en-US')} units known to the rules (filled at ${Math.round(fill.rate).toLocaleString('en-US')} fixes/s), ${MOVING.toLocaleString('en-US')} reporting every 5 s, QoS 1, ${MQTT_SECONDS} s`, ['measure', 'value'], [
    ['PUBACKs measured', acks.length],
    ['PUBACK p50 ms', median(acks)],
    ['PUBACK p99 ms', quantile(acks, 0.99)],
    ['PUBACK max ms', Math.max(...acks)],
    ['event-loop delay p99 ms', loop.percentile(99) / 1e6],
    ['event-loop delay max ms', loop.max / 1e6],
    ['process RSS MB (engine + this publisher)', rss],
  ]))
}

if (process.env.BENCH_PART !== 'mqtt') await inProcess()
if (process.env.BENCH_PART !== 'store') await overMqtt()
