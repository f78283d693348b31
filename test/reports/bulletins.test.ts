// Bulletins: produced exactly once per period with a fake clock, across a restart, after an
// outage across 08:00 and after a failed hand-over; stored in ClickHouse; served by the API as
// JSON, CSV and HTML; regenerated on request.
import t from 'tap'
import Fastify from 'fastify'
import { pino } from 'pino'
import { validateConfig } from '../../src/config/load.js'
import { openClickHouse } from '../../src/store/clickhouse/client.js'
import { migrate } from '../../src/store/clickhouse/schema.js'
import { createReports } from '../../src/reports/index.js'
import { clickHouseReportQueries } from '../../src/store/clickhouse/report-queries.js'
import type { OutboundEvent } from '../../src/reports/bulletin-event.js'
import { reportsPlugin } from '../../src/api/reports.js'
import { installErrorHandler } from '../../src/api/errors.js'
import { ErrorBody } from '../../src/api/schemas.js'
import { tempDir, captureLogger } from '../helpers/harness.js'
import { H, M, at, config, positions, zoneSamples, alerts } from '../fixtures/patrol-day.js'

const dir = tempDir()
const cfg = validateConfig({ data_dir: dir, ...config({ reports: { base_url: 'https://patrol.example.org/' } }) })
const ch = openClickHouse(cfg)
t.teardown(() => ch.close())
const db = { client: ch.client, database: ch.database }
const queries = clickHouseReportQueries(db)
let clock = at(24 + 7) // 1 Dec 07:00 local
const now = () => clock

t.before(async () => {
  await migrate(ch.client, { database: ch.database, ttlDays: 0, rejectsTtlDays: 0 })
  await ch.client.insert({ table: `${ch.database}.positions`, values: positions(), format: 'JSONEachRow' })
  await ch.client.insert({ table: `${ch.database}.coverage_zones`, values: zoneSamples(), format: 'JSONEachRow' })
  await ch.client.insert({ table: `${ch.database}.alerts`, values: alerts(), format: 'JSONEachRow' })
})

const published: OutboundEvent[] = []
const publisher = { publishEvent: (e: OutboundEvent) => { published.push(e) } }
const make = (pub: { publishEvent(e: OutboundEvent): void } | undefined = publisher, dataDir = dir) => createReports({ config: cfg, queries, dataDir, publisher: pub, logger: pino({ level: 'silent' }), now })

t.test('exactly once per period, across restarts and outages', async (t) => {
  let r = make()
  t.equal(await r.runner.runDue(), 0, 'nothing due at 07:00')
  clock = at(24 + 8)
  t.equal(await r.runner.runDue(), 1, 'the 30 Nov bulletin at 08:00 on 1 Dec')
  t.equal(await r.runner.runDue(), 0, 'and only once')
  t.equal(published.length, 1)
  const e = published[0]!
  t.equal(e.id, 'patrol_bulletin.daily.2026-11-30')
  t.equal(e.type, 'patrol_bulletin.daily')
  t.equal(e.subject, 'bulletin:daily')
  t.match(e.summary, /\*\*Daily patrol bulletin 2026-11-30\*\* \(Asia\/Shanghai\)/)
  t.match(e.summary, /Worst units: IDLE no data/, 'a unit with no fix at all is "no data" (issue 23; was a score of 0)')
  t.match(e.summary, /\[Full report\]\(https:\/\/patrol\.example\.org\/api\/v1\/reports\/bulletins\/daily\/2026-11-30\?format=html\)/)
  t.match(e.data, { kind: 'daily', period: '2026-11-30', headline: { breaches: 1, silences: 1 } })

  // Restart (a new process over the same data dir): nothing is owed again.
  clock = at(24 + 9)
  r = make()
  t.equal(await r.runner.runDue(), 0, 'a restart does not deliver again')
  t.ok(r.runner.isDone({ kind: 'daily', period: '2026-11-30' }))

  // Down from 07:30 on 2 Dec to 09:00: the 1 Dec bulletin comes when the engine is back.
  clock = at(48 + 9)
  r = make()
  t.equal(await r.runner.runDue(), 1, 'an outage across 08:00 still produces the bulletin')
  t.equal(published.at(-1)!.id, 'patrol_bulletin.daily.2026-12-01')

  // The hand-over fails (outbox unwritable): stored once, delivered once it works again.
  clock = at(72 + 8, 1)
  const failing = { publishEvent: () => { throw new Error('disk full') } }
  r = make(failing)
  t.equal(await r.runner.runDue(), 0, 'not done while delivery fails')
  r = make()
  t.equal(await r.runner.runDue(), 1)
  const list = await r.api.bulletins.list('daily', 10)
  t.same(list.map((b) => [b.period, b.generations]), [['2026-12-02', 1], ['2026-12-01', 1], ['2026-11-30', 1]], 'each period generated once')
  t.equal(published.filter((p) => p.id === 'patrol_bulletin.daily.2026-12-02').length, 1)

  // The weekly report for 30 Nov – 6 Dec on Monday 7 Dec at 08:00.
  clock = at(7 * 24 + 8)
  t.equal(await r.runner.runDue(), 5, 'four daily bulletins and the weekly report')
  t.ok(published.some((p) => p.id === 'patrol_bulletin.weekly.2026-11-30' && /Weekly patrol report/.test(p.summary)))
  const w = await r.api.bulletins.get('weekly', '2026-11-30')
  t.equal(w!.report.to - w!.report.from, 7 * 24 * H)
  t.equal(w!.report.units.find((u) => u.unitId === 'PARK')!.reportingMs, 12 * H)
  r.runner.start()
  await r.runner.stop()
})

