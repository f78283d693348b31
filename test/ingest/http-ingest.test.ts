// HTTP ingest through the real API server, Ingestor and decoders (a fake journal): device auth
// before anything is read, the response only after the journal append, 503 at the journal bound,
// per-device rate limits, body limits, rejects stored with source http:owntracks / http:osmand.
import t from 'tap'
import { pino } from 'pino'
import { validateConfig } from '../../src/config/load.js'
import { startOsmandListener } from '../../src/ingest/http-ingest.js'
import { StreamHub } from '../../src/api/stream-hub.js'
import { buildApi } from '../../src/api/server.js'
import { createMetrics, type Metrics } from '../../src/telemetry/metrics.js'
import { buildHttpIngestApi } from '../helpers/http-ingest.js'

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0)
const TST = NOW / 1000 - 10

// Device credentials: jane (a user without a unit), P-1 (a unit) and bob-phone (a device name).
const USERS = [{ username: 'jane', password: 'jane-pass' }, { username: 'P-1', password: 'p1-pass' }, { username: 'bob-phone', password: 'bob-pass' }]

// The root test owns every API built here (closed when the file ends), as before the helper.
const setup = (raw: Record<string, unknown> = {}, opts: { full?: () => boolean; now?: () => number } = {}) =>
  buildHttpIngestApi(t, raw, { users: USERS, now: opts.now ?? (() => NOW), ...(opts.full === undefined ? {} : { full: opts.full }) })

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
const loc = (extra: Record<string, unknown> = {}) => JSON.stringify({ _type: 'location', tst: TST, lat: 36.49, lon: 117.86, ...extra })
async function count(m: Metrics, endpoint: string, status: string): Promise<number> {
  return (await m.httpIngestRequests.get()).values.find((v) => v.labels.endpoint === endpoint && v.labels.status === status)?.value ?? 0
}
async function refusals(m: Metrics, reason: string): Promise<number> {
  return (await m.httpIngestAuthFailures.get()).values.filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0)
}

t.test('OwnTracks: Basic auth with broker.users credentials is required, before the body is read', async (t) => {
  const { app, journal, metrics } = await setup()
  let r = await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { 'content-type': 'application/json' } })
  t.equal(r.statusCode, 401)
  t.match(r.headers['www-authenticate'], /^Basic realm="hexpatrol"/)
  t.equal(r.json().code, 'HEXP_ERR_DEVICE_UNAUTHORIZED')
  r = await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { authorization: basic('jane', 'wrong') } })
  t.equal(r.statusCode, 401)
  r = await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { authorization: basic('nobody', 'jane-pass') } })
  t.equal(r.statusCode, 401)
  r = await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { authorization: 'Bearer x' } })
  t.equal(r.statusCode, 401)
  t.equal(journal.records.length, 0, 'nothing journaled for unauthenticated requests, not even a reject')
  t.equal(await refusals(metrics, 'missing_credentials'), 2)
  t.equal(await refusals(metrics, 'bad_credentials'), 2)
  t.equal(await count(metrics, 'owntracks', '401'), 4)
})

t.test('OwnTracks: a location is journaled and answered 200 []', async (t) => {
  const { app, journal, metrics } = await setup()
  const r = await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc({ vel: -1, acc: 12 }), headers: { authorization: basic('P-1', 'p1-pass'), 'content-type': 'application/json' } })
  t.equal(r.statusCode, 200)
  t.equal(r.body, '[]')
  t.match(r.headers['content-type'], /application\/json/)
  const [p] = journal.rows('positions')
  t.match(p, { unit_id: 'P-1', topic: 'http:owntracks', source: 'owntracks', lat: 36.49, speed: null, accuracy: 12, ts: TST * 1000 })
  t.equal(await count(metrics, 'owntracks', '200'), 1)
  const received = (await metrics.messagesReceived.get()).values
  t.same(received.map((v) => v.labels), [{ format: 'owntracks', transport: 'http' }], 'counted by transport')
})

