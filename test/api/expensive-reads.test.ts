// Bounded expensive reads (issue 19, item 10): replay, tracks, the incident list and reports run
// a few at a time per token and in all (429 / 503 with Retry-After and a coded error beyond),
// slots come back when a response ends or its client goes away, cheap routes are not gated, and
// every such route caps what one answer holds (a `next` where the route had no cursor).
import t from 'tap'
import { request } from 'node:http'
import Fastify from 'fastify'
import { ReadGate } from '../../src/api/read-gate.js'
import { reportsPlugin } from '../../src/api/reports.js'
import { installErrorHandler } from '../../src/api/errors.js'
import { ErrorBody } from '../../src/api/schemas.js'
import type { ReportsApi } from '../../src/reports/index.js'
import type { TrackPoint } from '../../src/api/context.js'
import { T0, as, rig, testConfig } from './helpers.js'

t.test('ReadGate: per key, then in all; a release frees exactly one slot, once', async (t) => {
  const g = new ReadGate(2, 3)
  const a1 = g.take('a')
  const a2 = g.take('a')
  t.type(a1, 'function')
  t.type(a2, 'function')
  t.equal(g.take('a'), 'token')
  const b1 = g.take('b')
  t.type(b1, 'function')
  t.equal(g.take('c'), 'total')
  t.equal(g.inFlight, 3)
  ;(a1 as () => void)()
  ;(a1 as () => void)()
  t.equal(g.inFlight, 2, 'a second release of the same slot does nothing')
  t.type(g.take('c'), 'function')
  ;(a2 as () => void)()
  ;(b1 as () => void)()
  t.equal(g.inFlight, 1)
  t.type(g.take('a'), 'function', 'a key with no slot left is forgotten and starts afresh')
})

/** A track reader that holds every read until released. */
function heldTrack() {
  const waiting: Array<() => void> = []
  const points: TrackPoint[] = [{ ts: T0, lat: 36.49, lon: 117.86, speed: null, accuracy: 5, h3: '8928308280fffff', flags: 0 }]
  return {
    waiting,
    track: (_u: string, _f: number, _t: number, limit: number) => new Promise<TrackPoint[]>((resolve) => waiting.push(() => resolve(points.slice(0, limit)))),
    releaseAll: () => { for (const w of waiting.splice(0)) w() },
  }
}

const settle = () => new Promise((r) => setTimeout(r, 20))

t.test('over the token\'s share: 429; over the total: 503; both with Retry-After; cheap routes pass', async (t) => {
  const held = heldTrack()
  const x = await rig({ config: testConfig({ http: { expensive_reads: { per_token: 1, total: 2 } } }), ctx: { track: held.track } })
  t.teardown(() => x.app.close())
  const url = `/api/v1/units/P-1/track?from=${T0}&to=${T0 + 60_000}`
  const first = x.app.inject({ url, headers: as('read') })
  await settle()
  const same = await x.app.inject({ url, headers: as('read') })
  t.equal(same.statusCode, 429)
  t.equal(same.json().code, 'HEXP_ERR_RATE_LIMITED')
  t.match(same.json().message, /already has 1 expensive reads.*per_token/)
  t.equal(same.headers['retry-after'], '2')
  const second = x.app.inject({ url, headers: as('operate') })
  await settle()
  const busy = await x.app.inject({ url, headers: as('admin') })
  t.equal(busy.statusCode, 503)
  t.equal(busy.json().code, 'HEXP_ERR_BUSY')
  t.equal(busy.headers['retry-after'], '2')
  t.equal((await x.app.inject({ url: '/api/v1/units', headers: as('admin') })).statusCode, 200, 'live state is not gated')
  t.equal(held.waiting.length, 2, 'the refused reads never reached ClickHouse')
  held.releaseAll()
  t.equal((await first).statusCode, 200)
  t.equal((await second).statusCode, 200)
  const again = x.app.inject({ url, headers: as('admin') })
  await settle()
  held.releaseAll()
  t.equal((await again).statusCode, 200, 'slots come back when responses end')
})

