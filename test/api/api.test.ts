// The HTTP API with a real rule engine and dispatcher behind it (no MQTT, no ClickHouse): routes,
// schemas, admin auth, coded errors, and hostile requests.
import t from 'tap'
import { pino } from 'pino'
import { latLngToCell } from 'h3-js'
import { validateConfig } from '../../src/config/load.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { Dispatcher } from '../../src/alerts/dispatcher.js'
import { buildApi } from '../../src/api/server.js'
import { StreamHub } from '../../src/api/stream-hub.js'
import type { ApiContext } from '../../src/api/context.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import { createMetrics } from '../../src/telemetry/metrics.js'
import type { Fix } from '../../src/decode/fix.js'
import { tempDir } from '../helpers/harness.js'

const T0 = 1_800_000_000_000
const TOKEN = 'admin-token-0123456789'
const config = validateConfig({
  http: { admin_token: TOKEN, body_limit_bytes: 4096 },
  units: [{ id: 'P-1', name: 'Car 1', post: 's1', zone: 'g1' }, { id: 'O-2', kind: 'officer', zone: 'g1' }],
  posts: [{ id: 's1', name: 'Station 1', lat: 36.49, lon: 117.86, radius_m: 1500 }],
  zones: [{ id: 'g1', name: 'Grid 1', geometry: { type: 'Polygon', coordinates: [[[117.84, 36.47], [117.88, 36.47], [117.88, 36.51], [117.84, 36.51], [117.84, 36.47]]] }, coverage: { response_radius_m: 1500 } }],
  webhooks: [{ id: 'desk', url: 'https://duty.example.org/hook', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }],
})
let now = T0
const engine = new RuleEngine(compileDeployment(config), { startedAt: T0 })
const dispatcher = new Dispatcher({ dir: tempDir(), webhooks: config.webhooks, delivery: config.delivery, logger: pino({ level: 'silent' }), now: () => now })
const emitted: AlertEvent[] = []
let ready = true
const metrics = createMetrics({ defaults: false })
const ctx: ApiContext = {
  config,
  logger: pino({ level: 'silent' }),
  registry: metrics.registry,
  now: () => now,
  readiness: async () => ({ mqtt: { ok: ready, detail: ready ? 'subscribed' : 'not subscribed' }, clickhouse: { ok: true } }),
  engine,
  dispatcher,
  track: async (unit, from, to, limit) => [{ ts: from, lat: 36.49, lon: 117.86, speed: null, accuracy: 5, h3: latLngToCell(36.49, 117.86, 9), flags: 0 }].slice(0, limit),
  emit: (events) => emitted.push(...events),
  stream: new StreamHub(),
  audit: () => undefined,
}
const app = await buildApi(ctx, {})
t.teardown(() => app.close())

function fix(unit: string, ts: number, lat: number, lon: number): Fix {
  return { unitId: unit, ts, receivedAt: ts, lat, lon, h3: latLngToCell(lat, lon, 9), speed: null, heading: null, accuracy: 5, altitude: null, battery: null, seq: null, source: 'native', topic: `fleet/${unit}/position`, flags: 0 }
}
const auth = { authorization: `Bearer ${TOKEN}` }

t.test('health, readiness and metrics', async (t) => {
  t.same((await app.inject('/healthz')).json(), { status: 'ok' })
  let r = await app.inject('/readyz')
  t.equal(r.statusCode, 200)
  t.equal(r.json().status, 'ready')
  ready = false
  r = await app.inject('/readyz')
  t.equal(r.statusCode, 503)
  t.same(r.json().components.mqtt, { ok: false, detail: 'not subscribed' }, '503 names the component')
  ready = true
  metrics.fixesAccepted.inc({ format: 'native' })
  r = await app.inject('/metrics')
  t.match(r.headers['content-type'], /text\/plain/)
  t.match(r.body, /hexpatrol_fixes_accepted_total\{format="native"\} 1/)
})

