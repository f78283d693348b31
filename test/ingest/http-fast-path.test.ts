// The HTTP ingest fast path (src/ingest/http-fast-path.ts) against fastify's own answers: the same
// requests sent over real sockets to an API with the fast path and to one without (every device
// route through fastify) give the same status, headers (in order), body, journal rows and
// counters; what the fast path does on its own (requests it leaves to fastify, bodies cut short,
// a client gone before the journal append settles) is checked beside.
import t, { type Test } from 'tap'
import { request } from 'node:http'
import { connect } from 'node:net'
import { IngestFastPath } from '../../src/ingest/http-fast-path.js'
import { buildHttpIngestApi, type FakeJournal } from '../helpers/http-ingest.js'

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0)
const TST = NOW / 1000 - 10

// Every fast path built by buildApi in the current test, and how many requests each took.
const made: IngestFastPath[] = []
const taken = new WeakMap<IngestFastPath, number>()
const handle = IngestFastPath.prototype.handle
IngestFastPath.prototype.handle = function (this: IngestFastPath, req, res) {
  if (!made.includes(this)) made.push(this)
  const took = handle.call(this, req, res)
  if (took) taken.set(this, (taken.get(this) ?? 0) + 1)
  return took
}
const fastPathsTaken = (): number => made.reduce((n, f) => n + (taken.get(f) ?? 0), 0)
t.beforeEach(() => {
  made.length = 0
})

async function side(t: Test, fast: boolean, raw: Record<string, unknown>, full = () => false) {
  const users = [{ username: 'jane', password: 'jane-pass' }, { username: 'P-1', password: 'p1-pass' }, { username: 'P-2', password: 'p2-pass' }]
  const { app, journal, metrics } = await buildHttpIngestApi(t, raw, { users, full, now: () => NOW, fastPath: fast })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  const counters = async () => ({
    requests: (await metrics.httpIngestRequests.get()).values.map((v) => [v.labels.endpoint, v.labels.status, v.value]).sort(),
    refusals: (await metrics.httpIngestAuthFailures.get()).values.map((v) => [v.labels.endpoint, v.labels.reason, v.value]).sort(),
  })
  return { port, journal, counters }
}

interface Sent { method: string; path: string; headers?: Record<string, string>; body?: string; chunked?: boolean }
interface Got { status: number; headers: string[]; body: string }

