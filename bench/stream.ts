// Live-stream fan-out cost: rule-engine ingestion (classify + ingest, as the ingestor runs it)
// with 0 and with 100 connected SSE clients (in a child process, reading as fast as they can):
// (1) saturated ingestion throughput, (2) CPU used at a paced 2,000 fixes/s. The stream's work
// (per-second position diff, serialization once, writes to each socket) is the difference.
// The hub runs on default settings (api.stream_buffer_bytes 1 MiB, ring of 10,000), as deployed:
// every client gets the whole fleet's snapshot (paced to its socket) and must stay connected; the
// table says how many were dropped. npx tsx bench/stream.ts [seconds=8] [clients=100] [units=2000]
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { pino } from 'pino'
import { latLngToCell } from 'h3-js'
import { loadConfig, validateConfig } from '../src/config/load.js'
import { compileDeployment } from '../src/rules/deployment.js'
import { RuleEngine } from '../src/rules/engine.js'
import { buildApi } from '../src/api/server.js'
import { StreamHub } from '../src/api/stream-hub.js'
import { createMetrics } from '../src/telemetry/metrics.js'
import { childEnv } from '../test/helpers/child-env.js'
import { table } from './lib/measure.js'

const SECONDS = Number(process.argv[2] ?? 8)
const CLIENTS = Number(process.argv[3] ?? 100)
const UNITS = Number(process.argv[4] ?? 2000)
const TOKEN = 'bench-admin-token-0123456789'

const sample = loadConfig({ path: 'config/hexpatrol.yaml', env: {} }).config
const config = validateConfig({ data_dir: mkdtempSync(join(tmpdir(), 'hexp-stream-')), http: { admin_token: TOKEN }, units: JSON.parse(JSON.stringify(sample.units)), posts: JSON.parse(JSON.stringify(sample.posts)), zones: JSON.parse(JSON.stringify(sample.zones)) })
const engine = new RuleEngine(compileDeployment(config), { startedAt: Date.now() })
const metrics = createMetrics({ defaults: false })
const hub = new StreamHub({ registry: metrics.registry })
const dropped = async () => (await metrics.registry.getSingleMetric('hexpatrol_stream_dropped_clients_total')!.get()).values.reduce((n, v) => n + v.value, 0)
const app = await buildApi({ config, logger: pino({ level: 'warn' }), registry: metrics.registry, now: Date.now, readiness: async () => ({}), engine, stream: hub, audit: () => undefined })
await app.listen({ port: 0, host: '127.0.0.1' })
const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/v1/stream`

const pos = Array.from({ length: UNITS }, (_, i) => ({ id: i < config.units.length ? config.units[i]!.id : `U-${i}`, lat: 36.42 + (i % 50) * 0.003, lon: 117.78 + Math.floor(i / 50) * 0.004, ts: Date.now() - 60_000 }))
let next = 0
function ingestOne(now: number): void {
  const p = pos[next++ % UNITS]!
  p.lat += 0.000002
  p.ts += 20
  const fix = { unitId: p.id, ts: p.ts, receivedAt: now, lat: p.lat, lon: p.lon, h3: latLngToCell(p.lat, p.lon, 9), speed: 5, heading: 0, accuracy: 5, altitude: null, battery: 90, seq: null, source: 'native', topic: `fleet/${p.id}/position`, flags: 0 }
  fix.flags = engine.classify(fix)
  engine.ingest(fix, now)
}

const tick = () => new Promise((r) => setImmediate(r))

async function saturated(): Promise<number> {
  const end = performance.now() + SECONDS * 1000
  let n = 0
  while (performance.now() < end) {
    const now = Date.now()
    for (let i = 0; i < 500; i++) ingestOne(now)
    n += 500
    await tick()
  }
  return n / SECONDS
}

async function paced(rate: number): Promise<number> {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  let sent = 0
  while (performance.now() - t0 < SECONDS * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate)
    const now = Date.now()
    for (; sent < due; sent++) ingestOne(now)
    await new Promise((r) => setTimeout(r, 5))
  }
  const c = process.cpuUsage(cpu0)
  return (c.user + c.system) / 1000 / SECONDS
}

async function withClients<T>(n: number, fn: () => Promise<T>): Promise<{ r: T; got: { open: number; events: number; bytes: number } | null }> {
  if (n === 0) return { r: await fn(), got: null }
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/sse-clients.ts', `${url}?types=positions,alerts,coverage`, TOKEN, String(n), String(SECONDS + 4)], { stdio: ['ignore', 'pipe', 'inherit'], env: childEnv() })
  const lines = createInterface({ input: child.stdout })
  const it = lines[Symbol.asyncIterator]()
  await it.next()
  const r = await fn()
  const got = JSON.parse((await it.next()).value as string) as { open: number; events: number; bytes: number }
  return { r, got }
}

const rows: Array<Array<string | number>> = []
const sat0 = await withClients(0, saturated)
const sat1 = await withClients(CLIENTS, saturated)
rows.push(['saturated ingestion, fixes/s', sat0.r, sat1.r, `${(100 * (1 - sat1.r / sat0.r)).toFixed(1)} %`, sat1.got!.events, `${sat1.got!.open}, ${await dropped()}`])
const cpu0 = await withClients(0, () => paced(2000))
const cpu1 = await withClients(CLIENTS, () => paced(2000))
rows.push(['CPU ms per s at 2,000 fixes/s', cpu0.r.toFixed(0), cpu1.r.toFixed(0), `${(100 * (cpu1.r - cpu0.r) / cpu0.r).toFixed(1)} % of ingestion CPU (${((cpu1.r - cpu0.r) / 10).toFixed(1)} % of a core)`, cpu1.got!.events, `${cpu1.got!.open}, ${await dropped()}`])
await app.close()
console.log(table(`Live stream fan-out: ${UNITS.toLocaleString('en-US')} units moving, ${CLIENTS} SSE clients (positions, alerts, coverage), ${SECONDS} s per row`, ['measure', '0 clients', `${CLIENTS} clients`, 'cost', 'events delivered', 'clients opened, dropped (total, 1 MiB buffer)'], rows))
process.exit(0)