t.test('live units, nearest search, zones and coverage', async (t) => {
  // P-1 drives out of its post's radius for longer than the dwell.
  for (let i = 0; i <= 16; i++) {
    now = T0 + i * 5000
    const f = fix('P-1', now, 36.49 + (i < 2 ? 0 : 0.02), 117.86)
    f.flags = engine.classify(f)
    emitted.push(...engine.ingest(f, now))
    emitted.push(...engine.tick(now))
  }
  const o2 = fix('O-2', now, 36.489, 117.861)
  o2.flags = engine.classify(o2)
  engine.ingest(o2, now)
  engine.tick(now + 6000)
  now += 6000
  const units = (await app.inject('/api/v1/units')).json().units as Array<{ id: string }>
  t.same(units.map((u) => u.id).sort(), ['O-2', 'P-1'])
  const p1 = (await app.inject('/api/v1/units/P-1')).json()
  t.equal(p1.inBreach, true, 'P-1 is in breach after the dwell')
  t.ok(p1.distanceFromPostM > 1500)
  t.equal((await app.inject('/api/v1/units/NOPE')).statusCode, 404)
  const near = (await app.inject('/api/v1/search/nearest?lat=36.49&lon=117.86&k=1')).json()
  t.equal(near.units.length, 1)
  t.equal(near.units[0].id, 'O-2', 'the officer next to the station is nearest')
  const officers = (await app.inject('/api/v1/search/nearest?lat=36.52&lon=117.86&k=5&kind=vehicle&max_distance_m=5000')).json()
  t.same(officers.units.map((u: { id: string }) => u.id), ['P-1'])
  const bad = await app.inject('/api/v1/search/nearest?lat=91&lon=0')
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'HEXP_ERR_BAD_REQUEST')
  t.equal((await app.inject('/api/v1/search/nearest?lat=1&lon=2&evil=1')).statusCode, 400, 'unknown query keys refused')
  const zones = (await app.inject('/api/v1/zones')).json().zones
  t.equal(zones[0].id, 'g1')
  t.ok(zones[0].cellCount > 0)
  const cov = (await app.inject('/api/v1/zones/g1/coverage?limit=3')).json()
  t.ok(cov.staleCells.length <= 3)
  t.equal((await app.inject('/api/v1/zones/nope/coverage')).statusCode, 404)
  const track = (await app.inject('/api/v1/units/P-1/track?from=2027-01-15T08:00:00Z&to=1800000100000&limit=5')).json()
  t.equal(track.points.length, 1)
  t.equal((await app.inject('/api/v1/units/P-1/track?from=later')).statusCode, 400)
  t.equal((await app.inject(`/api/v1/units/P-1/track?from=${T0 + 10}&to=${T0}`)).statusCode, 400)
})

t.test('alerts: list, get, acknowledge with the admin token', async (t) => {
  const open = (await app.inject('/api/v1/alerts')).json().alerts as Array<{ id: string; kind: string }>
  const breach = open.find((a) => a.kind === 'radius_breach')
  t.ok(breach, 'the breach is open')
  t.equal((await app.inject(`/api/v1/alerts/${breach!.id}`)).statusCode, 200)
  t.equal((await app.inject('/api/v1/alerts/al_nope')).statusCode, 404)
  let r = await app.inject({ method: 'POST', url: `/api/v1/alerts/${breach!.id}/ack`, payload: { by: 'sgt.wang' } })
  t.equal(r.statusCode, 401, 'no token')
  t.equal(r.json().code, 'HEXP_ERR_UNAUTHORIZED')
  r = await app.inject({ method: 'POST', url: `/api/v1/alerts/${breach!.id}/ack`, payload: { by: 'sgt.wang' }, headers: { authorization: 'Bearer wrong-token-wrong-token' } })
  t.equal(r.statusCode, 401, 'wrong token')
  r = await app.inject({ method: 'POST', url: `/api/v1/alerts/${breach!.id}/ack`, payload: { by: 'sgt.wang', extra: 1 }, headers: auth })
  t.equal(r.statusCode, 400, 'unknown body keys refused')
  const before = emitted.length
  r = await app.inject({ method: 'POST', url: `/api/v1/alerts/${breach!.id}/ack`, payload: { by: 'sgt.wang' }, headers: auth })
  t.equal(r.statusCode, 200)
  t.equal(r.json().type, 'radius_breach.acknowledged')
  t.equal(emitted.length, before + 1, 'the transition is journaled and delivered')
  r = await app.inject({ method: 'POST', url: `/api/v1/alerts/${breach!.id}/ack`, payload: { by: 'sgt.wang' }, headers: auth })
  t.equal(r.statusCode, 409, 'already acknowledged')
  r = await app.inject({ method: 'POST', url: '/api/v1/alerts/al_nope/ack', payload: { by: 'x' }, headers: auth })
  t.equal(r.statusCode, 404)
})

