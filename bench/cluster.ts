// Cluster mode's figures on this machine: 1, 2 and 3 engines (child processes, as operators run
// them) against one nats-server (JetStream R1) and one Mosquitto, all on the same cores.
//  - Throughput: a fixed number of single-fix QoS 1 messages for many units, published as fast as
//    Mosquitto acknowledges; measured from the first publish until the stream holds them all and
//    every engine has applied the whole log (its /readyz lag at 0). Run with
//    cluster.shared_subscription false (the default: every engine takes every fix, JetStream's
//    dedup keeps one) and true (each fix reaches one engine). Beside it the machine's ceilings: a
//    bare MQTT.js subscriber on the same Mosquitto that only counts, and bare JetStream appends.
//  - CPU per 1,000 fixes of each process (/proc/<pid>/stat utime+stime): on two cores the absolute
//    rate cannot grow with the engine count; what each engine costs, and where the rest goes, can.
//  - JetStream publish p50/p99 from each engine's hexpatrol_jetstream_publish_seconds histogram
//    (bucket upper bounds, so "≤").
//  - Takeover after kill -9 with three engines, cluster.takeover at its default (10 s) and short
//    (3 s): the engine owning the most partitions is killed, and the time until the survivors own
//    every partition (their /readyz cluster detail) is one sample; it is started again and the
//    partitions rebalanced before the next sample.
// Medians of one run, no timed assertions: the machine is shared.
//  - profile (a part of its own): one engine, shared_subscription false, run with node --cpu-prof
//    and stopped gracefully so V8 writes the profile; where its CPU went (start-up included, so
//    give it enough fixes to dominate).
//   npx tsx bench/cluster.ts [fixes=10000] [units=2000] [kills=5] [partitions=16] [parts=throughput,takeover|profile] [--track=plausible|jumps]
// --track: the published stream (bench/lib/tracks.ts), the same for the ceiling and the engines.
// plausible (default): `units` units cloned from the sample deployment (config/hexpatrol.yaml),
// registered with its posts and zones in every engine's config file, each on a loop inside its
// post radius and zone, 5–10 s apart in fix time, so the rules take the path a real fleet takes;
// jumps: the stream of the figures recorded up to 2026-12-06 (engines without units, posts or
// zones; unknown units U-0…, fixes 10 ms and ~3 km apart: nearly all flagged impossible_speed).
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import os from 'node:os'
import mqtt from 'mqtt'
import { JetStreamLog } from '../src/log/jetstream-log.js'
import type { FixLog } from '../src/log/log.js'
import { engineProcess, type EngineProcess } from '../test/helpers/engine-process.js'
import { freePort, mosquittoPath } from '../test/helpers/mosquitto.js'
import { natsServerPath } from '../test/helpers/nats.js'
import { tempDir } from '../test/helpers/harness.js'
import { fmt, median, runPublisher, sleep, table, type PublishOptions } from './lib/measure.js'
import { readProfile, summarizeProfile } from './lib/cpu-profile.js'
import { benchUnits, describeTrack, trackFromArgs, type Sample } from './lib/tracks.js'
import { loadConfig } from '../src/config/load.js'
import { readdirSync } from 'node:fs'
import { runtimeLine } from './lib/runtime.js'

console.log(runtimeLine())

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const FIXES = Number(positional[0] ?? 10_000)
const UNITS = Number(positional[1] ?? 2000)
const KILLS = Number(positional[2] ?? 5)
const PARTITIONS = Number(positional[3] ?? 16)
/** Which parts to run (comma-separated): ceilings are always measured first. */
const PARTS = new Set((positional[4] ?? 'throughput,takeover').split(','))
const TRACK = trackFromArgs(process.argv.slice(2).filter((a) => a.startsWith('--')))
const sample = loadConfig({ path: 'config/hexpatrol.yaml' }).config
/** The deployment the plausible stream reports against; every engine registers the same (deployment()). */
const published = { units: sample.units, posts: sample.posts, zones: sample.zones } as unknown as Sample
/** What the ceiling's and the engines' publisher sends. */
const PUBLISH: PublishOptions = { units: UNITS, track: TRACK, sample: published }
/**
 * The units, posts and zones of every engine's config file: the plausible stream's units (the
 * sample's, cloned up to UNITS) with the sample's posts and zones, so each engine knows every unit
 * whichever partitions it owns; none for the old stream, as its figures were measured.
 */