t.test('OwnTracks: the unit is the credentials\' username (the OwnTracks user, as over MQTT); X-Limit-U must be it, X-Limit-D never counts', async (t) => {
  const { app, journal } = await setup()
  const post = (user: string, pass: string, headers: Record<string, string>) => app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { authorization: basic(user, pass), ...headers } })
  t.equal((await post('jane', 'jane-pass', { 'x-limit-u': 'jane', 'x-limit-d': 'phone' })).statusCode, 200)
  t.equal((await post('jane', 'jane-pass', { 'x-limit-d': 'tablet' })).statusCode, 200)
  t.equal((await post('bob-phone', 'bob-pass', { 'x-limit-u': 'bob-phone', 'x-limit-d': 'phone' })).statusCode, 200)
  t.equal((await post('bob-phone', 'bob-pass', { 'x-limit-u': 'bob', 'x-limit-d': 'phone' })).statusCode, 403, 'the user is the login, never <user>-<device>: the MQTT topic owntracks/bob/phone is unit bob too')
  t.equal((await post('jane', 'jane-pass', {})).statusCode, 200)
  t.same(journal.rows('positions').map((p) => p.unit_id), ['jane', 'jane', 'bob-phone', 'jane'], 'a device header never makes another unit id')
  const r = await post('jane', 'jane-pass', { 'x-limit-u': 'P-1', 'x-limit-d': 'phone' })
  t.equal(r.statusCode, 403, 'headers naming another user are refused')
  t.equal(r.json().code, 'HEXP_ERR_DEVICE_FORBIDDEN')
  t.equal(journal.rows('positions').length, 4)
  t.equal((await post('jane', 'jane-pass', { 'x-limit-u': 'jane-phone' })).statusCode, 403, 'nor a longer id')
  t.equal((await post('jane', 'jane-pass', { 'x-limit-d': 'my phone!' })).statusCode, 200, 'an odd device name changes nothing')
  t.same(journal.rows('positions').map((p) => p.unit_id).at(-1), 'jane')
})

t.test('OwnTracks: bulk arrays, empty bodies, non-location types, bad payloads (one decoder with MQTT)', async (t) => {
  const { app, journal, metrics } = await setup()
  const post = (payload: string) => app.inject({ method: 'POST', url: '/ingest/owntracks', payload, headers: { authorization: basic('P-1', 'p1-pass'), 'content-type': 'application/json' } })
  t.equal((await post(`[${loc()},${loc({ tst: TST - 5, lat: 36.5 })},{"_type":"lwt","tst":1},{"_type":"location"}]`)).statusCode, 200)
  t.equal(journal.rows('positions').length, 2, 'both locations of the bulk post')
  t.same(journal.rows('rejects').map((r) => r.reason), ['missing_field'], 'the bad element rejected beside them')
  t.equal((await post('')).body, '[]', 'an empty body is accepted')
  t.equal((await app.inject({ method: 'POST', url: '/ingest/owntracks', headers: { authorization: basic('P-1', 'p1-pass') } })).statusCode, 200, 'no body, no content type')
  t.equal((await post('{"_type":"transition","event":"enter"}')).statusCode, 200)
  t.equal((await post('not json')).statusCode, 200, 'a reject is journaled and answered, as MQTT acks it')
  t.equal((await post('"location"')).statusCode, 200)
  t.equal((await post(loc({ lat: 0, lon: 0 }))).statusCode, 200)
  const rej = journal.rows('rejects').map((r) => [r.reason, r.topic, r.unit_id])
  t.same(rej.slice(1), [['invalid_json', 'http:owntracks', 'P-1'], ['not_an_object', 'http:owntracks', 'P-1'], ['null_island', 'http:owntracks', 'P-1']])
  const ignored = (await metrics.messagesIgnored.get()).values.map((v) => [v.labels.type, v.value])
  t.same(ignored.sort(), [['empty', 2], ['lwt', 1], ['transition', 1]])
  const textPlain = await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc({ tst: TST - 1 }), headers: { authorization: basic('P-1', 'p1-pass'), 'content-type': 'text/plain' } })
  t.equal(textPlain.statusCode, 200, 'the content type does not matter')
  t.equal(journal.rows('positions').length, 3)
})

