// Device budgets apart from the operators' (issue 19, item 9): HTTP ingest never spends the API's
// per-address limit; devices are limited per device and all together; refused device requests
// have their own per-address budget. A district of 300 phones behind one address (a carrier NAT)
// at their apps' cadences is accepted on defaults, and a broken tracker at that address locks out
// neither the map's users nor the valid phones.
import t from 'tap'
import { pino } from 'pino'
import { validateConfig } from '../../src/config/load.js'
import { createDecoder, decoderOptionsFromConfig } from '../../src/decode/decoder.js'
import { Ingestor, type JournalWriter } from '../../src/ingest/ingestor.js'
import { HttpIngest } from '../../src/ingest/http-ingest.js'
import { StreamHub } from '../../src/api/stream-hub.js'
import { buildApi } from '../../src/api/server.js'
import { createMetrics } from '../../src/telemetry/metrics.js'
import { rng } from '../helpers/workload.js'
import { tempDir } from '../helpers/harness.js'

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0)
const ADMIN = 'budget-admin-token-0123456789'
const NAT = '100.64.0.1'
const PHONES = 300

class NullJournal implements JournalWriter {
  appended = 0
  append(): boolean {
    this.appended++
    return true
  }
  whenWritable(): Promise<void> {
    return Promise.resolve()
  }
}

async function setup(raw: Record<string, unknown> = {}) {
  const phones = Array.from({ length: PHONES }, (_, i) => `D-${i}`)
  const config = validateConfig({
    data_dir: tempDir(),
    http: { admin_token: ADMIN },
    broker: { users: phones.map((id) => ({ username: id, password: `pass-${id}` })), allow_anonymous: false },
    units: phones.map((id) => ({ id, kind: 'officer' })),
    ...raw,
  })
  const clock = { now: T0 }
  const now = () => clock.now
  const metrics = createMetrics({ defaults: false })
  const logger = pino({ level: 'silent' })
  const journal = new NullJournal()
  const ingestor = new Ingestor({ decode: createDecoder(decoderOptionsFromConfig(config)), journal, metrics, logger, now })
  const httpIngest = new HttpIngest({ config, metrics, now, sink: { full: () => false, ingest: (r, at) => ingestor.ingest(r, at, 'http') } })
  const app = await buildApi({ config, logger, registry: metrics.registry, now, readiness: async () => ({}), httpIngest, stream: new StreamHub(), audit: () => undefined })
  t.teardown(() => app.close())
  // One fix per request as Traccar Client sends it; the device secret as `key` (accepted in both osmand_auth modes).
  const fix = (id: string, from = NAT) => app.inject({ method: 'GET', url: `/ingest/osmand?id=${id}&key=pass-${id}&timestamp=${Math.floor(clock.now / 1000) - 2}&lat=36.49&lon=117.86&accuracy=8`, remoteAddress: from })
  const api = (from = NAT) => app.inject({ url: '/api/v1/session', headers: { authorization: `Bearer ${ADMIN}` }, remoteAddress: from })
  return { app, clock, fix, api, metrics, journal }
}

t.test('300 phones behind one address at 10-60 s cadences for 10 minutes: every fix taken, on defaults', async (t) => {
  const { clock, fix, api, journal } = await setup()
  const rnd = rng(19)
  // Each phone reports every 10 to 60 s (a third at the fastest cadence), from a random phase.
  const period = Array.from({ length: PHONES }, (_, i) => (i % 3 === 0 ? 10 : 10 + Math.floor(rnd() * 51)) * 1000)
  const due = period.map((p) => T0 + Math.floor(rnd() * p))
  const statuses = new Map<number, number>()
  let sent = 0
  for (let s = 0; s < 600; s++) {
    clock.now = T0 + s * 1000
    for (let i = 0; i < PHONES; i++) {
      if (due[i]! > clock.now) continue
      due[i] = due[i]! + period[i]!
      const r = await fix(`D-${i}`)
      statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1)
      sent++
    }
  }
  t.ok(sent > 8000, `${sent} requests in 10 simulated minutes`)
  t.same([...statuses], [[200, sent]], 'all answered 200')
  t.equal(journal.appended, sent)
  t.equal((await api()).statusCode, 200, 'the map\'s users at the same address are not locked out')
})

t.test('a broken tracker flooding bad OsmAnd requests locks out neither the API nor valid devices at its address', async (t) => {
  const { app, clock, fix, api, metrics } = await setup()
  const codes = new Map<number, number>()
  // ~20 bad requests a second for over a minute (more than the API's 1,200 per minute).
  for (let i = 0; i < 1300; i++) {
    clock.now = T0 + i * 50
    const r = await app.inject({ method: 'GET', url: `/ingest/osmand?id=GHOST-${i % 7}&lat=36.49&lon=117.86`, remoteAddress: NAT })
    codes.set(r.statusCode, (codes.get(r.statusCode) ?? 0) + 1)
  }
  t.notOk(codes.has(200), 'none of them was taken')
  t.ok((codes.get(429) ?? 0) > 1000, 'past its refused budget the tracker is told to back off')
  const api1 = await api()
  t.equal(api1.statusCode, 200, 'the API budget of the address is untouched')
  const good = await fix('D-1')
  t.equal(good.statusCode, 200, 'a valid phone at the same address is taken')
  t.equal((await api('192.0.2.9')).statusCode, 200)
  const refused = (await metrics.httpIngestAuthFailures.get()).values.reduce((n, v) => n + v.value, 0)
  t.equal(refused, 1300, 'every refusal counted with its reason')
})

t.test('refused device requests have their own bounded budget per address', async (t) => {
  const { app, clock, fix } = await setup({ http_ingest: { rate_limit_refused_per_minute: 5 } })
  const bad = (from = NAT) => app.inject({ method: 'GET', url: '/ingest/osmand?lat=36.49&lon=117.86', remoteAddress: from })
  const codes: number[] = []
  for (let i = 0; i < 7; i++) codes.push((await bad()).statusCode)
  t.same(codes, [400, 400, 400, 400, 400, 429, 429])
  const r = await bad()
  t.equal(r.json().code, 'HEXP_ERR_RATE_LIMITED')
  t.match(r.json().message, /rate_limit_refused_per_minute.*id \(or deviceid/)
  t.equal(r.headers['retry-after'], '12', 'one refusal is allowed again every 12 s')
  t.equal((await fix('D-2')).statusCode, 200, 'a good device at that address is still taken')
  t.equal((await bad('192.0.2.10')).statusCode, 400, 'another address has its own budget')
  clock.now += 12_000
  t.equal((await bad()).statusCode, 400, 'the budget refills')
})

t.test('all devices together are limited by http_ingest.rate_limit_global_per_second', async (t) => {
  const { clock, fix, metrics } = await setup({ http_ingest: { rate_limit_global_per_second: 5 } })
  const codes: number[] = []
  for (let i = 0; i < 7; i++) codes.push((await fix(`D-${i}`, `198.51.100.${i}`)).statusCode)
  t.same(codes, [200, 200, 200, 200, 200, 429, 429], 'different devices from different addresses share the cap')
  const r = await fix('D-9')
  t.equal(r.json().code, 'HEXP_ERR_RATE_LIMITED')
  t.match(r.json().message, /rate_limit_global_per_second/)
  t.equal(r.headers['retry-after'], '1')
  const reasons = (await metrics.httpIngestAuthFailures.get()).values.filter((v) => v.labels.reason === 'global_rate_limited')
  t.equal(reasons.reduce((n, v) => n + v.value, 0), 3)
  clock.now += 1000
  t.equal((await fix('D-9')).statusCode, 200, 'a second later the cap has room again')
})