t.test('webhook administration', async (t) => {
  t.equal((await app.inject('/api/v1/webhooks')).statusCode, 401)
  let r = await app.inject({ url: '/api/v1/webhooks', headers: auth })
  const list = r.json().webhooks as Array<{ id: string; url: string }>
  t.same(list.map((w) => w.id), ['desk'])
  t.notMatch(JSON.stringify(list), /whsec_/, 'secrets are never shown')
  r = await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: auth, payload: { id: 'ops', url: 'https://ops.example.org/h', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['coverage_gap.*'] } })
  t.equal(r.statusCode, 201)
  t.equal(r.json().id, 'ops')
  r = await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: auth, payload: { id: 'ops', url: 'https://ops.example.org/h' } })
  t.equal(r.statusCode, 409)
  r = await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: auth, payload: { id: 'x', url: 'gopher://x' } })
  t.equal(r.statusCode, 400)
  r = await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: auth, payload: { id: 'x', url: 'nope' } })
  t.equal(r.statusCode, 400)
  r = await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: auth, payload: { id: 'x', url: 'https://a', bogus: true } })
  t.equal(r.statusCode, 400)
  t.match(r.json().message, /bogus/)
  r = await app.inject({ method: 'POST', url: '/api/v1/webhooks/ops/enable', headers: auth })
  t.equal(r.statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/webhooks/none/enable', headers: auth })).statusCode, 404)
  t.same((await app.inject({ url: '/api/v1/webhooks/dead-letters', headers: auth })).json(), { deadLetters: [] })
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/webhooks/dead-letters/none/retry', headers: auth })).statusCode, 404)
  t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/webhooks/ops', headers: auth })).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/webhooks/ops', headers: auth })).statusCode, 404)
})

t.test('hostile requests get clear errors', async (t) => {
  const big = await app.inject({ method: 'POST', url: '/api/v1/alerts/x/ack', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ by: 'x'.repeat(10_000) }) })
  t.equal(big.statusCode, 413)
  const junk = await app.inject({ method: 'POST', url: '/api/v1/alerts/x/ack', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"by":' })
  t.equal(junk.statusCode, 400)
  const proto = await app.inject({ method: 'POST', url: '/api/v1/alerts/x/ack', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"__proto__":{"admin":true},"by":"x"}' })
  t.equal(proto.statusCode, 400)
  const type = await app.inject({ method: 'POST', url: '/api/v1/alerts/x/ack', headers: { ...auth, 'content-type': 'text/xml' }, payload: '<by/>' })
  t.equal(type.statusCode, 415)
  const nf = await app.inject('/nope')
  t.equal(nf.statusCode, 404)
  t.equal(nf.json().code, 'HEXP_ERR_NOT_FOUND')
  const long = await app.inject(`/api/v1/units/${'x'.repeat(500)}`)
  t.equal(long.statusCode, 414, 'over-long path parameters are refused before any handler')
})

t.test('admin endpoints are disabled without a token; missing engine is reported', async (t) => {
  const bare = await buildApi({ ...ctx, config: validateConfig({}), engine: undefined, dispatcher: undefined, track: undefined }, {})
  t.teardown(() => bare.close())
  const r = await bare.inject({ url: '/api/v1/webhooks', headers: auth })
  t.equal(r.statusCode, 403)
  t.equal(r.json().code, 'HEXP_ERR_ADMIN_DISABLED')
  t.equal((await bare.inject('/api/v1/units')).statusCode, 503)
  t.equal((await bare.inject('/api/v1/alerts')).statusCode, 503)
  t.equal((await bare.inject('/api/v1/units/P-1/track')).statusCode, 503)
})