t.test('a client that goes away gives its slot back', async (t) => {
  const held = heldTrack()
  const x = await rig({ config: testConfig({ http: { expensive_reads: { per_token: 1, total: 1 } } }), ctx: { track: held.track } })
  await x.app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => x.app.close())
  const port = (x.app.server.address() as { port: number }).port
  const path = `/api/v1/units/P-1/track?from=${T0}&to=${T0 + 60_000}`
  const req = request({ port, host: '127.0.0.1', path, headers: as('read') })
  req.on('error', () => undefined)
  req.end()
  while (held.waiting.length === 0) await settle()
  t.equal((await x.app.inject({ url: path, headers: as('operate') })).statusCode, 503, 'the one slot is taken')
  req.destroy()
  await settle()
  const next = x.app.inject({ url: path, headers: as('operate') })
  await settle()
  held.releaseAll()
  t.equal((await next).statusCode, 200, 'taken again once the first client left')
})

t.test('track: at most 50,000 points an answer, with `next` when there may be more', async (t) => {
  const x = await rig()
  t.teardown(() => x.app.close())
  let r = await x.app.inject({ url: `/api/v1/units/P-1/track?from=${T0}&to=${T0 + 60_000}&limit=1`, headers: as('read') })
  t.same(r.json().points.map((p: { ts: number }) => p.ts), [T0])
  t.equal(r.json().next, T0 + 1, 'the next page starts after the last point')
  r = await x.app.inject({ url: `/api/v1/units/P-1/track?from=${T0 + 1}&to=${T0 + 60_000}&limit=5`, headers: as('read') })
  t.equal(r.json().next, null)
  r = await x.app.inject({ url: `/api/v1/units/P-1/track?from=${T0}&limit=50001`, headers: as('read') })
  t.equal(r.statusCode, 400)
})

t.test('incidents: at most 10,000 an answer', async (t) => {
  const x = await rig()
  t.teardown(() => x.app.close())
  const r = await x.app.inject({ url: '/api/v1/incidents?limit=10001', headers: as('read') })
  t.equal(r.statusCode, 400)
  t.match(r.json().message, /limit/)
})

t.test('reports: route and events at most 20,000 rows an answer; report reads are gated', async (t) => {
  const calls: number[] = []
  const reports = {
    service: { route: async (_id: string, _f: number, _t: number, limit: number) => { calls.push(limit); return [] }, events: async (_f: number, _t: number, limit: number) => { calls.push(limit); return [] } },
  } as unknown as ReportsApi
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: true } } })
  installErrorHandler(app)
  app.addSchema(ErrorBody)
  const routes: Array<{ url: string; expensive: boolean }> = []
  app.addHook('onRoute', (r) => { if (r.method === 'GET') routes.push({ url: r.url, expensive: r.config?.expensive === true }) })
  await app.register(reportsPlugin, { reports, now: () => T0 })
  t.teardown(() => app.close())
  const q = `from=${T0 - 3_600_000}&to=${T0}`
  t.equal((await app.inject({ url: `/api/v1/reports/units/P-1/route?${q}&limit=20001` })).statusCode, 400)
  t.equal((await app.inject({ url: `/api/v1/reports/events?${q}&limit=20001` })).statusCode, 400)
  t.equal((await app.inject({ url: `/api/v1/reports/events?${q}&limit=20000` })).statusCode, 200)
  t.same(calls, [20_000])
  t.same(routes.filter((r) => r.expensive).map((r) => r.url).sort(), [
    '/api/v1/reports/events', '/api/v1/reports/plans', '/api/v1/reports/summary', '/api/v1/reports/units/:id',
    '/api/v1/reports/units/:id/events', '/api/v1/reports/units/:id/route', '/api/v1/reports/units/:id/stops', '/api/v1/reports/units/:id/trips',
  ])
})