t.test('a fresh engine owes nothing from before it first ran; unreadable state is reset', async (t) => {
  const d = tempDir()
  clock = at(7 * 24 + 9)
  const { logger, logs } = captureLogger()
  const r = createReports({ config: cfg, queries, dataDir: d, logger, now })
  t.equal(await r.runner.runDue(), 0)
  r.api.redeliver({ kind: 'daily', period: '2026-11-30', generatedAt: 1, report: (await make().api.bulletins.get('daily', '2026-11-30'))!.report })
  const { writeFileSync } = await import('node:fs')
  writeFileSync(`${d}/reports/state.json`, '{"v":9}')
  createReports({ config: cfg, queries, dataDir: d, logger, now })
  writeFileSync(`${d}/reports/state.json`, '{not json')
  createReports({ config: cfg, queries, dataDir: d, logger, now })
  t.match(logs.map((l) => l.msg).join('\n'), /not recognised[\s\S]*unreadable/)
  t.throws(() => createReports({ config: validateConfig({ data_dir: d, reports: { timezone: 'Mars/Olympus' } }), queries, dataDir: d, logger, now }), /reports\.timezone: "Mars\/Olympus"/)
})

t.test('the API: JSON, CSV, HTML, regeneration', async (t) => {
  const r = make()
  const app = Fastify()
  installErrorHandler(app)
  // The error responses refer to the shared ErrorBody schema, as on the API's app.
  app.addSchema(ErrorBody)
  await app.register(reportsPlugin, { reports: r.api, now })
  t.teardown(() => app.close())
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers })

  t.ok((await get('/api/v1/reports/bulletins')).json().bulletins.length >= 8, 'daily and weekly')
  const list = await get('/api/v1/reports/bulletins?kind=weekly')
  t.same(list.json().bulletins.map((b: { period: string }) => b.period), ['2026-11-30'])
  const json = await get('/api/v1/reports/bulletins/daily/2026-11-30')
  t.equal(json.statusCode, 200)
  t.equal(json.json().headline.breaches, 1)
  const csv = await get('/api/v1/reports/bulletins/daily/2026-11-30?format=csv')
  t.match(csv.headers['content-type'], /text\/csv/)
  const lines = csv.body.trim().split('\r\n')
  t.match(lines[0], /^unitId,name,kind,postId,zoneId,fixes,/)
  t.equal(lines.length, 6, 'header and five units')
  t.match(lines[1], /^IDLE,/, 'worst first')
  const zones = await get('/api/v1/reports/bulletins/daily/2026-11-30?table=zones', { accept: 'text/csv' })
  t.match(zones.body, /^zoneId,name,minRatio,coverage\.samples/)
  const html = await get('/api/v1/reports/bulletins/daily/2026-11-30', { accept: 'text/html' })
  t.match(html.headers['content-type'], /text\/html/)
  t.match(html.body, /<h1>Daily patrol bulletin 2026-11-30<\/h1>/)
  t.match(html.body, /<svg[^>]*aria-label="Coverage map of Grid 1"/)
  t.equal((await get('/api/v1/reports/bulletins/daily/2020-01-01')).statusCode, 404)
  t.equal((await get('/api/v1/reports/bulletins/monthly/2026-11-30')).statusCode, 400)

  const sum = await get('/api/v1/reports/summary?day=2026-11-30&format=json')
  t.equal(sum.json().units.find((u: { unitId: string }) => u.unitId === 'PARK').reportingMs, 12 * H)
  t.equal((await get('/api/v1/reports/summary?day=2026-02-30')).statusCode, 400)
  t.equal((await get('/api/v1/reports/summary')).json().period, '2026-12-06', 'default: the previous local day')
  t.equal((await get(`/api/v1/reports/summary?from=${at(10)}&to=${at(9)}`)).statusCode, 400)
  t.equal((await get(`/api/v1/reports/summary?from=${at(0)}&to=${at(24 * 40)}`)).statusCode, 400)
  t.equal((await get('/api/v1/reports/summary?from=yesterday')).statusCode, 400)
  t.equal((await get('/api/v1/reports/summary?format=html&from=2026-11-30T02:00:00Z')).statusCode, 200)

  const unit = await get('/api/v1/reports/units/DRIVE?day=2026-11-30')
  t.equal(unit.json().stopList.length, 3)
  t.equal((await get('/api/v1/reports/units/DRIVE?day=2026-11-30&format=csv')).body.split('\r\n').length, 3)
  t.equal((await get('/api/v1/reports/units/NOPE?day=2026-11-30')).statusCode, 404)
  t.equal((await get('/api/v1/reports/units/NOPE/stops?day=2026-11-30')).statusCode, 404)
  t.equal((await get('/api/v1/reports/units/DRIVE/stops?day=2026-11-30')).json().stops.length, 3)
  t.equal((await get('/api/v1/reports/units/DRIVE/trips?day=2026-11-30&format=csv')).body.trim().split('\r\n').length, 2)
  t.equal((await get('/api/v1/reports/units/DRIVE/trips?day=2026-11-30&format=html')).statusCode, 400)
  t.equal((await get(`/api/v1/reports/units/DRIVE/route?from=${at(10)}&to=${at(10, 1)}`)).json().points.length, 6)
  t.equal((await get('/api/v1/reports/units/DRIVE/events?day=2026-11-30')).json().events.length, 3)
  t.equal((await get('/api/v1/reports/events?day=2026-11-30')).json().events.length, 6)

  const before = published.length
  const re = await app.inject({ method: 'POST', url: '/api/v1/reports/bulletins/daily/2026-11-30/regenerate?deliver=true' })
  t.equal(re.statusCode, 201)
  t.equal(published.length, before + 1)
  t.equal(published.at(-1)!.id, `patrol_bulletin.daily.2026-11-30.${re.json().generatedAt}`, 'a regeneration is a new delivery')
  clock += 1000
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/reports/bulletins/daily/2026-11-30/regenerate' })).json().delivered, false)
  t.equal((await r.api.bulletins.list('daily', 100)).find((b) => b.period === '2026-11-30')!.generations, 3, 'every generation is kept')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/reports/bulletins/weekly/2026-12-01/regenerate' })).statusCode, 400, 'weeks start on Monday')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/reports/bulletins/daily/2026-12-07/regenerate' })).statusCode, 409, 'the day has not ended')
  t.ok(M > 0)
})
