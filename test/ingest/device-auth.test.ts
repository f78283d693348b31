// Issue 19, items 3 and 4, through the real API server, HTTP ingest, OsmAnd port and embedded broker
// sharing one credential throttle as the engine wires them: OsmAnd needs the device password by
// default (units mode is an opt-in warned about at start-up); wrong passwords back off per address
// and per username, across transports, and a throttled request is answered 429 unchecked.
import t from 'tap'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { validateConfig } from '../../src/config/load.js'
import { createDecoder, decoderOptionsFromConfig } from '../../src/decode/decoder.js'
import { Ingestor, type JournalWriter } from '../../src/ingest/ingestor.js'
import { HttpIngest, startOsmandListener } from '../../src/ingest/http-ingest.js'
import { AuthThrottle, throttleOptions } from '../../src/ingest/auth-throttle.js'
import { createBrokerAuth } from '../../src/ingest/broker-auth.js'
import { startEmbeddedBroker } from '../../src/ingest/embedded-broker.js'
import { StreamHub } from '../../src/api/stream-hub.js'
import { buildApi } from '../../src/api/server.js'
import { createMetrics, type Metrics } from '../../src/telemetry/metrics.js'
import { captureLogger } from '../delivery/fixtures/alerts.js'

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0)
const TST = NOW / 1000 - 10

class Journal implements JournalWriter {
  records = 0
  append(): boolean {
    this.records++
    return true
  }
  whenWritable(): Promise<void> {
    return Promise.resolve()
  }
}

const users = [{ username: 'jane', password: 'jane-pass' }, { username: 'P-1', password: 'p1-pass' }]

async function setup(raw: Record<string, unknown> = {}) {
  const config = validateConfig({ broker: { users, allow_anonymous: false, port: 0 }, units: [{ id: 'P-1' }, { id: 'P-2' }], http: { host: '127.0.0.1' }, ...raw }, undefined, {})
  const journal = new Journal()
  const metrics = createMetrics({ defaults: false })
  const logger = pino({ level: 'silent' })
  const now = () => NOW
  // As in engine.ts: one throttle, its counters on the engine's registry.
  const throttle = new AuthThrottle({ ...throttleOptions(config.broker.limits), now, metrics: { failures: metrics.authFailures, refused: metrics.authRefused } })
  const ingestor = new Ingestor({ decode: createDecoder(decoderOptionsFromConfig(config)), journal, metrics, logger, now })
  const httpIngest = new HttpIngest({ config, metrics, now, throttle, sink: { full: () => false, ingest: (r, at) => ingestor.ingest(r, at, 'http') } })
  // Count password checks: a throttled request must not reach them.
  let checked = 0
  const verify = httpIngest.credentials.verify.bind(httpIngest.credentials)
  httpIngest.credentials.verify = (u, p) => {
    checked++
    return verify(u, p)
  }
  const app = await buildApi({ config, logger, registry: metrics.registry, now, readiness: async () => ({}), httpIngest, authThrottle: throttle, stream: new StreamHub(), audit: () => undefined })
  t.teardown(() => app.close())
  return { app, journal, metrics, httpIngest, config, throttle, checked: () => checked }
}

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
const loc = () => JSON.stringify({ _type: 'location', tst: TST, lat: 36.49, lon: 117.86 })
async function metric(m: Metrics, name: 'authFailures' | 'authRefused', labels: Record<string, string>): Promise<number> {
  return (await m[name].get()).values.filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x)).reduce((n, v) => n + v.value, 0)
}