function deployment(): Record<string, unknown> {
  if (TRACK === 'jumps') return {}
  return JSON.parse(JSON.stringify({ units: benchUnits(sample.units, UNITS), posts: sample.posts, zones: sample.zones })) as Record<string, unknown>
}
const TICK_HZ = 100 // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux
const DRAIN_LIMIT_MS = 300_000

interface Proc { pid: number; stop(): Promise<void> }
/** Every child started here, SIGKILLed if the benchmark exits with them still running. */
const pidsAlive = new Set<number>()
process.on('exit', () => {
  for (const pid of pidsAlive) try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
})

/** CPU seconds (user + system) a process has used, 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICK_HZ
  } catch {
    return 0
  }
}

function launch(bin: string, args: string[]): { child: ChildProcess; stop(): Promise<void> } {
  // nats-server logs its banner on stderr: dropped (a failed start shows as a health time-out).
  const child = spawn(bin, args, { stdio: 'ignore' })
  pidsAlive.add(child.pid!)
  return {
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      await new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM') })
      pidsAlive.delete(child.pid!)
    },
  }
}

async function until(what: string, cond: () => Promise<boolean> | boolean, ms: number, every = 100): Promise<number> {
  const t0 = Date.now()
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(every)
  }
  return Date.now() - t0
}

/** nats-server with JetStream on free loopback ports, a fresh store; `messages()` from its monitor. */
async function startNats(): Promise<Proc & { url: string; messages(): Promise<number> }> {
  const bin = natsServerPath()
  if (bin === null) throw new Error('nats-server is not installed (apt-get install -y nats-server)')
  const port = await freePort()
  const monitor = await freePort()
  const p = launch(bin, ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-js', '-sd', tempDir('hexp-bench-nats-')])
  const mon = `http://127.0.0.1:${monitor}`
  await until('nats-server healthy', () => fetch(`${mon}/healthz`).then((r) => r.ok, () => false), 30_000, 50)
  return {
    pid: p.child.pid!,
    url: `nats://127.0.0.1:${port}`,
    stop: p.stop,
    async messages() {
      const j = (await (await fetch(`${mon}/jsz?streams=true`)).json()) as { account_details?: Array<{ stream_detail?: Array<{ state?: { messages?: number } }> }> }
      let n = 0
      for (const a of j.account_details ?? []) for (const s of a.stream_detail ?? []) n += s.state?.messages ?? 0
      return n
    },
  }
}

/** Mosquitto as in test/helpers/mosquitto.ts (persistence, no queue limit), with its pid. */
async function startMosquitto(): Promise<Proc & { url: string }> {
  const bin = mosquittoPath()
  if (bin === null) throw new Error('mosquitto is not installed (apt-get install -y mosquitto)')
  const dir = tempDir('hexp-bench-mosq-')
  chmodSync(dir, 0o777)
  const port = await freePort()
  const conf = join(dir, 'mosquitto.conf')
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`, 'autosave_interval 1', 'max_queued_messages 0', 'max_inflight_messages 100', 'log_type error', ''].join('\n'))
  const p = launch(bin, ['-c', conf])
  const url = `mqtt://127.0.0.1:${port}`
  await until('mosquitto listening', async () => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 1000 })
    const ok = await new Promise<boolean>((r) => { c.once('connect', () => r(true)); c.once('error', () => r(false)); c.once('close', () => r(false)) })
    c.end(true)
    return ok
  }, 30_000, 100)
  return { pid: p.child.pid!, url, stop: p.stop }
}