t.test('the response waits for the journal append (answered means kept)', async (t) => {
  const { app, journal } = await setup()
  journal.full = true
  let answered = false
  const pending = app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { authorization: basic('P-1', 'p1-pass') } }).then((r) => {
    answered = true
    return r
  })
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(answered, false, 'no answer while the record waits for journal space')
  t.equal(journal.records.length, 0)
  journal.free()
  const r = await pending
  t.equal(r.statusCode, 200)
  t.equal(journal.rows('positions').length, 1, 'answered once journaled')
})

t.test('a journal at its bound answers 503 with Retry-After and takes nothing', async (t) => {
  const { app, journal, seen, metrics } = await setup({ http_ingest: { retry_after: '45s' } }, { full: () => true })
  const r = await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { authorization: basic('P-1', 'p1-pass') } })
  t.equal(r.statusCode, 503)
  t.equal(r.headers['retry-after'], '45')
  t.equal(r.json().code, 'HEXP_ERR_JOURNAL_FULL')
  const o = await app.inject({ method: 'GET', url: '/ingest/osmand?id=P-1&lat=36.49&lon=117.86&key=p1-pass' })
  t.equal(o.statusCode, 503)
  t.equal(o.headers['retry-after'], '45')
  t.equal(seen.length, 0, 'nothing reached the pipeline: no rule state, no recent-fix entry')
  t.equal(journal.records.length, 0)
  t.equal((await metrics.messagesReceived.get()).values.length, 0)
})

t.test('a journal that fails: OwnTracks gets no answer (so the app retries), OsmAnd a 503', async (t) => {
  const { app, journal, metrics, logs } = await setup()
  journal.fail = true
  const addr = await app.listen({ port: 0, host: '127.0.0.1' })
  const ot = await fetch(`${addr}/ingest/owntracks`, { method: 'POST', body: loc(), headers: { authorization: basic('P-1', 'p1-pass') } }).then(() => 'answered', () => 'connection closed')
  t.equal(ot, 'connection closed')
  t.equal(await count(metrics, 'owntracks', 'aborted'), 1)
  const os = await fetch(`${addr}/ingest/osmand?id=P-1&lat=36.49&lon=117.86&key=p1-pass`)
  t.equal(os.status, 503)
  t.ok(os.headers.get('retry-after'))
  t.equal(await count(metrics, 'osmand', '503'), 1)
  const failed = logs.filter((l) => /could not journal/.test(String(l.msg)))
  t.match(failed, [{ level: 50, endpoint: 'owntracks', status: 'aborted', err: { message: 'journal is closed' }, reqId: String }, { level: 50, endpoint: 'osmand', err: { message: 'journal is closed' } }], 'each logged with its cause')
})

t.test('per-device rate limits: 429 with Retry-After, other devices unaffected', async (t) => {
  const { app, journal, metrics } = await setup({ http_ingest: { rate_limit_per_minute: 6, rate_limit_burst: 2 } })
  const post = (user: string, pass: string, i: number) => app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc({ tst: TST - i }), headers: { authorization: basic(user, pass) } })
  t.equal((await post('P-1', 'p1-pass', 1)).statusCode, 200)
  t.equal((await post('P-1', 'p1-pass', 2)).statusCode, 200)
  const r = await post('P-1', 'p1-pass', 3)
  t.equal(r.statusCode, 429)
  t.equal(r.headers['retry-after'], '10', 'one token every 10 s')
  t.equal(r.json().code, 'HEXP_ERR_RATE_LIMITED')
  t.equal((await post('jane', 'jane-pass', 4)).statusCode, 200, 'another device has its own bucket')
  t.equal((await app.inject({ method: 'GET', url: '/ingest/osmand?id=P-1&lat=1&lon=1&key=p1-pass' })).statusCode, 429, 'the bucket is per device across endpoints')
  t.equal(journal.rows('positions').length, 3)
  t.equal(await refusals(metrics, 'rate_limited'), 2)
})

