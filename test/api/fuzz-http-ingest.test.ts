// Issue 19, fuzzing over HTTP: requests to /ingest/owntracks and /ingest/osmand through the real
// API server, HTTP ingest, decoders and Ingestor (a recording journal), mutated in body, query,
// headers, method and credentials, interleaved (and concurrent) with known-good requests. Auth is
// configured explicitly (every unit has a device secret; OsmAnd in credentials mode), so the test
// holds whatever the defaults become. Whatever comes in: no 5xx, every request answered 200 has
// its good fixes journaled (good requests are answered 200 unless throttled, 429), every request
// is counted by endpoint and status, every reject is journaled and counted.
import t from 'tap'
import fc from 'fast-check'
import { pino } from 'pino'
import type { FastifyInstance } from 'fastify'
import { validateConfig } from '../../src/config/load.js'
import { createDecoder, decoderOptionsFromConfig } from '../../src/decode/decoder.js'
import type { DecodeResult } from '../../src/decode/fix.js'
import { Ingestor, type JournalWriter } from '../../src/ingest/ingestor.js'
import { RecentFixes, fixKey } from '../../src/ingest/recent-fixes.js'
import { HttpIngest } from '../../src/ingest/http-ingest.js'
import { StreamHub } from '../../src/api/stream-hub.js'
import { buildApi } from '../../src/api/server.js'
import { groupByTable } from '../../src/journal/record.js'
import { createMetrics } from '../../src/telemetry/metrics.js'
import { hostileValue, mutate, op, type Op } from '../helpers/fuzz.js'

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0)
// HEXP_FUZZ_RUNS and HEXP_FUZZ_SEED run it longer or elsewhere (a failure prints its seed and path).
const NUM_RUNS = Number(process.env.HEXP_FUZZ_RUNS ?? 300)
const SEED = Number(process.env.HEXP_FUZZ_SEED ?? 20261208)
const SECRETS = { 'P-1': 'p1-device-secret', 'P-2': 'p2-device-secret', 'P-3': 'p3-device-secret' } as const
type Unit = 'P-1' | 'P-2'
const GOOD_IP = '10.0.0.1'
// Wrong credentials come from elsewhere and name P-3 (or nobody): a credential throttle may lock
// those out, never the good devices.
const BAD_IP = '10.0.0.66'

class Journal implements JournalWriter {
  records: Buffer[] = []
  append(r: Buffer): boolean {
    this.records.push(r)
    return true
  }
  whenWritable(): Promise<void> {
    return Promise.resolve()
  }
}

const config = validateConfig({
  broker: { users: Object.entries(SECRETS).map(([username, password]) => ({ username, password })), allow_anonymous: false },
  units: Object.keys(SECRETS).map((id) => ({ id })),
  http: { rate_limit: { per_ip: 1_000_000, per_token: 1_000_000 } },
  http_ingest: { osmand_auth: 'credentials', osmand_secret_param: 'key', rate_limit_per_minute: 1_000_000, rate_limit_burst: 1_000_000, body_limit_bytes: 4096 },
})
const journal = new Journal()
const metrics = createMetrics({ defaults: false })
const results: DecodeResult[] = []
const ingestor = new Ingestor({ decode: createDecoder(decoderOptionsFromConfig(config)), journal, metrics, logger: pino({ level: 'silent' }), now: () => NOW, recent: new RecentFixes(100_000) })
const httpIngest = new HttpIngest({ config, metrics, now: () => NOW, sink: { full: () => false, ingest: (r, at) => { results.push(r); return ingestor.ingest(r, at, 'http') } } })
const app: FastifyInstance = await buildApi({ config, logger: pino({ level: 'silent' }), registry: metrics.registry, now: () => NOW, readiness: async () => ({}), httpIngest, stream: new StreamHub(), audit: () => undefined })
t.teardown(() => app.close())

interface Good { unit: Unit; lat: number; lon: number; speed: number }
const coord = (min: number, max: number) => fc.double({ min, max, noNaN: true }).map((v) => Math.round(v * 1e6) / 1e6)
const good: fc.Arbitrary<Good> = fc.record({ unit: fc.constantFrom<Unit>('P-1', 'P-2'), lat: fc.oneof(coord(1, 60), coord(-60, -1)), lon: fc.oneof(coord(1, 179), coord(-179, -1)), speed: fc.integer({ min: 0, max: 50 }) })
let clock = 0
const nextTs = () => NOW - 86_400_000 + (++clock) * 1000

