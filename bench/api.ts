// HTTP API throughput and latency with autocannon, against the engine running the sample
// deployment with every unit reporting, beside the ceiling of a bare node:http server answering
// the same bytes. npx tsx bench/api.ts [seconds=5] [connections=20]
import { createServer } from 'node:http'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { pino } from 'pino'
import { latLngToCell } from 'h3-js'
import { loadConfig, validateConfig } from '../src/config/load.js'
import { Engine } from '../src/engine.js'
import { table } from './lib/measure.js'

const SECONDS = Number(process.argv[2] ?? 5)
const CONNECTIONS = Number(process.argv[3] ?? 20)

async function cannon(url: string): Promise<{ rps: number; p50: number; p99: number; errors: number; non2xx: number }> {
  const r = await autocannon({ url, duration: SECONDS, connections: CONNECTIONS, pipelining: 1 })
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx }
}

const sample = loadConfig({ path: 'config/hexpatrol.yaml', env: {} }).config
const config = validateConfig({ data_dir: mkdtempSync(join(tmpdir(), 'hexp-api-')), log_level: 'warn', http: { port: 0, host: '127.0.0.1' }, broker: { port: 0 }, units: JSON.parse(JSON.stringify(sample.units)), posts: JSON.parse(JSON.stringify(sample.posts)), zones: JSON.parse(JSON.stringify(sample.zones)) })
const engine = new Engine({ config, logger: pino({ level: 'warn' }), env: {} })
await engine.start()
const now = Date.now()
for (const [i, u] of config.units.entries()) {
  const lat = 36.47 + (i % 7) * 0.006
  const lon = 117.82 + (i % 9) * 0.008
  const fix = { unitId: u.id, ts: now - 1000, receivedAt: now, lat, lon, h3: latLngToCell(lat, lon, 9), speed: 5, heading: 90, accuracy: 5, altitude: null, battery: 90, seq: 1, source: 'native', topic: `fleet/${u.id}/position`, flags: 0 }
  engine.testHandle().rules!.ingest(fix, now)
}
engine.testHandle().tick()
const base = engine.httpAddress()!
const paths = ['/healthz', '/api/v1/units', '/api/v1/search/nearest?lat=36.49&lon=117.86&k=5', '/api/v1/zones', '/metrics']
const rows: Array<Array<string | number>> = []
for (const p of paths) {
  const body = await (await fetch(base + p)).text()
  const bare = createServer((_req, res) => { res.setHeader('content-type', 'application/json'); res.end(body) })
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()))
  const ceiling = await cannon(`http://127.0.0.1:${(bare.address() as { port: number }).port}/`)
  bare.close()
  const ours = await cannon(base + p)
  rows.push([p, body.length, ours.rps, ceiling.rps, (ours.rps / ceiling.rps).toFixed(2), ours.p50, ours.p99, ours.errors + ours.non2xx])
}
await engine.stop()
console.log(table(`HTTP API, autocannon ${CONNECTIONS} connections × ${SECONDS} s per row (sample deployment, ${config.units.length} units live)`, ['path', 'bytes', 'req/s', 'bare node:http req/s (ceiling)', 'ratio', 'p50 ms', 'p99 ms', 'errors'], rows))
process.exit(0)