/** The partitions an engine says it owns on /readyz (null when it does not answer). */
async function owned(e: EngineProcess): Promise<number[] | null> {
  const r = await e.readyz()
  const c = (r?.body.components as Record<string, { detail?: string }> | undefined)?.cluster
  const m = /\[([\d,]*)\]/.exec(c?.detail ?? '')
  return m === null ? null : m[1] === '' ? [] : m[1]!.split(',').map(Number)
}

/** Records the engine has not applied yet (from the /readyz cluster detail); null if unknown. */
async function lag(e: EngineProcess): Promise<number | null> {
  const r = await e.readyz()
  const c = (r?.body.components as Record<string, { detail?: string }> | undefined)?.cluster
  const m = /(\d+) record\(s\) behind/.exec(c?.detail ?? '')
  return m === null ? null : Number(m[1])
}

async function ownership(engines: EngineProcess[]): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>()
  const all = await Promise.all(engines.map((e) => owned(e)))
  for (const [i, o] of all.entries()) if (o !== null) for (const p of o) out.set(p, [...(out.get(p) ?? []), i])
  return out
}

const allOwnedOnce = (m: Map<number, number[]>): boolean => m.size === PARTITIONS && [...m.values()].every((v) => v.length === 1)
const balanced = async (engines: EngineProcess[]): Promise<boolean> => {
  const m = await ownership(engines)
  return allOwnedOnce(m) && new Set([...m.values()].flat()).size === engines.length
}

/** The histogram's cumulative buckets summed over this engine's labels: le → count. */
async function buckets(e: EngineProcess, name: string): Promise<Map<number, number>> {
  const out = new Map<number, number>()
  try {
    const body = await (await fetch(`${e.httpUrl}/metrics`)).text()
    for (const line of body.split('\n')) {
      if (!line.startsWith(`${name}_bucket{`)) continue
      const le = /le="([^"]+)"/.exec(line)?.[1]
      if (le === undefined) continue
      const k = le === '+Inf' ? Infinity : Number(le)
      out.set(k, (out.get(k) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)))
    }
  } catch { /* unreachable: empty */ }
  return out
}

/** The q-quantile's bucket upper bound of the observations between two cumulative snapshots. */
function bucketQuantile(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const les = [...after.keys()].sort((a, b) => a - b)
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0)
  if (total <= 0) return Number.NaN
  for (const le of les) if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= q * total) return le
  return Infinity
}

interface Cluster { nats: Awaited<ReturnType<typeof startNats>>; mosq: Awaited<ReturnType<typeof startMosquitto>>; engines: EngineProcess[] }

async function startCluster(n: number, opts: { shared: boolean; takeover: string; nodeArgs?: string[] }): Promise<Cluster> {
  const nats = await startNats()
  const mosq = await startMosquitto()
  const config = {
    ...deployment(),
    mqtt: { url: mosq.url, client_id: 'hexp-bench' },
    journal: { fsync: 'never' },
    cluster: { partitions: PARTITIONS, takeover: opts.takeover, shared_subscription: opts.shared },
  }
  const engines: EngineProcess[] = []
  for (let i = 1; i <= n; i++) engines.push(await engineProcess(tempDir(`hexp-bench-cluster-${i}-`), config, { HEXPATROL_CLUSTER_URL: nats.url, HEXPATROL_NODE_ID: `engine-${i}` }, opts.nodeArgs))
  await Promise.all(engines.map((e) => e.start()))
  for (const e of engines) pidsAlive.add(e.child!.pid!)
  await until(`${n} engine(s) sharing the ${PARTITIONS} partitions`, () => balanced(engines), 120_000, 250)
  return { nats, mosq, engines }
}

