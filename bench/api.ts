// HTTP API latency and throughput with autocannon: GET /units/{id}, /units/nearest with 5,000 and
// 100,000 live units, /zones/{id}/cells, each beside a bare fastify route answering the same bytes
// in the same process (the ratio is what to read), plus the nearest search alone in-process (p99
// over 20,000 random queries) and over HTTP one request at a time (2,000 random queries on a
// keep-alive connection: the latency a dispatcher sees, without autocannon's queueing).
// npx tsx bench/api.ts [seconds=5] [connections=10]
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import Fastify from 'fastify'
import { pino } from 'pino'
import { latLngToCell } from 'h3-js'
import { loadConfig, validateConfig } from '../src/config/load.js'
import { compileDeployment } from '../src/rules/deployment.js'
import { RuleEngine } from '../src/rules/engine.js'
import { buildApi } from '../src/api/server.js'
import { StreamHub } from '../src/api/stream-hub.js'
import { createMetrics } from '../src/telemetry/metrics.js'
import { quantile, table } from './lib/measure.js'
import { rng as mulberry32 } from '../test/helpers/workload.js'

const SECONDS = Number(process.argv[2] ?? 5)
const CONNECTIONS = Number(process.argv[3] ?? 10)
const TOKEN = 'bench-admin-token-0123456789'

async function cannon(url: string, headers: Record<string, string> = {}) {
  const r = await autocannon({ url, duration: SECONDS, connections: CONNECTIONS, pipelining: 1, headers })
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx }
}

async function rig(units: number) {
  const sample = loadConfig({ path: 'config/hexpatrol.yaml', env: {} }).config
  const config = validateConfig({ data_dir: mkdtempSync(join(tmpdir(), 'hexp-api-')), http: { admin_token: TOKEN, rate_limit: { per_ip: 100_000_000, per_token: 100_000_000 } }, units: JSON.parse(JSON.stringify(sample.units)), posts: JSON.parse(JSON.stringify(sample.posts)), zones: JSON.parse(JSON.stringify(sample.zones)), rules: { max_unknown_units: units } })
  const now = Date.now()
  const engine = new RuleEngine(compileDeployment(config), { startedAt: now })
  const rnd = mulberry32(7)
  for (let i = 0; i < units; i++) {
    const id = i < config.units.length ? config.units[i]!.id : `U-${i}`
    const lat = 36.3 + rnd() * 0.4
    const lon = 117.6 + rnd() * 0.5
    const fix = { unitId: id, ts: now - 1000, receivedAt: now, lat, lon, h3: latLngToCell(lat, lon, 9), speed: 5, heading: 90, accuracy: 5, altitude: null, battery: 90, seq: 1, source: 'native', topic: `fleet/${id}/position`, flags: 0 }
    engine.ingest(fix, now)
  }
  engine.tick(now)
  // max_unknown_units is raised to the fleet (the default 10,000 would leave the rest untracked): say what the engine tracks.
  const tracked = engine.units(now).filter((u) => u.lastFix !== null).length
  if (tracked < units) throw new Error(`the engine tracks ${tracked} of ${units} units`)
  const app = await buildApi({ config, logger: pino({ level: 'warn' }), registry: createMetrics({ defaults: false }).registry, now: Date.now, readiness: async () => ({}), engine, stream: new StreamHub(), audit: () => undefined })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, engine, base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, config, tracked }
}

function inProcess(engine: RuleEngine, k: number): { p50: number; p99: number } {
  const rnd = mulberry32(11)
  const times: number[] = []
  for (let i = 0; i < 20_000; i++) {
    const lat = 36.3 + rnd() * 0.4
    const lon = 117.6 + rnd() * 0.5
    const t0 = performance.now()
    engine.nearest(lat, lon, { k }, Date.now())
    times.push(performance.now() - t0)
  }
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99) }
}

async function overHttp(base: string, k: number): Promise<{ p50: number; p99: number }> {
  const rnd = mulberry32(13)
  const times: number[] = []
  let t0r = 0
  for (let i = 0; i < 2000; i++) {
    const lat = (36.3 + rnd() * 0.4).toFixed(5)
    const lon = (117.6 + rnd() * 0.5).toFixed(5)
    const url = `${base}/api/v1/units/nearest?lat=${lat}&lon=${lon}&k=${k}`
    // Once, a keep-alive socket the server closed while idle (between two series) is reused: the
    // request is sent again on a fresh one, timed from the new start.
    const t0 = performance.now()
    const r = await fetch(url, { headers: auth }).catch(async () => {
      t0r = performance.now()
      return fetch(url, { headers: auth })
    })
    await r.arrayBuffer()
    if (r.status !== 200) throw new Error(`nearest answered ${r.status}`)
    times.push(performance.now() - Math.max(t0, t0r))
  }
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99) }
}

const bare = Fastify()
let bareBody = ''
bare.get('/', async (_req, reply) => reply.type('application/json').send(bareBody))
await bare.listen({ port: 0, host: '127.0.0.1' })
const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/`

const rows: Array<Array<string | number>> = []
const inproc: Array<Array<string | number>> = []
const auth = { authorization: `Bearer ${TOKEN}` }
for (const units of [5000, 100_000]) {
  const { app, engine, base, config, tracked } = await rig(units)
  const zone = config.zones[0]!.id
  const paths = units === 5000
    ? ['/api/v1/units/P-001', '/api/v1/units/nearest?lat=36.49&lon=117.86&k=10', `/api/v1/zones/${zone}/cells`, `/api/v1/zones/${zone}/cells?format=geojson`]
    : ['/api/v1/units/nearest?lat=36.49&lon=117.86&k=10', '/api/v1/units/nearest?lat=36.49&lon=117.86&k=10&kind=officer']
  for (const p of paths) {
    bareBody = await (await fetch(base + p, { headers: auth })).text()
    const ceiling = await cannon(bareUrl)
    const ours = await cannon(base + p, auth)
    rows.push([`${p} (${units.toLocaleString('en-US')} units)`, bareBody.length, ours.rps, ceiling.rps, (ours.rps / ceiling.rps).toFixed(2), ours.p50, ours.p99, ours.errors])
    console.log(`| ${rows.at(-1)!.join(' | ')} |`)
  }
  for (const k of [1, 10]) {
    const r = inProcess(engine, k)
    const h = await overHttp(base, k)
    inproc.push([units, tracked, k, r.p50.toFixed(3), r.p99.toFixed(3), h.p50.toFixed(2), h.p99.toFixed(2)])
    console.log(`| nearest | ${inproc.at(-1)!.join(' | ')} |`)
  }
  await app.close()
}
await bare.close()
console.log(table(`HTTP API, autocannon ${CONNECTIONS} connections × ${SECONDS} s per row, beside a bare fastify route answering the same bytes`, ['path', 'bytes', 'req/s', 'bare fastify req/s', 'ratio', 'p50 ms', 'p99 ms', 'errors'], rows))
console.log(table('Nearest-unit search (grid index): in-process over 20,000 random queries, and GET /units/nearest over HTTP one at a time over 2,000', ['live units', 'tracked by the engine', 'k', 'in-process p50 ms', 'in-process p99 ms', 'HTTP p50 ms', 'HTTP p99 ms'], inproc))
process.exit(0)