t.test('refusals are each counted and logged at most once a second (on the ingest clock), with the labels they were counted with', async (t) => {
  let now = NOW
  const { app, metrics, logs } = await setup({}, { now: () => now })
  const bad = () => app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { authorization: basic('P-1', 'wrong') } })
  const anonymous = () => app.inject({ method: 'GET', url: '/ingest/osmand?lat=1&lon=1' })
  t.equal((await bad()).statusCode, 401)
  t.equal((await anonymous()).statusCode, 400)
  now += 999
  t.equal((await bad()).statusCode, 401)
  now += 1
  t.equal((await anonymous()).statusCode, 400)
  t.equal(await refusals(metrics, 'bad_credentials'), 2)
  t.equal(await refusals(metrics, 'no_id'), 2)
  const lines = logs.filter((l) => /^Refused an HTTP ingest request/.test(String(l.msg)))
  t.match(lines, [{ level: 40, endpoint: 'owntracks', reason: 'bad_credentials', ip: '127.0.0.1', reqId: String, sinceLastLog: 0 }, { endpoint: 'osmand', reason: 'no_id', sinceLastLog: 2 }])
  t.equal(lines.length, 2, 'one line a second')
  t.notOk(JSON.stringify(lines).includes('wrong'), 'never the secret')
})

t.test('body limit: 413', async (t) => {
  const { app, metrics } = await setup({ http_ingest: { body_limit_bytes: 1024 } })
  const r = await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: 'x'.repeat(2000), headers: { authorization: basic('P-1', 'p1-pass'), 'content-type': 'application/json' } })
  t.equal(r.statusCode, 413)
  t.match(r.json().message, /http_ingest.body_limit_bytes/)
  t.equal(await count(metrics, 'owntracks', '413'), 1)
  const o = await app.inject({ method: 'POST', url: '/ingest/osmand', payload: 'id=P-1&' + 'x'.repeat(2000), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(o.statusCode, 413)
  t.equal(await count(metrics, 'osmand', '413'), 1)
})

