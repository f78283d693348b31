// The bulletin's "Patrol integrity" section (issue 25): signals journaled as `integrity_signals`
// rows (journal/record.ts, shipped by the real sink; a re-sent segment stored once) on the embedded
// ClickHouse, read back for a day (a signal overlapping the day's edge included, one of another day
// not), per unit with counts, time spanned and stationary time counted as patrol time; on the
// page in English and Chinese, in the JSON and as a CSV table (one row per signal).
import t from 'tap'
import Fastify from 'fastify'
import { pino } from 'pino'
import { validateConfig } from '../../src/config/load.js'
import { openClickHouse } from '../../src/store/clickhouse/client.js'
import { migrate } from '../../src/store/clickhouse/schema.js'
import { createReports } from '../../src/reports/index.js'
import { clickHouseReportQueries } from '../../src/store/clickhouse/report-queries.js'
import { reportsPlugin } from '../../src/api/reports.js'
import { installErrorHandler } from '../../src/api/errors.js'
import { ErrorBody } from '../../src/api/schemas.js'
import { reportHtml } from '../../src/reports/render-html.js'
import { integritySection } from '../../src/reports/integrity.js'
import { integrityRow, rowsRecord } from '../../src/journal/record.js'
import type { IntegritySignal } from '../../src/integrity/signal.js'
import { recordDeliverer } from '../helpers/journal-rows.js'
import { tempDir } from '../helpers/harness.js'
import { M, at, config } from '../fixtures/patrol-day.js'

const dir = tempDir()
const cfg = validateConfig({ data_dir: dir, ...config({ units: [{ id: 'PARK', name: 'Officer Park', post: 'station-01' }, { id: 'DRIVE', post: 'station-01', pair: 'CAR' }, { id: 'CAR' }] }) })
const ch = openClickHouse(cfg)
t.teardown(() => ch.close())
const queries = clickHouseReportQueries({ client: ch.client, database: ch.database })
const now = () => at(24 + 9)
const reports = createReports({ config: cfg, queries, dataDir: dir, logger: pino({ level: 'silent' }), now })

const SIGNALS: IntegritySignal[] = [
  { unitId: 'PARK', kind: 'mock_location', from: at(9), to: at(11), evidence: { fixes: 240, durationMinutes: 120 } },
  { unitId: 'PARK', kind: 'stationary_share', from: at(8), to: at(20), evidence: { stationaryShare: 0.75, stationaryMinutes: 540, reportingMinutes: 720, periods: 2, longestMinutes: 300 } },
  { unitId: 'DRIVE', kind: 'device_disagreement', from: at(13), to: at(13, 45), relatedUnitId: 'CAR', evidence: { durationMinutes: 45, comparisons: 90, meanDistanceM: 2400, maxDistanceM: 2600 } },
  // Across the day's start: overlaps it, so it is listed.
  { unitId: 'DRIVE', kind: 'frozen_position', from: at(-1), to: at(0, 30), evidence: { fixes: 90, durationMinutes: 90, maxOffsetM: 0 } },
  // The day after: not listed.
  { unitId: 'PARK', kind: 'replayed_track', from: at(25), to: at(26), evidence: { fixes: 100, durationMinutes: 60, extentM: 900, meanOffsetM: 0.4, daysBack: 1 } },
]

t.before(async () => {
  await migrate(ch.client, { database: ch.database, ttlDays: 0, rejectsTtlDays: 0 })
  const shipper = recordDeliverer(ch.client, ch.database)
  const record = rowsRecord('g', SIGNALS.map((s) => integrityRow(s.to + M, s)))
  await shipper.ship([record], 7)
  await shipper.ship([record], 7)
  // Stored again by another segment (an engine's restart re-closing the same stretch): folded (FINAL).
  await shipper.ship([rowsRecord('g', [integrityRow(at(12), SIGNALS[0]!)])])
})