t.test('item 3: by default an OsmAnd request for a configured unit without its password is refused, on both ports', async (t) => {
  const { app, journal, httpIngest, config } = await setup()
  t.equal(config.http_ingest.osmand_auth, 'credentials', 'the default')
  const r = await app.inject({ method: 'GET', url: `/ingest/osmand?id=P-1&timestamp=${TST}&lat=36.49&lon=117.86` })
  t.equal(r.statusCode, 401)
  t.equal(r.json().code, 'HEXP_ERR_DEVICE_UNAUTHORIZED')
  t.equal((await app.inject({ method: 'GET', url: `/ingest/osmand?id=P-2&lat=36.49&lon=117.86` })).statusCode, 401, 'a configured unit with no credentials at all')
  const port = await startOsmandListener(httpIngest, { ...config, http_ingest: { ...config.http_ingest, osmand_port: 0 } }, pino({ level: 'silent' }))
  t.teardown(() => {
    port.server.closeAllConnections()
    return port.close()
  })
  const base = `http://127.0.0.1:${(port.server.address() as { port: number }).port}`
  t.equal((await fetch(`${base}/?id=P-1&lat=36.49&lon=117.86`)).status, 401)
  t.equal(journal.records, 0, 'nothing stored')
  t.equal((await fetch(`${base}/?id=P-1&lat=36.49&lon=117.86&key=p1-pass`)).status, 200, 'the device with its password')
})

t.test('item 3: osmand_auth: units is an explicit opt-in that warns at start-up', async (t) => {
  const { logger, lines } = captureLogger()
  const mk = (raw: Record<string, unknown>) => new HttpIngest({ config: validateConfig(raw, undefined, {}), metrics: createMetrics({ defaults: false }), now: () => NOW, logger, sink: { full: () => false, ingest: () => undefined } })
  mk({})
  mk({ http_ingest: { enabled: false, osmand_auth: 'units' } })
  t.equal(lines.filter((l) => l.level === 40).length, 0, 'no warning by default, nor with HTTP ingest off')
  mk({ units: [{ id: 'P-1' }], http_ingest: { osmand_auth: 'units' } })
  const warned = lines.filter((l) => l.level === 40)
  t.equal(warned.length, 1)
  t.match(warned[0], { msg: /osmand_auth is "units": anyone .* knows a unit id can post positions/, units: 1 })
  const { app } = await setup({ http_ingest: { osmand_auth: 'units' } })
  t.equal((await app.inject({ method: 'GET', url: '/ingest/osmand?id=P-1&lat=36.49&lon=117.86' })).statusCode, 200, 'and then behaves as before')
})

t.test('item 4: 300 wrong OwnTracks passwords from one address: all but a few refused unchecked with 429', async (t) => {
  const { app, metrics, checked } = await setup()
  const statuses = new Map<number, number>()
  let retryAfter: string | undefined
  for (let i = 0; i < 300; i++) {
    const r = await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { authorization: basic('P-1', `guess-${i}`) } })
    statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1)
    if (r.statusCode === 429) retryAfter = r.headers['retry-after'] as string
  }
  t.equal(checked(), 6, 'five free failures, the sixth starts the back-off: 6 of 300 passwords checked')
  t.same(Object.fromEntries(statuses), { 401: 6, 429: 294 })
  t.equal(retryAfter, '1', 'Retry-After says when')
  const right = await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { authorization: basic('P-1', 'p1-pass') } })
  t.equal(right.statusCode, 429, 'even the right password waits out the back-off, unchecked')
  t.equal(right.json().code, 'HEXP_ERR_RATE_LIMITED')
  t.equal(checked(), 6)
  t.equal((await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { authorization: basic('P-1', 'p1-pass') }, remoteAddress: '198.51.100.4' })).statusCode, 200, 'the device from its own address')
  t.equal(await metric(metrics, 'authFailures', { transport: 'owntracks' }), 6)
  t.equal(await metric(metrics, 'authRefused', { transport: 'owntracks', reason: 'address_backoff' }), 295)
})