// Was the default until issue 19; now an explicit opt-in (the default needs the device password: below).
t.test('OsmAnd with osmand_auth: units: configured units only; no id → 400', async (t) => {
  const { app, journal, metrics } = await setup({ http_ingest: { osmand_auth: 'units' } })
  let r = await app.inject({ method: 'GET', url: `/ingest/osmand?id=P-1&timestamp=${TST}&lat=36.49&lon=117.86&speed=10` })
  t.equal(r.statusCode, 200)
  t.equal(r.body, '')
  t.match(journal.rows('positions')[0], { unit_id: 'P-1', topic: 'http:osmand', source: 'osmand', ts: TST * 1000 })
  t.ok(Math.abs((journal.rows('positions')[0]!.speed as number) - 10 * 1852 / 3600) < 1e-9, 'knots stored as m/s')
  r = await app.inject({ method: 'GET', url: '/ingest/osmand?lat=36.49&lon=117.86' })
  t.equal(r.statusCode, 400)
  t.equal(r.json().code, 'HEXP_ERR_BAD_REQUEST')
  t.equal((await app.inject({ method: 'POST', url: '/ingest/osmand', payload: '{"location":', headers: { 'content-type': 'application/json' } })).statusCode, 400, 'JSON that does not parse names no device')
  t.equal((await app.inject({ method: 'GET', url: '/ingest/osmand?id=no%20such&lat=1&lon=1' })).statusCode, 400, 'an id that is no unit id')
  r = await app.inject({ method: 'GET', url: '/ingest/osmand?id=X-99&lat=36.49&lon=117.86' })
  t.equal(r.statusCode, 403, 'an unknown id')
  t.equal(r.json().code, 'HEXP_ERR_DEVICE_FORBIDDEN')
  t.equal(await refusals(metrics, 'unknown_unit'), 1)
  t.equal(await refusals(metrics, 'no_id'), 2)
  r = await app.inject({ method: 'POST', url: '/ingest/osmand', payload: `id=P-2&lat=36.5&lon=117.9&timestamp=${encodeURIComponent('2026-11-30 11:59:00')}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(r.statusCode, 200, 'form body')
  r = await app.inject({ method: 'POST', url: '/ingest/osmand', payload: { device_id: 'P-2', location: { timestamp: new Date(NOW - 5000).toISOString(), coords: { latitude: 36.51, longitude: 117.91, speed: 3 }, battery: { level: 0.5 } } } })
  t.equal(r.statusCode, 200, 'JSON body of the new Traccar Client')
  t.same(journal.rows('positions').map((p) => [p.unit_id, p.lat]), [['P-1', 36.49], ['P-2', 36.5], ['P-2', 36.51]])
  r = await app.inject({ method: 'GET', url: '/ingest/osmand?id=P-1&lat=95&lon=1&foo=bar' })
  t.equal(r.statusCode, 200, 'an invalid fix is a stored reject (a 4xx would make the app retry it forever)')
  t.match(journal.rows('rejects')[0], { reason: 'lat_out_of_range', topic: 'http:osmand', unit_id: 'P-1', payload: 'id=P-1&lat=95&lon=1&foo=bar' })
  t.equal((await app.inject({ method: 'PUT', url: '/ingest/osmand?id=P-1' })).statusCode, 404)
})

t.test('OsmAnd by default (osmand_auth: credentials): the secret parameter or Basic auth', async (t) => {
  const { app, journal } = await setup()
  const get = (q: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: `/ingest/osmand?${q}`, headers })
  t.equal((await get('id=P-1&lat=1&lon=1')).statusCode, 401, 'a configured unit without its secret')
  t.equal((await get('id=P-1&lat=1&lon=1&key=wrong')).statusCode, 401)
  t.equal((await get('id=P-1&lat=1&lon=1', { authorization: basic('jane', 'jane-pass') })).statusCode, 401, 'Basic auth of another device')
  t.equal((await get('id=P-1&lat=91&lon=1&key=p1-pass')).statusCode, 200)
  t.equal((await get('id=P-1&lat=1&lon=1.5', { authorization: basic('P-1', 'p1-pass') })).statusCode, 200)
  t.equal((await get('id=jane&lat=1&lon=2&key=jane-pass')).statusCode, 200, 'any broker.users device, configured unit or not')
  t.equal(journal.rows('positions').length, 2)
  t.notMatch(JSON.stringify(journal.rows('rejects')), /p1-pass/, 'the secret is never stored')
  const form = await app.inject({ method: 'POST', url: '/ingest/osmand?key=p1-pass', payload: 'id=P-1&lat=1&lon=3', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(form.statusCode, 200, 'the secret in the server URL, the position in the body')
})

t.test('the dedicated OsmAnd port: any path, IP allow-list', async (t) => {
  const { httpIngest, config } = await setup()
  const open = await startOsmandListener(httpIngest, { ...config, http: { ...config.http, host: '127.0.0.1' }, http_ingest: { ...config.http_ingest, osmand_port: 0 } }, pino({ level: 'silent' }))
  t.teardown(() => {
    open.server.closeAllConnections()
    return open.close()
  })
  const a = open.server.address() as { port: number }
  t.equal((await fetch(`http://127.0.0.1:${a.port}/?id=P-1&lat=36.49&lon=117.86&key=p1-pass`)).status, 200, 'Traccar Client posts to /')
  t.equal((await fetch(`http://127.0.0.1:${a.port}/any/path?id=P-1&lat=36.49&lon=117.87&key=p1-pass`, { method: 'POST' })).status, 200)
  t.equal((await fetch(`http://127.0.0.1:${a.port}/?lat=1&lon=1`)).status, 400)
  t.equal((open.server.address() as { address: string }).address, '127.0.0.1', 'bound to http.host unless osmand_host is set')

  const listed = await setup({ http_ingest: { osmand_port: 0, osmand_host: '127.0.0.1', osmand_allow_ips: ['10.0.0.0/8', '::1'] } })
  const closed = await startOsmandListener(listed.httpIngest, listed.config, pino({ level: 'silent' }))
  t.teardown(() => {
    closed.server.closeAllConnections()
    return closed.close()
  })
  const b = closed.server.address() as { port: number }
  const r = await fetch(`http://127.0.0.1:${b.port}/?id=P-1&lat=36.49&lon=117.88`)
  t.equal(r.status, 403, '127.0.0.1 is not in 10.0.0.0/8')
  t.equal(((await r.json()) as { code: string }).code, 'HEXP_ERR_DEVICE_FORBIDDEN')
  t.equal(listed.journal.records.length, 0)
  t.equal(await refusals(listed.metrics, 'ip_not_allowed'), 1)
})

t.test('an unexpected failure is a coded 500, logged; client errors keep their status', async (t) => {
  let thrown: Error = new Error('boom')
  const { app, metrics, logs } = await setup({}, { full: () => { throw thrown } })
  let r = await app.inject({ method: 'GET', url: '/ingest/osmand?id=P-1&lat=1&lon=1&key=p1-pass' })
  t.equal(r.statusCode, 500)
  t.same(r.json(), { code: 'HEXP_ERR_INTERNAL', message: 'Internal error; see the engine log.' })
  t.equal(await count(metrics, 'osmand', '500'), 1)
  thrown = Object.assign(new Error('teapot'), { statusCode: 418 })
  r = await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { authorization: basic('P-1', 'p1-pass') } })
  t.equal(r.statusCode, 418)
  t.same(r.json(), { code: 'HEXP_ERR_BAD_REQUEST', message: 'teapot' })
  t.equal(await count(metrics, 'owntracks', '418'), 1)
  t.match(logs.filter((l) => l.msg === 'HTTP ingest request failed.'), [{ level: 50, endpoint: 'osmand', status: '500', err: { message: 'boom' } }], 'the 500 is logged with the labels it was counted with; the 418 only counted')
  t.equal(logs.filter((l) => l.msg === 'HTTP ingest request failed.').length, 1)
})

