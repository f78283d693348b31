// The bulletin runner's timer: it wakes at the due time (not up to 30 s later), produces the
// period, and re-arms; a stop during a run leaves no timer behind.
import t from 'tap'
import { pino } from 'pino'
import { validateConfig } from '../../src/config/load.js'
import { openClickHouse } from '../../src/store/clickhouse/client.js'
import { migrate } from '../../src/store/clickhouse/schema.js'
import { createReports } from '../../src/reports/index.js'
import { clickHouseReportQueries } from '../../src/store/clickhouse/report-queries.js'
import type { OutboundEvent } from '../../src/reports/bulletin-event.js'
import { tempDir } from '../helpers/harness.js'

const dir = tempDir()
const cfg = validateConfig({ data_dir: dir, reports: { timezone: 'UTC', daily_at: '08:00' } })
const ch = openClickHouse(cfg)
t.teardown(() => ch.close())
const db = { client: ch.client, database: ch.database }
const queries = clickHouseReportQueries(db)
t.before(() => migrate(ch.client, { database: ch.database, ttlDays: 0, rejectsTtlDays: 0 }))

/** A runner whose clock reaches `due` 300 ms after it starts; `onEvent` sees each delivery. */
function runnerDueSoon(due: number, dataDir: string, onEvent: (e: OutboundEvent, stop: () => Promise<void>) => void) {
  const offset = due - 300 - Date.now()
  const now = () => Date.now() + offset
  const r = createReports({ config: cfg, queries, dataDir, logger: pino({ level: 'silent' }), now, publisher: { publishEvent: (e: OutboundEvent) => onEvent(e, () => r.runner.stop()) } })
  return { r, now }
}
// The runner's timer is unref'd (it never holds the engine up); this test holds the loop itself.
const keep = setInterval(() => {}, 1000)
t.teardown(() => clearInterval(keep))

t.test('wakes at 08:00, produces the period and re-arms', async (t) => {
  const due = Date.UTC(2026, 11, 1, 8)
  const got: OutboundEvent[] = []
  let arrived!: () => void
  const delivered = new Promise<void>((resolve) => { arrived = resolve })
  const { r, now } = runnerDueSoon(due, tempDir(), (e) => { got.push(e); arrived() })
  r.runner.start()
  t.equal(got.length, 0, 'nothing due at 07:59:59.7')
  await delivered
  t.same(got.map((e) => e.id), ['patrol_bulletin.daily.2026-11-30'], 'produced by the timer at the due time')
  t.ok(now() - due < 10_000, 'within seconds of 08:00, not a 30 s tick later')
  await new Promise((resolve) => setTimeout(resolve, 100))
  await r.runner.stop()
  t.ok(r.runner.isDone({ kind: 'daily', period: '2026-11-30' }))
  t.equal(got.length, 1, 'once')
})

t.test('stop() during a timer run leaves no timer armed', async (t) => {
  let stopping: Promise<void> | undefined
  let arrived!: () => void
  const delivered = new Promise<void>((resolve) => { arrived = resolve })
  const { r } = runnerDueSoon(Date.UTC(2026, 11, 2, 8), tempDir(), (_e, stop) => { stopping = stop(); arrived() })
  r.runner.start()
  await delivered
  await stopping
  t.ok(r.runner.isDone({ kind: 'daily', period: '2026-12-01' }))
})