async function stopCluster(c: Cluster, graceful = false): Promise<void> {
  await Promise.all(c.engines.map((e) => (graceful ? e.stop() : e.kill9())))
  await c.mosq.stop()
  await c.nats.stop()
}

/** Bare Mosquitto subscriber that only counts (acks on receipt): fixes/s for the same publisher. */
async function mqttCeiling(): Promise<number> {
  const mosq = await startMosquitto()
  try {
    const client = mqtt.connect(mosq.url, { clientId: `bench-bare-${process.pid}`, clean: true })
    await new Promise<void>((r) => client.once('connect', () => r()))
    await client.subscribeAsync({ 'fleet/+/position': { qos: 1 } })
    let n = 0
    const t0 = performance.now()
    const done = new Promise<number>((resolve) => client.on('message', () => { if (++n === FIXES) resolve(FIXES / ((performance.now() - t0) / 1000)) }))
    await runPublisher(mosq.url, FIXES, PUBLISH)
    const rate = await done
    await client.endAsync()
    return rate
  } finally {
    await mosq.stop()
  }
}

/**
 * Bare JetStream appends of FIXES 200-byte records (bench/log-append.ts): batches of 16, 8 in
 * flight (the ceiling), and one record at a time, each waiting for the previous ack (what an
 * engine's ingest does today: each MQTT message is appended after the previous one's ack).
 */
async function jetstreamCeiling(batch: number, inflight: number): Promise<number> {
  const nats = await startNats()
  let log: FixLog | null = null
  try {
    log = await JetStreamLog.open({ servers: [nats.url], partitions: PARTITIONS, replicas: 1 })
    const data = new Uint8Array(200).fill(0x61)
    let next = 0
    const t0 = performance.now()
    await Promise.all(Array.from({ length: inflight }, async () => {
      while (next < FIXES) {
        const i = next
        next += batch
        await log!.append(i % PARTITIONS, Array.from({ length: Math.min(batch, FIXES - i) }, (_, k) => ({ id: `c-${i + k}`, data })))
      }
    }))
    return FIXES / ((performance.now() - t0) / 1000)
  } finally {
    await log?.close()
    await nats.stop()
  }
}

interface Throughput { rate: number; logRate: number; inserts: number; rowsInserted: number; pubRate: number; engineCpu: number[]; natsCpu: number; mosqCpu: number; p50: number; p99: number }

