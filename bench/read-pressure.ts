// Expensive reads against ingestion: a device's PUBACK latency (QoS 1 through the embedded
// broker, decode, rules, journal) while idle, then while 8 clients with one read token loop
// 7-day replays (`/api/v1/replay/positions?limit=500000`) and 4 loop the incident list at its
// largest limit, with the engine's RSS beside it. Readers honour Retry-After on 429/503 as a
// well-behaved client would. ClickHouse (embedded) is seeded with a week of positions first.
// npx tsx bench/read-pressure.ts [seconds per phase=15] [rows=600000] [expensive reads per token=default]
import { mkdtempSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { latLngToCell } from 'h3-js'
import { validateConfig } from '../src/config/load.js'
import { Engine } from '../src/engine.js'
import { quantile, table } from './lib/measure.js'

const SECONDS = Number(process.argv[2] ?? 15)
const ROWS = Number(process.argv[3] ?? 600_000)
const PER_TOKEN = process.argv[4] === undefined ? {} : { expensive_reads: { per_token: Number(process.argv[4]) } }
const TOKEN = 'bench-reader-token-0123456789'
const DAY = 86_400_000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const config = validateConfig({
  data_dir: mkdtempSync(join(tmpdir(), 'hexp-read-pressure-')), log_level: 'warn',
  // One client address and one token for every reader: the limits under test are the read gate's.
  http: { port: 0, host: '127.0.0.1', rate_limit: { per_ip: 1_000_000, per_token: 1_000_000 }, ...PER_TOKEN },
  api: { tokens: [{ name: 'desk', scope: 'read', token_env: 'BENCH_READ_TOKEN' }] },
  broker: { port: 0 },
}, undefined, { BENCH_READ_TOKEN: TOKEN })
const engine = new Engine({ config, logger: pino({ level: 'warn' }) })
await engine.start()
const h = engine.testHandle()
const base = engine.httpAddress()!

// A week of positions for 100 units, evenly spaced.
const now = Date.now()
const from = now - 7 * DAY + 60_000
const units = 100
const step = Math.floor((7 * DAY - 120_000) / (ROWS / units))
const t0 = performance.now()
const cell = BigInt(`0x${latLngToCell(36.45, 117.85, 9)}`).toString()
// Generated inside ClickHouse (INSERT … SELECT from numbers()): seconds, not a minute of JSON.
await h.ch.client.command({
  query: `INSERT INTO ${h.ch.database}.positions (unit_id, ts, received_at, lat, lon, h3, speed, heading, accuracy, altitude, battery, seq, source, topic, flags)
          SELECT concat('U-', toString(number % ${units})) AS u, fromUnixTimestamp64Milli(toInt64(${from} + intDiv(number, ${units}) * ${step})) AS t, t,
                 36.4 + (number % 997) * 1e-4, 117.8 + (number % 991) * 1e-4, ${cell}, 5, 90, 5, NULL, 80, number, 'native', concat('fleet/', u, '/position'), 0
          FROM numbers(${ROWS})`,
})
console.log(`seeded ${ROWS} positions in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

// The device: one fix every 50 ms, QoS 1, PUBACK time per message.
const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${h.source.broker!.port}`, { clientId: 'bench-device' })
let seq = 0
async function measure(seconds: number): Promise<{ acks: number[]; rssPeak: number; loopP99: number }> {
  const loop = monitorEventLoopDelay({ resolution: 5 })
  loop.enable()
  const acks: number[] = []
  let rssPeak = process.memoryUsage.rss()
  const rss = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage.rss()) }, 100)
  const end = performance.now() + seconds * 1000
  while (performance.now() < end) {
    const s = performance.now()
    const i = seq++
    await device.publishAsync('fleet/DEV-1/position', `{"ts":${Date.now()},"lat":${36.45 + (i % 100) * 1e-4},"lon":117.85,"speed":3,"accuracy":5,"seq":${i}}`, { qos: 1 })
    acks.push(performance.now() - s)
    await sleep(Math.max(0, 50 - (performance.now() - s)))
  }
  clearInterval(rss)
  loop.disable()
  return { acks, rssPeak, loopP99: loop.percentile(99) / 1e6 }
}