type Route = 'owntracks' | 'owntracks-bulk' | 'osmand-query' | 'osmand-form' | 'osmand-json' | 'osmand-json-basic'
type Spoil =
  | { k: 'body'; ops: Op[] }
  | { k: 'query'; ops: Op[] }
  | { k: 'field'; field: string; value: unknown }
  | { k: 'auth'; how: 'none' | 'wrong' | 'unknown' | 'garbage' | 'other-unit'; garbage: string }
  | { k: 'header'; name: string; value: string }
  | { k: 'method' }
  | { k: 'huge'; n: number }
interface Req { route: Route; goods: Good[]; extra: unknown[]; spoil: Spoil | null }
const spoil: fc.Arbitrary<Spoil> = fc.oneof(
  fc.record({ k: fc.constant('body' as const), ops: fc.array(op, { minLength: 1, maxLength: 4 }) }),
  fc.record({ k: fc.constant('query' as const), ops: fc.array(op, { minLength: 1, maxLength: 4 }) }),
  fc.record({ k: fc.constant('field' as const), field: fc.constantFrom('lat', 'lon', 'tst', 'timestamp', '_type', 'id', 'device_id', 'location', 'coords', 'latitude', 'speed', 'key', '__proto__'), value: hostileValue }),
  fc.record({ k: fc.constant('auth' as const), how: fc.constantFrom('none', 'wrong', 'unknown', 'garbage', 'other-unit') as fc.Arbitrary<'none'>, garbage: fc.string({ maxLength: 40 }) }),
  fc.record({ k: fc.constant('header' as const), name: fc.constantFrom('content-type', 'x-limit-u', 'x-limit-d', 'content-encoding', 'transfer-encoding'), value: fc.string({ maxLength: 30 }).filter((v) => /^[\t\x20-\x7e]*$/.test(v)) }),
  fc.record({ k: fc.constant('method' as const) }),
  fc.record({ k: fc.constant('huge' as const), n: fc.integer({ min: 4097, max: 9000 }) }),
)
const request: fc.Arbitrary<Req> = fc.record({
  route: fc.constantFrom<Route>('owntracks', 'owntracks-bulk', 'osmand-query', 'osmand-form', 'osmand-json', 'osmand-json-basic'),
  goods: fc.array(good, { minLength: 1, maxLength: 3 }),
  extra: fc.array(hostileValue, { maxLength: 2 }),
  spoil: fc.option(spoil, { freq: 2 }),
})

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`

interface Built { method: 'GET' | 'POST'; url: string; headers: Record<string, string>; payload?: Buffer; ip: string; keys: string[]; clean: boolean; endpoint: 'owntracks' | 'osmand' }

/** The request as a device would send it, then spoiled (or not). Bulk and JSON batches carry the extra (bad) elements between good ones. */
function build(r: Req): Built {
  // One unit per request: OwnTracks and OsmAnd authenticate one device.
  const unit = r.goods[0]!.unit
  const fixes = r.goods.map((g) => ({ ...g, unit, ts: nextTs() }))
  const keys = fixes.map((f) => fixKey(f.unit, f.ts, f.lat, f.lon))
  const ot = (f: typeof fixes[number]) => ({ _type: 'location', tst: f.ts / 1000, lat: f.lat, lon: f.lon, vel: f.speed })
  const om = (f: typeof fixes[number]) => ({ timestamp: new Date(f.ts).toISOString(), coords: { latitude: f.lat, longitude: f.lon, speed: f.speed } })
  const withExtra = <T>(docs: T[]): unknown[] => docs.flatMap((d, i) => (r.extra[i] === undefined ? [d] : [d, r.extra[i]]))
  let b: Built
  const secret = SECRETS[unit]
  switch (r.route) {
    case 'owntracks': case 'owntracks-bulk': {
      // A single location carries only the first fix.
      if (r.route === 'owntracks') keys.splice(1)
      const doc = r.route === 'owntracks' ? ot(fixes[0]!) : withExtra(fixes.map(ot))
      b = { method: 'POST', url: '/ingest/owntracks', headers: { authorization: basic(unit, secret), 'content-type': 'application/json' }, payload: Buffer.from(JSON.stringify(doc)), ip: GOOD_IP, keys, clean: true, endpoint: 'owntracks' }
      break
    }
    case 'osmand-query': case 'osmand-form': {
      keys.splice(1)
      const f = fixes[0]!
      const q = `id=${unit}&timestamp=${f.ts / 1000}&lat=${f.lat}&lon=${f.lon}&speed=${f.speed}&key=${secret}`
      b = r.route === 'osmand-query'
        ? { method: 'GET', url: `/ingest/osmand?${q}`, headers: {}, ip: GOOD_IP, keys, clean: true, endpoint: 'osmand' }
        : { method: 'POST', url: '/ingest/osmand', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: Buffer.from(q), ip: GOOD_IP, keys, clean: true, endpoint: 'osmand' }
      break
    }
    case 'osmand-json': case 'osmand-json-basic': {
      const location = fixes.length === 1 && r.extra.length === 0 ? om(fixes[0]!) : withExtra(fixes.map(om))
      const viaBasic = r.route === 'osmand-json-basic'
      b = { method: 'POST', url: viaBasic ? '/ingest/osmand' : `/ingest/osmand?key=${secret}`, headers: { 'content-type': 'application/json', ...(viaBasic ? { authorization: basic(unit, secret) } : {}) }, payload: Buffer.from(JSON.stringify({ device_id: unit, location })), ip: GOOD_IP, keys, clean: true, endpoint: 'osmand' }
      break
    }
  }
  const s = r.spoil
  if (s === null) return b
  b.clean = false
  if (s.k === 'body') b.payload = mutate(b.payload ?? Buffer.alloc(0), s.ops)
  else if (s.k === 'query') {
    const q = b.url.indexOf('?')
    const path = q < 0 ? b.url : b.url.slice(0, q)
    // The request line must stay a request line: only printable ASCII survives in the query.
    const text = mutate(Buffer.from(q < 0 ? '' : b.url.slice(q + 1)), s.ops).toString('latin1').replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c))
    b.url = text === '' ? path : `${path}?${text}`
  } else if (s.k === 'field') {
    if (b.payload !== undefined && b.headers['content-type'] === 'application/json') {
      const doc = JSON.parse(b.payload.toString()) as Record<string, unknown>
      const target = Array.isArray(doc) ? (doc[0] as Record<string, unknown>) : isObj(doc.location) ? doc.location : doc
      Object.defineProperty(isObj((target as Record<string, unknown>).coords) && s.field.startsWith('l') ? (target as Record<string, unknown>).coords as object : target as object, s.field, { value: s.value, enumerable: true, writable: true, configurable: true })
      b.payload = Buffer.from(JSON.stringify(doc))
    } else {
      const add = `${encodeURIComponent(s.field)}=${encodeURIComponent(JSON.stringify(s.value) ?? '')}`
      if (b.payload !== undefined) b.payload = Buffer.concat([b.payload, Buffer.from(`&${add}`)])
      else b.url += `&${add}`
    }
  } else if (s.k === 'auth') {
    b.ip = BAD_IP
    const wrong = s.how === 'none' ? null : s.how === 'wrong' ? basic('P-3', 'not-the-secret') : s.how === 'unknown' ? basic('X-9', SECRETS['P-3']) : s.how === 'other-unit' ? basic('P-3', SECRETS['P-3']) : `Basic ${Buffer.from(s.garbage).toString('base64')}`
    // A request that names unit P-1 or P-2 with P-3's valid credentials must not become theirs.
    b.url = b.url.replace(/key=[^&]*/, s.how === 'other-unit' ? `key=${SECRETS['P-3']}` : s.how === 'none' ? '' : 'key=not-the-secret')
    if (b.payload !== undefined && b.headers['content-type'] === 'application/x-www-form-urlencoded') b.payload = Buffer.from(b.payload.toString().replace(/key=[^&]*/, s.how === 'other-unit' ? `key=${SECRETS['P-3']}` : 'key=nope'))
    if (wrong === null) delete b.headers.authorization
    else if (b.headers.authorization !== undefined || s.how !== 'other-unit') b.headers.authorization = wrong
  } else if (s.k === 'header') b.headers[s.name] = s.value
  else if (s.k === 'method') b.method = b.method === 'GET' ? 'POST' : 'GET'
  else if (s.k === 'huge') b.payload = Buffer.concat([b.payload ?? Buffer.alloc(0), Buffer.alloc(s.n, 0x20)])
  return b
}
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

const counted = async () => new Map((await metrics.httpIngestRequests.get()).values.map((v) => [`${v.labels.endpoint} ${v.labels.status}`, v.value]))
const sum = async (c: { get(): Promise<{ values: Array<{ value: number }> }> }) => (await c.get()).values.reduce((n, v) => n + v.value, 0)

t.test('mutated requests beside good ones: no 5xx, answered = kept, every request and reject counted', async (t) => {
  const stored = new Set<string>()
  let rows = 0
  let records = 0
  const statuses = new Map<number, number>()
  let goodKept = 0
  await fc.assert(fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 6 }), fc.boolean(), async (reqs, together) => {
    const before = { counted: await counted(), rejects: await sum(metrics.rejects), results: results.length }
    const built = reqs.map(build)
    const send = (b: Built) => app.inject({ method: b.method, url: b.url, headers: b.headers, remoteAddress: b.ip, ...(b.payload === undefined ? {} : { payload: b.payload }) })
    const answers = together ? await Promise.all(built.map(send)) : await (async () => { const out = []; for (const b of built) out.push(await send(b)); return out })()
    const fresh = journal.records.slice(records)
    records = journal.records.length
    const { tables } = groupByTable(fresh)
    for (const l of tables.get('positions') ?? []) {
      const p = JSON.parse(l) as { unit_id: string; ts: number; lat: number; lon: number }
      stored.add(fixKey(p.unit_id, p.ts, p.lat, p.lon))
      rows++
    }
    const seen = new Map<string, number>()
    for (const [i, a] of answers.entries()) {
      const b = built[i]!
      statuses.set(a.statusCode, (statuses.get(a.statusCode) ?? 0) + 1)
      if (a.statusCode >= 500) throw new Error(`${b.method} ${b.url} answered ${a.statusCode}: ${a.body}`)
      if (b.clean && a.statusCode !== 200 && a.statusCode !== 429) throw new Error(`a good request was answered ${a.statusCode}: ${a.body}`)
      if (b.clean && a.statusCode === 200) {
        const missing = b.keys.filter((k) => !stored.has(k))
        if (missing.length > 0) throw new Error(`answered 200, not journaled: ${missing.join(', ')}`)
        goodKept += b.keys.length
      }
      // A request under another unit's credentials never stores a fix as P-1 or P-2.
      if (b.ip === BAD_IP && b.keys.some((k) => stored.has(k))) throw new Error(`a request with wrong credentials was stored: ${b.method} ${b.url}`)
      const key = `${b.endpoint} ${a.statusCode}`
      seen.set(key, (seen.get(key) ?? 0) + 1)
    }
    const after = await counted()
    for (const [key, n] of seen) {
      // 429 may come from a limiter in front of HTTP ingest that counts elsewhere; 404 is GET on
      // the OwnTracks path, which has no route.
      if (key.endsWith(' 429') || key === 'owntracks 404') continue
      const delta = (after.get(key) ?? 0) - (before.counted.get(key) ?? 0)
      if (delta !== n) throw new Error(`${n} answers ${key}, hexpatrol_http_ingest_requests_total moved by ${delta}`)
    }
    const decoded = results.slice(before.results).reduce((n, r) => n + r.rejects.length, 0)
    const rejects = (await sum(metrics.rejects)) - before.rejects
    const rejectRows = (tables.get('rejects') ?? []).length
    if (rejects !== decoded || rejectRows !== decoded) throw new Error(`${decoded} rejects decoded, ${rejects} counted, ${rejectRows} journaled`)
  }), { numRuns: NUM_RUNS, seed: SEED })
  t.ok(goodKept > NUM_RUNS, `good fixes answered and kept: ${goodKept}`)
  t.equal(rows, [...stored].length, 'no fix journaled twice')
  t.ok((statuses.get(200) ?? 0) > NUM_RUNS, `answers by status: ${JSON.stringify([...statuses].sort())}`)
  for (const s of [400, 401, 413]) t.ok((statuses.get(s) ?? 0) > 0, `some requests answered ${s}`)
})