/** One request on its own connection; the answer's headers in order, without Date. */
function send(port: number, s: Sent): Promise<Got> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...s.headers }
    if (s.body !== undefined && s.chunked !== true) headers['content-length'] = String(Buffer.byteLength(s.body))
    const req = request({ port, host: '127.0.0.1', method: s.method, path: s.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const h: string[] = []
        for (let i = 0; i < res.rawHeaders.length; i += 2) if (res.rawHeaders[i] !== 'Date') h.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`)
        resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks).toString() })
      })
    })
    req.on('error', reject)
    if (s.body !== undefined) req.write(s.body)
    req.end()
  })
}

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
const loc = (extra: Record<string, unknown> = {}) => JSON.stringify({ _type: 'location', tst: TST, lat: 36.49, lon: 117.86, ...extra })
const osm = (q: string): Sent => ({ method: 'GET', path: `/ingest/osmand?${q}` })
const ot = (auth: string | null, body: string | undefined, headers: Record<string, string> = {}): Sent => ({ method: 'POST', path: '/ingest/owntracks', headers: { ...(auth === null ? {} : { authorization: auth }), 'content-type': 'application/json', ...headers }, body })

async function compare(t: Test, raw: Record<string, unknown>, requests: Array<[string, Sent]>, full?: () => boolean): Promise<number> {
  const fast = await side(t, true, raw, full)
  const slow = await side(t, false, raw, full)
  for (const [name, s] of requests) {
    const f = await send(fast.port, s)
    const w = await send(slow.port, s)
    t.same(f, w, name)
  }
  t.same(fast.journal.rows('positions'), slow.journal.rows('positions'), 'the same positions journaled')
  t.same(fast.journal.rows('rejects').map((r) => [r.reason, r.unit_id]), slow.journal.rows('rejects').map((r) => [r.reason, r.unit_id]), 'the same rejects journaled')
  t.same(await fast.counters(), await slow.counters(), 'the same counters')
  return fast.journal.rows('positions').length
}

t.test('every device request answers as fastify answers it (status, headers in order, body, journal, counters)', async (t) => {
  const requests: Array<[string, Sent]> = [
    ['OsmAnd GET', osm(`id=P-1&timestamp=${TST}&lat=36.49&lon=117.86&speed=3&key=p1-pass`)],
    ['OsmAnd GET, wrong password', osm('id=P-1&lat=36.49&lon=117.86&key=nope')],
    ['OsmAnd GET, no id', osm('lat=36.49&lon=117.86')],
    ['OsmAnd GET, invalid id', osm('id=a%20b&lat=36.49&lon=117.86&key=x')],
    ['OsmAnd GET, no password', osm('id=P-1&lat=36.49&lon=117.86')],
    ['OsmAnd GET, no query', { method: 'GET', path: '/ingest/osmand' }],
    ['OsmAnd POST form', { method: 'POST', path: '/ingest/osmand', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `id=P-1&timestamp=${TST - 1}&lat=36.5&lon=117.86&key=p1-pass` }],
    ['OsmAnd POST JSON, key in the query', { method: 'POST', path: '/ingest/osmand?key=p1-pass', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ device_id: 'P-1', location: { timestamp: new Date((TST - 2) * 1000).toISOString(), coords: { latitude: 36.51, longitude: 117.86 } } }) }],
    ['OsmAnd POST JSON, Basic auth', { method: 'POST', path: '/ingest/osmand', headers: { 'content-type': 'application/json', authorization: basic('P-1', 'p1-pass') }, body: JSON.stringify({ device_id: 'P-1', location: { timestamp: new Date((TST - 3) * 1000).toISOString(), coords: { latitude: 36.52, longitude: 117.86 } } }) }],
    ['OsmAnd POST without body', { method: 'POST', path: `/ingest/osmand?id=P-1&timestamp=${TST - 4}&lat=36.53&lon=117.86&key=p1-pass` }],
    ['OwnTracks', ot(basic('P-1', 'p1-pass'), loc({ tst: TST - 5 }))],
    ['OwnTracks, no credentials', ot(null, loc())],
    ['OwnTracks, Bearer', ot('Bearer x', loc())],
    ['OwnTracks, X-Limit-U of another user', ot(basic('jane', 'jane-pass'), loc(), { 'x-limit-u': 'P-1' })],
    ['OwnTracks, empty body, no content type', { method: 'POST', path: '/ingest/owntracks', headers: { authorization: basic('P-1', 'p1-pass') } }],
    ['OwnTracks, text/plain', ot(basic('P-1', 'p1-pass'), loc({ tst: TST - 6 }), { 'content-type': 'text/plain' })],
    ['OwnTracks, not JSON (a reject, answered)', ot(basic('P-1', 'p1-pass'), 'not json')],
    ['OwnTracks, bulk', ot(basic('P-2', 'p2-pass'), `[${loc({ tst: TST - 7 })},${loc({ tst: TST - 8, lat: 36.6 })}]`)],
    ['left to fastify: text/csv', ot(basic('P-2', 'p2-pass'), loc({ tst: TST - 9 }), { 'content-type': 'text/csv' })],
    ['left to fastify: a content type fastify refuses', ot(basic('P-2', 'p2-pass'), loc({ tst: TST - 10 }), { 'content-type': 'not a type' })],
    ['left to fastify: chunked', { ...ot(basic('P-2', 'p2-pass'), loc({ tst: TST - 11 })), chunked: true }],
    ['left to fastify: over the body limit', ot(basic('P-2', 'p2-pass'), `[${loc()}${`,${loc()}`.repeat(40)}]`)],
    ['left to fastify: over the body limit, unauthenticated', ot(null, `[${loc()}${`,${loc()}`.repeat(40)}]`)],
    ['left to fastify: HEAD', { method: 'HEAD', path: '/ingest/osmand?id=P-1&key=p1-pass&lat=1&lon=1' }],
    ['left to fastify: PUT', { ...ot(basic('P-1', 'p1-pass'), loc()), method: 'PUT' }],
    ['left to fastify: GET OwnTracks', { method: 'GET', path: '/ingest/owntracks' }],
    ['left to fastify: trailing slash', { method: 'GET', path: '/ingest/osmand/?id=P-1&key=p1-pass&lat=1&lon=1' }],
    // Several refusals in a row: the address's refused budget (5 a minute here) then answers 429 with Retry-After.
    ...Array.from({ length: 4 }, (_, i): [string, Sent] => [`refusal ${i + 1} after the others`, osm('id=P-1&lat=36.49&lon=117.86&key=nope')]),
    // The device's own bucket (2 at once here): P-2 is past it.
    ['OsmAnd over the device rate limit', osm(`id=P-2&timestamp=${TST - 12}&lat=36.49&lon=117.86&key=p2-pass`)],
    ['OwnTracks over the device rate limit', ot(basic('P-2', 'p2-pass'), loc({ tst: TST - 13 }))],
  ]
  const kept = await compare(t, { http_ingest: { body_limit_bytes: 1024, rate_limit_per_minute: 6, rate_limit_burst: 2, rate_limit_refused_per_minute: 5 } }, requests)
  t.ok(kept >= 5, `positions were kept (${kept})`)
  t.ok(fastPathsTaken() >= 20, `the fast path answered most of them (${fastPathsTaken()})`)
})

t.test('a full journal: 503 with Retry-After as fastify answers it', async (t) => {
  await compare(t, { http_ingest: { retry_after: '45s' } }, [
    ['OsmAnd, journal full', osm('id=P-1&lat=36.49&lon=117.86&key=p1-pass')],
    ['OwnTracks, journal full', ot(basic('P-1', 'p1-pass'), loc())],
  ], () => true)
  t.equal(fastPathsTaken(), 2)
})

t.test('a journal that fails: OwnTracks closed unanswered (the app retries), OsmAnd 503, as fastify does', async (t) => {
  const outcome = (port: number, s: Sent) => send(port, s).then((g) => `answered ${g.status}`, (err: NodeJS.ErrnoException) => `closed (${err.code})`)
  const results: Record<string, string[]> = {}
  for (const fast of [true, false]) {
    const s = await side(t, fast, {})
    s.journal.fail = true
    const before = fastPathsTaken()
    results[fast ? 'fast' : 'fastify'] = [await outcome(s.port, ot(basic('P-1', 'p1-pass'), loc())), await outcome(s.port, osm(`id=P-1&timestamp=${TST}&lat=36.5&lon=117.86&key=p1-pass`))]
    t.equal(fastPathsTaken() - before, fast ? 2 : 0, fast ? 'both taken by the fast path' : 'both through fastify')
    t.same((await s.counters()).requests, [['osmand', '503', 1], ['owntracks', 'aborted', 1]], 'counted alike')
    t.equal(s.journal.rows('positions').length, 0)
  }
  t.same(results.fast, ['closed (ECONNRESET)', 'answered 503'])
  t.same(results.fast, results.fastify)
})

t.test('security settings that change the answers: CORS, allowed hosts, trusted proxies', async (t) => {
  const raw = { http: { cors_origins: ['https://ops.example'], allowed_hosts: ['127.0.0.1', 'ingest.example'], trust_proxy: ['127.0.0.1'] } }
  await compare(t, raw, [
    ['vary: Origin on every answer', osm(`id=P-1&timestamp=${TST}&lat=36.49&lon=117.86&key=p1-pass`)],
    ['left to fastify: an Origin', { ...osm(`id=P-1&timestamp=${TST - 1}&lat=36.49&lon=117.86&key=p1-pass`), headers: { origin: 'https://ops.example' } }],
    ['left to fastify: a host not allowed', { ...osm(`id=P-1&timestamp=${TST - 2}&lat=36.49&lon=117.86&key=p1-pass`), headers: { host: 'evil.example' } }],
    ['an allowed host', { ...osm(`id=P-1&timestamp=${TST - 3}&lat=36.49&lon=117.86&key=p1-pass`), headers: { host: 'ingest.example:8080' } }],
    ['left to fastify: forwarded', { ...osm('id=P-1&lat=36.49&lon=117.86&key=nope'), headers: { 'x-forwarded-for': '203.0.113.9' } }],
  ])
  t.equal(fastPathsTaken(), 2)
})

/** Sends a request's head and part of its body, then closes the connection. */
function cutShort(port: number, head: string, part: string): Promise<void> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1', () => {
      c.write(head + part)
      setTimeout(() => {
        c.destroy()
        resolve()
      }, 50)
    })
  })
}

t.test('a body cut short is counted as fastify counts it (400) and nothing is decoded; the server goes on', async (t) => {
  const fast = await side(t, true, {})
  const slow = await side(t, false, {})
  const body = loc()
  const head = `POST /ingest/owntracks HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('P-1', 'p1-pass')}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`
  const osmHead = `POST /ingest/osmand?key=p1-pass HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`
  for (const s of [fast, slow]) {
    await cutShort(s.port, head, body.slice(0, 10))
    await cutShort(s.port, osmHead, body.slice(0, 10))
  }
  await new Promise((r) => setTimeout(r, 100))
  t.same(await fast.counters(), await slow.counters(), 'the same counters')
  t.equal(fast.journal.records.length, 0)
  t.equal((await send(fast.port, ot(basic('P-1', 'p1-pass'), body))).status, 200, 'the next request is answered')
  t.equal(fast.journal.rows('positions').length, 1)
})

t.test('a client gone before the journal append settles: the fix is still kept, nothing breaks', async (t) => {
  let journal: FakeJournal | null = null
  const s = await side(t, true, {}, () => false)
  journal = s.journal
  journal.full = true
  const body = loc()
  const gone = new Promise<void>((resolve) => {
    const c = connect(s.port, '127.0.0.1', () => {
      c.write(`POST /ingest/owntracks HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic('P-1', 'p1-pass')}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
      setTimeout(() => {
        c.destroy()
        resolve()
      }, 100)
    })
  })
  await gone
  t.equal(journal.records.length, 0, 'still waiting for journal space')
  journal.free()
  await new Promise((r) => setTimeout(r, 50))
  t.equal(journal.rows('positions').length, 1, 'kept once there was room')
  t.same((await s.counters()).requests, [['owntracks', '200', 1]], 'counted as answered, as fastify does')
  t.equal((await send(s.port, osm(`id=P-1&timestamp=${TST - 1}&lat=36.49&lon=117.86&key=p1-pass`))).status, 200, 'the server goes on')
})

t.test('a closing server leaves every request to fastify (503)', async (t) => {
  const s = await side(t, true, {})
  t.equal((await send(s.port, osm(`id=P-1&timestamp=${TST}&lat=36.49&lon=117.86&key=p1-pass`))).status, 200)
  const f = made[0]!
  f.closing = true
  t.equal((await send(s.port, osm(`id=P-1&timestamp=${TST - 1}&lat=36.49&lon=117.86&key=p1-pass`))).status, 200, 'fastify answers (it is not closing itself)')
  t.equal(taken.get(f), 1, 'the second request went to fastify')
})