t.test('item 4: wrong passwords spread over many addresses for one username are throttled per username', async (t) => {
  const { app, metrics, checked } = await setup()
  const ok = await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { authorization: basic('jane', 'jane-pass') }, remoteAddress: '192.0.2.10' })
  t.equal(ok.statusCode, 200, 'jane logs in from her usual address')
  let refused = 0
  for (let i = 0; i < 200; i++) {
    const r = await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { authorization: basic('jane', `guess-${i}`) }, remoteAddress: `10.${i >> 8}.${i & 255}.7` })
    if (r.statusCode === 429) refused++
  }
  t.equal(checked(), 1 + 11, 'ten free failures for the username, the eleventh starts its back-off')
  t.equal(refused, 189)
  t.equal(await metric(metrics, 'authRefused', { reason: 'username_backoff' }), 189)
  const stranger = await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { authorization: basic('jane', 'jane-pass') }, remoteAddress: '203.0.113.99' })
  t.equal(stranger.statusCode, 429, 'the right password from a new address waits, unchecked')
  t.match(stranger.json().message, /for this device/)
  const home = await app.inject({ method: 'POST', url: '/ingest/owntracks', payload: loc(), headers: { authorization: basic('jane', 'jane-pass') }, remoteAddress: '192.0.2.10' })
  t.equal(home.statusCode, 200, 'her own address passes the username back-off: guessing elsewhere cannot lock her out')
  // The username's back-off holds on OsmAnd too (one throttle, one namespace of device logins).
  t.equal((await app.inject({ method: 'GET', url: '/ingest/osmand?id=jane&lat=36.49&lon=117.86&key=jane-pass', remoteAddress: '203.0.113.98' })).statusCode, 429)
})

t.test('item 4: the OsmAnd port in credentials mode: 3,000 wrong keys from one address, then the right one', async (t) => {
  const { httpIngest, config, metrics, checked, journal } = await setup()
  const port = await startOsmandListener(httpIngest, { ...config, http_ingest: { ...config.http_ingest, osmand_port: 0 } }, pino({ level: 'silent' }))
  t.teardown(() => {
    port.server.closeAllConnections()
    return port.close()
  })
  const base = `http://127.0.0.1:${(port.server.address() as { port: number }).port}`
  const counts: Record<number, number> = {}
  for (let i = 0; i < 3000; i += 50) {
    const batch = await Promise.all(Array.from({ length: 50 }, (_, j) => fetch(`${base}/?id=P-1&lat=36.49&lon=117.86&key=guess-${i + j}`)))
    for (const r of batch) counts[r.status] = (counts[r.status] ?? 0) + 1
  }
  t.same(counts, { 401: 6, 429: 2994 }, '6 of 3,000 keys checked')
  const right = await fetch(`${base}/?id=P-1&lat=36.49&lon=117.86&key=p1-pass`)
  t.equal(right.status, 429, 'the right key is not accepted (nor checked) during the back-off')
  t.ok(Number(right.headers.get('retry-after')) >= 1)
  t.equal(checked(), 6)
  t.equal(journal.records, 0)
  t.equal(await metric(metrics, 'authFailures', { transport: 'osmand' }), 6)
  t.equal(await metric(metrics, 'authRefused', { transport: 'osmand' }), 2995)
})

t.test('item 4: one throttle for every transport: HTTP failures from an address throttle its MQTT logins', async (t) => {
  const { app, config, throttle, metrics } = await setup()
  const broker = await startEmbeddedBroker(config, createBrokerAuth(config), () => undefined, pino({ level: 'silent' }), { throttle })
  t.teardown(() => broker.close())
  const connect = (password: string) => new Promise<boolean>((resolve) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, { username: 'P-1', password, reconnectPeriod: 0, connectTimeout: 3000 })
    c.once('connect', () => { c.end(true); resolve(true) })
    c.once('error', () => { c.end(true); resolve(false) })
    c.once('close', () => resolve(false))
  })
  t.equal(await connect('p1-pass'), true, 'the device connects')
  for (let i = 0; i < 6; i++) await app.inject({ method: 'GET', url: `/ingest/osmand?id=P-1&lat=1&lon=1&key=guess-${i}` })
  t.equal(await connect('p1-pass'), false, 'the same address, now in its back-off, is refused by the broker')
  t.ok(await metric(metrics, 'authRefused', { transport: 'mqtt', reason: 'address_backoff' }) >= 1, 'counted under transport mqtt')
})