interface Tally { done: number; bytes: number; refused: number; other: number }
// Readers run in child processes at a lower priority (nice 10), as clients on other machines
// would: their buffers and CPU are not the engine's. They drain the body and count its bytes.
const READER = `
const [url, token, seconds] = process.argv.slice(1)
const tally = { done: 0, bytes: 0, refused: 0, other: 0 }
const end = Date.now() + Number(seconds) * 1000
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
while (Date.now() < end) {
  let res
  try { res = await fetch(url, { headers: { authorization: 'Bearer ' + token } }) } catch { tally.other++; await sleep(1000); continue }
  if (res.status === 429 || res.status === 503) { tally.refused++; await res.arrayBuffer(); await sleep(Number(res.headers.get('retry-after') ?? '1') * 1000); continue }
  if (res.status !== 200) { tally.other++; await res.arrayBuffer(); await sleep(1000); continue }
  try { for await (const chunk of res.body) tally.bytes += chunk.length } catch { tally.other++; continue }
  tally.done++
}
process.stdout.write(JSON.stringify(tally))
`
function reader(url: string, seconds: number): Promise<Tally> {
  return new Promise((resolve, reject) => {
    const child = spawn('nice', ['-n', '10', process.execPath, '--input-type=module', '-e', READER, url, TOKEN, String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    // A reader that died (e.g. its connection reset) counts as one failure.
    child.on('exit', () => resolve(out.startsWith('{') ? JSON.parse(out) as Tally : { done: 0, bytes: 0, refused: 0, other: 1 }))
    child.on('error', reject)
  })
}
const sum = (ts: Tally[]): Tally => ts.reduce((a, b) => ({ done: a.done + b.done, bytes: a.bytes + b.bytes, refused: a.refused + b.refused, other: a.other + b.other }), { done: 0, bytes: 0, refused: 0, other: 0 })

const fmt = (ms: number) => ms.toFixed(1)
const mb = (b: number) => (b / 1048576).toFixed(0)
const idle = await measure(SECONDS)
const replayUrl = `${base}/api/v1/replay/positions?from=${now - 7 * DAY}&to=${now}&limit=500000`
const listUrl = `${base}/api/v1/incidents?from=${now - 30 * DAY}&to=${now}&limit=10000`
const readers = Promise.all([...Array.from({ length: 8 }, () => reader(replayUrl, SECONDS)), ...Array.from({ length: 4 }, () => reader(listUrl, SECONDS))])
const loaded = await measure(SECONDS)
const tallies = await readers
const replays = sum(tallies.slice(0, 8))
const lists = sum(tallies.slice(8))
await device.endAsync()

const row = (name: string, m: { acks: number[]; rssPeak: number; loopP99: number }, extra: string[]) => [name, String(m.acks.length), fmt(quantile(m.acks, 0.5)), fmt(quantile(m.acks, 0.99)), fmt(Math.max(...m.acks)), fmt(m.loopP99), mb(m.rssPeak), ...extra]
console.log(table(`PUBACK of one device (1 fix / 50 ms), ${SECONDS} s per phase, ${ROWS} stored positions; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores`, ['phase', 'acks', 'p50 ms', 'p99 ms', 'max ms', 'loop delay p99 ms', 'RSS peak MB', 'replays done (MB)', 'lists done', 'refused 429/503', 'other'], [
  row('idle', idle, ['-', '-', '-', '-']),
  row('8 replays + 4 incident lists', loaded, [`${replays.done} (${mb(replays.bytes)})`, String(lists.done), String(replays.refused + lists.refused), String(replays.other + lists.other)]),
]))
await engine.stop()
process.exit(0)
