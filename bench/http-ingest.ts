// HTTP ingest throughput and latency with autocannon: phones posting through the real engine
// (auth, decode, rules, journal append before the answer), every request a distinct fix, beside
// the ceiling of a bare node:http server answering the same bytes.
// Every limiter in front of ingest is raised out of the way (the per-device bucket and the cap on
// all devices together, http_ingest.rate_limit_global_per_second, 1,000/s by default), so the
// figure is the ingest path; the 429 count is printed to show it.
// npx tsx bench/http-ingest.ts [seconds=5] [connections=20]
import { createServer } from 'node:http'
import { mkdtempSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { pino } from 'pino'
import { loadConfig, validateConfig } from '../src/config/load.js'
import { Engine } from '../src/engine.js'
import { table } from './lib/measure.js'

const SECONDS = Number(process.argv[2] ?? 5)
const CONNECTIONS = Number(process.argv[3] ?? 20)

const sample = loadConfig({ path: 'config/hexpatrol.yaml' }).config
const units = JSON.parse(JSON.stringify(sample.units)) as Array<{ id: string }>
const config = validateConfig({
  data_dir: mkdtempSync(join(tmpdir(), 'hexp-http-bench-')), log_level: 'warn',
  // autocannon is one client IP: the per-IP limit (1,200 a minute by default) would be the figure.
  http: { port: 0, host: '127.0.0.1', rate_limit: { per_ip: 1_000_000_000 } },
  broker: { port: 0, allow_anonymous: false, users: units.map((u) => ({ username: u.id, password: `${u.id}-password` })) },
  units, posts: JSON.parse(JSON.stringify(sample.posts)), zones: JSON.parse(JSON.stringify(sample.zones)),
  // The bench measures the path, not the per-device limit.
  http_ingest: { rate_limit_per_minute: 10_000_000, rate_limit_burst: 1_000_000, rate_limit_global_per_second: 1_000_000 },
})
const engine = new Engine({ config, logger: pino({ level: 'warn' }) })
await engine.start()
const base = engine.httpAddress()!
let n = 0
const start = Date.now() - 3_600_000
// Every request is a new fix (a distinct unit and time), so none is dropped as a re-delivery.
const next = () => {
  const i = n++
  return { unit: units[i % units.length]!.id, ts: start + Math.floor(i / units.length) * 10, lat: 36.47 + (i % 97) * 1e-4, lon: 117.82 + (i % 89) * 1e-4 }
}

type Req = { method?: string; path?: string; body?: string; headers?: Record<string, string> }
async function cannon(url: string, setup: (r: Req) => Req): Promise<{ rps: number; p50: number; p99: number; errors: number; non2xx: number; limited: number }> {
  const r = await autocannon({ url, duration: SECONDS, connections: CONNECTIONS, pipelining: 1, requests: [{ setupRequest: setup as never }] })
  const codes = (r as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {}
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx, limited: codes['429']?.count ?? 0 }
}

const osmand = (r: Req): Req => {
  const f = next()
  return { ...r, method: 'GET', path: `/ingest/osmand?id=${f.unit}&key=${f.unit}-password&timestamp=${f.ts}&lat=${f.lat}&lon=${f.lon}&speed=3&bearing=90&batt=80` }
}
const owntracks = (r: Req): Req => {
  const f = next()
  return {
    ...r, method: 'POST', path: '/ingest/owntracks',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${f.unit}:${f.unit}-password`).toString('base64')}` },
    body: JSON.stringify({ _type: 'location', tst: Math.floor(f.ts / 1000), lat: f.lat, lon: f.lon, acc: 8, vel: 12 }),
  }
}
/** Fixes the engine took over HTTP (hexpatrol_fixes_accepted_total{transport="http"}). */
async function acceptedHttp(): Promise<number> {
  return (await engine.metrics.fixesAccepted.get()).values.filter((v) => v.labels.transport === 'http').reduce((s, v) => s + v.value, 0)
}
const rows: Array<Array<string | number>> = []
for (const [name, setup, answer] of [['OsmAnd GET', osmand, ''], ['OwnTracks POST (Basic auth)', owntracks, '[]']] as const) {
  const bare = createServer((req, res) => { req.resume(); req.on('end', () => res.end(answer)) })
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()))
  const ceiling = await cannon(`http://127.0.0.1:${(bare.address() as { port: number }).port}/`, setup)
  bare.close()
  const before = n
  const acceptedBefore = await acceptedHttp()
  const ours = await cannon(base, setup)
  const accepted = (await acceptedHttp()) - acceptedBefore
  rows.push([name, Math.round(accepted / SECONDS), ours.rps, ceiling.rps, (ours.rps / ceiling.rps).toFixed(2), ours.p50, ours.p99, ours.limited, ours.errors + ours.non2xx - ours.limited, n - before, accepted])
}
await engine.stop()
console.log(table(`HTTP ingest, autocannon ${CONNECTIONS} connections × ${SECONDS} s per row (sample deployment, ${units.length} units, journal append before every answer), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  ['request', 'accepted fixes/s', 'req/s', 'bare node:http req/s (ceiling)', 'ratio', 'p50 ms', 'p99 ms', '429', 'other errors', 'requests', 'fixes accepted'], rows))
process.exit(0)