t.test('http_ingest.enabled: false registers no ingest routes', async (t) => {
  const config = validateConfig({ http_ingest: { enabled: false } })
  t.equal(config.http_ingest.enabled, false)
  const app = await buildApi({ config, logger: pino({ level: 'silent' }), registry: createMetrics({ defaults: false }).registry, now: () => NOW, readiness: async () => ({}), stream: new StreamHub(), audit: () => undefined })
  t.teardown(() => app.close())
  t.equal((await app.inject({ method: 'GET', url: '/ingest/osmand?id=P-1&lat=1&lon=1' })).statusCode, 404)
})

t.test('hostile bodies get the same treatment as over MQTT: counted rejects, never a crash', async (t) => {
  const { app, journal } = await setup({ http_ingest: { rate_limit_burst: 100 } })
  const ot = (payload: string | Buffer, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url: '/ingest/owntracks', payload, headers: { authorization: basic('P-1', 'p1-pass'), ...headers } })
  t.equal((await ot('['.repeat(100_000))).statusCode, 200, 'absurd nesting')
  t.equal((await ot(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).statusCode, 200, 'not UTF-8')
  t.equal((await ot('{"__proto__":{"lat":1,"lon":1,"tst":1},"_type":"location"}')).statusCode, 200, 'prototype keys supply nothing')
  t.equal((await ot(loc(), { 'x-limit-d': 'd'.repeat(3000) })).statusCode, 200, 'an absurd device name (ignored: the unit is the username)')
  t.same(journal.rows('rejects').map((r) => r.reason), ['invalid_json', 'invalid_json', 'missing_field'])
  t.ok(journal.rows('rejects').every((r) => Buffer.byteLength(String(r.payload)) <= 2048 && Buffer.byteLength(String(r.detail)) < 1024), 'stored payloads and details are bounded')
  const os = (url: string, payload?: string) => app.inject({ method: payload === undefined ? 'GET' : 'POST', url, ...(payload === undefined ? {} : { payload, headers: { 'content-type': 'application/json' } }) })
  t.equal((await os('/ingest/osmand?__proto__=1&constructor=x&toString=y&id=P-1&lat=1&lon=1&key=p1-pass')).statusCode, 200)
  t.equal((await os('/ingest/osmand?key=p1-pass', '{"device_id":"P-1","location":{"__proto__":{"coords":{"latitude":1,"longitude":1}}}}')).statusCode, 200)
  t.equal((await os('/ingest/osmand?id=P-1&lat=' + '9'.repeat(5000) + '&lon=1&key=p1-pass')).statusCode, 200)
  t.equal(journal.rows('positions').length, 2, 'the OwnTracks fix with the absurd device name, and one OsmAnd fix')
  t.same(journal.rows('rejects').slice(3).map((r) => r.reason), ['missing_field', 'not_finite'])
})