t.test('the rows of a day, folded, per unit (most signals first)', async (t) => {
  const rows = await queries.integritySignals({ from: at(0), to: at(24), limit: 100 })
  t.same(rows.map((r) => [r.unit_id, r.kind]), [['DRIVE', 'frozen_position'], ['PARK', 'stationary_share'], ['PARK', 'mock_location'], ['DRIVE', 'device_disagreement']])
  t.same(rows[3], { unit_id: 'DRIVE', kind: 'device_disagreement', started_at: at(13), ended_at: at(13, 45), related_unit_id: 'CAR', evidence: '{"durationMinutes":45,"comparisons":90,"meanDistanceM":2400,"maxDistanceM":2600}' })
  const s = integritySection(rows, (id) => (id === 'PARK' ? 'Officer Park' : id))
  t.same(s.summary, { units: 2, signals: 4, kinds: { frozen_position: 1, stationary_share: 1, mock_location: 1, device_disagreement: 1 } })
  t.match(s.units[0], { unitId: 'DRIVE', signals: 2, kinds: { frozen_position: 1, device_disagreement: 1 }, spanMs: 90 * M + 45 * M, stationaryMs: 0 })
  t.match(s.units[1], { unitId: 'PARK', name: 'Officer Park', signals: 2, spanMs: 14 * 60 * M, stationaryMs: 540 * M })
  t.same(s.units[1]?.facts.map((f) => f.kind), ['stationary_share', 'mock_location'], 'in time order')
  t.same(integritySection([{ ...rows[0]!, evidence: 'not json' }]).units[0]?.facts[0]?.evidence, {}, 'damaged evidence reads as none')
})

t.test('in the daily bulletin: JSON, the page in both languages', async (t) => {
  const b = await reports.api.bulletins.generate({ kind: 'daily', period: '2026-11-30', from: at(0), to: at(24) })
  t.equal(b.report.integrity?.summary.signals, 4)
  const html = reportHtml(b.report)
  t.match(html, /<h2>Patrol integrity<\/h2><p class="legend">Facts with their figures, not verdicts/)
  t.match(html, /<td>Officer Park \(PARK\)<\/td><td class="n">2<\/td><td>Long stationary time counted as patrol time 1, Mock location reported 1<\/td><td class="n">14:00<\/td><td class="n">9:00<\/td>/)
  t.match(html, /<td>DRIVE<\/td><td>Phone and vehicle terminal apart<\/td><td>30\/11, 13:00 – 30\/11, 13:45<\/td><td class="n">0:45<\/td><td>CAR<\/td><td>duration \(min\) 45 · comparisons 90 · mean distance \(m\) 2400 · largest distance \(m\) 2600<\/td>/)
  const zh = reportHtml(b.report, 'zh-CN')
  t.match(zh, /<h2>巡逻真实性<\/h2><p class="legend">仅列事实与数据，不作结论/)
  t.match(zh, /<td>手机与车载终端位置不一致<\/td>/)
  t.match(reportHtml({ ...b.report, integrity: integritySection([]) }), /No integrity signals in this period\./)
  const { integrity: _i, ...old } = b.report
  t.match(reportHtml(old), /No integrity signals in this period\./, 'a bulletin stored before the section existed still renders')
})

t.test('GET /api/v1/reports/summary: the section in JSON, table=integrity as CSV', async (t) => {
  const app = Fastify()
  installErrorHandler(app)
  app.addSchema(ErrorBody)
  await app.register(reportsPlugin, { reports: reports.api, now })
  t.teardown(() => app.close())
  const json = await app.inject({ method: 'GET', url: '/api/v1/reports/summary?day=2026-11-30' })
  t.equal(json.statusCode, 200)
  t.match(json.json().integrity, { summary: { units: 2, signals: 4 }, units: [{ unitId: 'DRIVE', facts: [{ kind: 'frozen_position', relatedUnitId: null }, { kind: 'device_disagreement', relatedUnitId: 'CAR' }] }] })
  const csv = await app.inject({ method: 'GET', url: '/api/v1/reports/summary?day=2026-11-30&table=integrity', headers: { accept: 'text/csv' } })
  const lines = csv.body.trim().split('\r\n')
  t.equal(lines.length, 5, 'one row per signal')
  t.match(lines[0], /^unitId,name,kind,from,to,relatedUnitId,evidence\.fixes,evidence\.durationMinutes,evidence\.maxOffsetM,/)
  t.match(csv.headers['content-disposition'], /report-integrity\.csv/)
})