async function throughput(n: number, shared: boolean, profileDir?: string): Promise<Throughput> {
  const nodeArgs = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]
  const c = await startCluster(n, { shared, takeover: '10s', nodeArgs })
  try {
    const pids = c.engines.map((e) => e.child!.pid!)
    const cpu0 = pids.map(cpuSeconds)
    const nats0 = cpuSeconds(c.nats.pid)
    const mosq0 = cpuSeconds(c.mosq.pid)
    const h0 = await Promise.all(c.engines.map((e) => buckets(e, 'hexpatrol_jetstream_publish_seconds')))
    const sinkCounters = async () => {
      const each = await Promise.all(c.engines.map(async (e) => [await e.metric('hexpatrol_sink_batch_rows_count'), await e.metric('hexpatrol_sink_batch_rows_sum')] as const))
      return each.reduce((a, b) => [a[0] + b[0], a[1] + b[1]] as const, [0, 0] as const)
    }
    const sink0 = await sinkCounters()
    const m0 = await c.nats.messages()
    const t0 = performance.now()
    const pub = await runPublisher(c.mosq.url, FIXES, PUBLISH)
    // Two instants: the stream holds every fix (ingest: MQTT → decode → JetStream publish ack),
    // then every engine has applied the log to its end (replication). Progress every 10 s.
    let logged = 0
    let said = performance.now()
    await until('the stream holding every fix and every engine applying it', async () => {
      const inStream = (await c.nats.messages()) - m0
      if (inStream >= FIXES && logged === 0) logged = performance.now()
      const lags = await Promise.all(c.engines.map(lag))
      if (performance.now() - said > 10_000) {
        said = performance.now()
        process.stdout.write(`    ${Math.round((said - t0) / 1000)} s: ${inStream} of ${FIXES} fixes in the stream, engines behind the log by ${lags.join(' / ')} records\n`)
      }
      return logged !== 0 && lags.every((l) => l === 0)
    }, DRAIN_LIMIT_MS, 100)
    const seconds = (performance.now() - t0) / 1000
    // The owners' partition workers insert in the background: give the last batches a moment.
    await sleep(2000)
    const sink1 = await sinkCounters()
    const engineCpu = pids.map((p, i) => cpuSeconds(p) - cpu0[i]!)
    const h1 = await Promise.all(c.engines.map((e) => buckets(e, 'hexpatrol_jetstream_publish_seconds')))
    // Pooled over the engines: the sum of their histograms.
    const pool = (hs: Array<Map<number, number>>) => {
      const out = new Map<number, number>()
      for (const h of hs) for (const [k, v] of h) out.set(k, (out.get(k) ?? 0) + v)
      return out
    }
    return {
      rate: FIXES / seconds,
      logRate: FIXES / ((logged - t0) / 1000),
      pubRate: pub.rate,
      engineCpu,
      natsCpu: cpuSeconds(c.nats.pid) - nats0,
      mosqCpu: cpuSeconds(c.mosq.pid) - mosq0,
      inserts: sink1[0] - sink0[0],
      rowsInserted: sink1[1] - sink0[1],
      p50: bucketQuantile(pool(h0), pool(h1), 0.5),
      p99: bucketQuantile(pool(h0), pool(h1), 0.99),
    }
  } finally {
    await stopCluster(c, profileDir !== undefined)
  }
}

/** One engine under --cpu-prof: its busy time by area and the functions that spent most of it. */
async function profileOne(): Promise<void> {
  const dir = tempDir('hexp-bench-cluster-prof-')
  const r = await throughput(1, false, dir)
  console.log(`profile run: ${fmt(r.logRate)} fixes/s into JetStream, engine CPU ${((r.engineCpu[0] ?? 0) / FIXES * 1e6).toFixed(0)} µs per fix`)
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
  if (files.length === 0) {
    console.log('no CPU profile written (the engine did not exit gracefully)')
    return
  }
  const sum = summarizeProfile(readProfile(join(dir, files[0]!)), 25)
  console.log(`engine main thread: ${fmt(sum.busyMs)} ms busy of ${fmt(sum.totalMs)} ms (start-up included)`)
  console.log(table('by area (share of busy time)', ['area', 'share'], sum.areas.slice(0, 15).map((a) => [a.area, `${(a.share * 100).toFixed(1)} %`])))
  console.log(table('by function (self time)', ['function', 'share'], sum.functions.map((f) => [f.fn, `${(f.share * 100).toFixed(1)} %`])))
}

/** kill -9 of the engine owning the most partitions → the survivors own every partition (ms). */
async function takeover(takeoverSetting: string): Promise<number[]> {
  const c = await startCluster(3, { shared: false, takeover: takeoverSetting })
  const samples: number[] = []
  try {
    for (let k = 0; k < KILLS; k++) {
      const own = await ownership(c.engines)
      const load = c.engines.map((_, i) => [...own.values()].filter((v) => v.includes(i)).length)
      const victim = load.indexOf(Math.max(...load))
      const killedAt = Date.now()
      await c.engines[victim]!.kill9()
      const survivors = c.engines.filter((_, i) => i !== victim)
      await until('the survivors owning every partition', async () => allOwnedOnce(await ownership(survivors)), 120_000, 50)
      samples.push(Date.now() - killedAt)
      process.stdout.write(`  takeover ${takeoverSetting} #${k + 1}: engine-${victim + 1} (${load[victim]} partitions) killed, survivors own all ${PARTITIONS} after ${samples[samples.length - 1]} ms\n`)
      await c.engines[victim]!.start()
      pidsAlive.add(c.engines[victim]!.child!.pid!)
      await until('the three engines sharing the partitions again', () => balanced(c.engines), 120_000, 250)
    }
  } finally {
    await stopCluster(c)
  }
  return samples
}

async function main(): Promise<void> {
  const began = Date.now()
  console.log(`${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${FIXES.toLocaleString('en-US')} fixes over ${UNITS.toLocaleString('en-US')} units per run, ${PARTITIONS} partitions, ${KILLS} kills per takeover setting`)
  console.log(describeTrack(TRACK))
  const mqttCeil = await mqttCeiling()
  const jsCeil = await jetstreamCeiling(16, 8)
  const jsSerial = await jetstreamCeiling(1, 1)
  console.log(`ceilings: bare Mosquitto subscriber ${fmt(mqttCeil)} fixes/s, bare JetStream append (16 × 8 in flight) ${fmt(jsCeil)} records/s; one record at a time after the previous ack (the engine's ingest path) ${fmt(jsSerial)} records/s`)
  if (PARTS.has('profile')) await profileOne()
  if (!PARTS.has('throughput') && !PARTS.has('takeover')) return
  const rows: Array<Array<string | number>> = []
  for (const shared of PARTS.has('throughput') ? [false, true] : []) {
    for (const n of [1, 2, 3]) {
      const r = await throughput(n, shared)
      const per1k = (s: number) => (s / FIXES) * 1000
      const eng = r.engineCpu.map(per1k)
      const row = [
        shared ? 'true (one engine per fix)' : 'false (every engine, dedup)', n, r.logRate, r.rate, r.pubRate, Math.min(mqttCeil, jsCeil),
        eng.map((x) => x.toFixed(3)).join(' / '), per1k(r.engineCpu.reduce((a, b) => a + b, 0)), per1k(r.natsCpu), per1k(r.mosqCpu),
        `≤ ${r.p50 * 1000} / ≤ ${r.p99 * 1000}`, `${fmt(r.inserts)} (${fmt(r.rowsInserted / Math.max(1, r.inserts))})`,
      ]
      rows.push(row)
      console.log(`  ${row.map((c) => (typeof c === 'number' ? fmt(c) : c)).join(' | ')}`)
    }
  }
  console.log(table(`Cluster throughput: ${FIXES.toLocaleString('en-US')} QoS 1 fixes (${UNITS.toLocaleString('en-US')} units) published to Mosquitto → in JetStream (R1) → applied by every engine (lag 0), one run each`,
    ['shared_subscription', 'engines', 'fixes/s into JetStream', 'fixes/s end to end (applied by all)', 'publisher fixes/s', 'ceiling fixes/s (min of bare MQTT, bare JetStream)', 'CPU s / 1k fixes, each engine', 'all engines', 'nats-server', 'mosquitto', 'JetStream publish p50 / p99 ms', 'ClickHouse inserts, all owners (rows each)'], rows))
  const trows: Array<Array<string | number>> = []
  for (const setting of PARTS.has('takeover') ? ['10s', '3s'] : []) {
    const xs = await takeover(setting)
    trows.push([setting, xs.length, median(xs), Math.max(...xs), xs.join(' / ')])
  }
  console.log(table('Takeover after kill -9 (3 engines, the engine owning the most partitions killed; until the survivors own every partition)', ['cluster.takeover', 'samples', 'median ms', 'max ms', 'samples ms'], trows))
  console.log(`\nwhole run ${Math.round((Date.now() - began) / 1000)} s; load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`)
  console.log(describeTrack(TRACK))
}

if (natsServerPath() === null || mosquittoPath() === null) {
  console.log('nats-server or mosquitto is not installed (apt-get install -y nats-server mosquitto): cluster benchmark skipped')
} else {
  await main()
}
process.exit(0)
