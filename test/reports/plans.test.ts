// Plan activations in the reports (issue 14): the incidents stage's PlanBoard runs a scripted
// robbery plan (three checkpoints: one manned in time, one missed then manned late, one never
// manned before the deactivation), its events are stored in `plan_events` through the incidents
// store, and the daily report, the bulletin page, the chat summary and GET /api/v1/reports/plans
// show who manned each checkpoint and the time to man it, against hand-computed values.
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
import { bulletinEvent, bulletinMarkdown } from '../../src/reports/bulletin-event.js'
import { planSection } from '../../src/reports/plans.js'
import { PlanBoard, type PlanSpec, type UnitPosition } from '../../src/incidents/plans.js'
import { planEventRow, rowsRecord } from '../../src/journal/record.js'
import { recordDeliverer } from '../helpers/journal-rows.js'
import type { OutboundEvent } from '../../src/delivery/outbound-event.js'
import { metresPerDegree } from '../../src/geo/distance.js'
import { tempDir } from '../helpers/harness.js'
import { M, at, config } from '../fixtures/patrol-day.js'

const dir = tempDir()
const cfg = validateConfig({ data_dir: dir, ...config() })
const ch = openClickHouse(cfg)
t.teardown(() => ch.close())
const db = { client: ch.client, database: ch.database }
const queries = clickHouseReportQueries(db)
const now = () => at(24 + 9)
const reports = createReports({ config: cfg, queries, dataDir: dir, logger: pino({ level: 'silent' }), now })

const SCENE = { lat: 36.4722, lon: 117.8116 }
const { perLat } = metresPerDegree(SCENE.lat)
const spec: PlanSpec = {
  id: 'robbery',
  name: 'Robbery response',
  positions: 'scene',
  dwellMs: 30_000,
  checkpoints: [
    { name: 'North gate', northM: 800, units: ['PARK'], arriveWithinMs: 5 * M, radiusM: 50 },
    { name: 'Bridge', northM: -800, units: ['DRIVE', 'NIGHT'], arriveWithinMs: 5 * M, radiusM: 50 },
    { name: 'Market', northM: 1600, units: ['IDLE'], arriveWithinMs: 10 * M, radiusM: 50 },
  ],
}
const T0 = at(14) // 14:00 local, 30 Nov
const pos = (northM: number, ts: number): UnitPosition => ({ lat: SCENE.lat + northM / perLat, lon: SCENE.lon, ts, kind: 'vehicle' })

/** Drives the plan board through the script and returns every event it produced. */
function script(): OutboundEvent[] {
  const board = new PlanBoard((d) => d / 10)
  const out: OutboundEvent[] = []
  out.push(...board.activate(spec, { by: 'sgt.wang', incidentId: 'INC-7', centre: SCENE }, T0).events)
  for (let s = 10; s <= 20 * 60; s += 10) {
    const ts = T0 + s * 1000
    const p = new Map<string, UnitPosition>()
    // PARK reaches the north gate at T0+3:00 and stays: manned after 180 s.
    p.set('PARK', pos(s >= 180 ? 800 : 800 * s / 180 - 100, ts))
    // DRIVE reaches the bridge at T0+8:00 (missed at 5:00, late arrival after 480 s); NIGHT never moves.
    p.set('DRIVE', pos(s >= 480 ? -800 : -800 * s / 480 + 150, ts))
    p.set('NIGHT', pos(2000, ts))
    // IDLE never gets there.
    p.set('IDLE', pos(0, ts))
    out.push(...board.tick(ts, p))
  }
  out.push(...board.deactivate('robbery', 'sgt.wang', T0 + 20 * M + 5000).events)
  // A plan activated the next day is not in the 30 Nov report.
  out.push(...board.activate(spec, { by: 'sgt.wang', incidentId: null, centre: SCENE }, at(24 + 1)).events)
  return out
}

t.before(async () => {
  await migrate(ch.client, { database: ch.database, ttlDays: 0, rejectsTtlDays: 0 })
  const events = script()
  const shipper = recordDeliverer(ch.client, ch.database)
  await shipper.ship([rowsRecord('e', events.map(planEventRow))])
  // The same events journaled again (another segment) are folded (ReplacingMergeTree by event_id, read FINAL).
  await shipper.ship([rowsRecord('e', events.filter((e) => e.type === 'checkpoint.reached').map(planEventRow))])
})

t.test('time to man each checkpoint, from plan_events (hand-computed)', async (t) => {
  const p = await reports.api.service.plans(at(0), at(24))
  t.equal(p.activations.length, 1, 'only the activation that started on 30 Nov')
  const a = p.activations[0]!
  t.match(a, { activationId: `robbery.${T0}`, planId: 'robbery', planName: 'Robbery response', incidentId: 'INC-7', activatedAt: T0, completedAt: null, deactivatedAt: T0 + 20 * M + 5000, manned: 2, allMannedMs: null })
  const [north, bridge, market] = a.checkpoints
  t.match(north, { name: 'North gate', responsible: ['PARK'], arriveWithinMs: 5 * M, status: 'on_time', mannedBy: 'PARK', timeToManMs: 180_000, reachedAt: T0 + 180_000, missedAt: null })
  // The miss is raised at the first tick past the deadline (T0+5:10); the arrival at the first fix inside (T0+8:00).
  t.match(bridge, { name: 'Bridge', responsible: ['DRIVE', 'NIGHT'], status: 'late', mannedBy: 'DRIVE', timeToManMs: 480_000, missedAt: T0 + 310_000 })
  t.match(market, { name: 'Market', responsible: ['IDLE'], arriveWithinMs: 10 * M, status: 'missed', mannedBy: null, timeToManMs: null, missedAt: T0 + 610_000 })
  t.same(p.summary, { activations: 1, checkpoints: 3, onTime: 1, late: 1, missed: 1, meanTimeToManMs: 330_000, maxTimeToManMs: 480_000 })
  t.equal((await reports.api.service.plans(at(0), at(24), 'other')).activations.length, 0, 'filtered by plan')
})

t.test('in the daily report, its page and its chat summary', async (t) => {
  const b = await reports.api.bulletins.generate({ kind: 'daily', period: '2026-11-30', from: at(0), to: at(24) })
  t.equal(b.report.plans?.summary.late, 1)
  const html = reportHtml(b.report)
  t.match(html, /<h2>Emergency plans: time to man each checkpoint<\/h2>/)
  t.match(html, /<td>Robbery response<\/td><td class="n">30\/11, 14:00<\/td><td>INC-7<\/td><td>Bridge<\/td><td>DRIVE, NIGHT<\/td><td class="n">5:00<\/td><td>DRIVE<\/td><td class="n">8:00<\/td><td><span class="st-late">manned late<\/span><\/td>/)
  t.match(html, /<td>Market<\/td><td>IDLE<\/td><td class="n">10:00<\/td><td>–<\/td><td class="n">–<\/td><td><span class="st-missed">missed<\/span>/)
  t.match(html, /1 activation · 3 checkpoints: 1 manned in time, 1 late, 1 missed · time to man mean 5:30, longest 8:00/)
  t.match(html, /generated 2026-12-01 09:00 · tables worst first/, 'generated at, in the report\'s time zone')
  t.match(bulletinMarkdown(b, undefined), /Plan activations 1 · checkpoints 3: in time 1, late 1, missed 1 · longest time to man 480 s/)
  const none = { ...b.report, plans: planSection([]) }
  t.match(reportHtml(none), /No plan activations in this period\./)
  t.notMatch(bulletinMarkdown({ ...b, report: none }, undefined), /Plan activations/)
  // 1 Dec: the plan is still active, nobody has arrived yet, no incident.
  const next = await reports.api.service.report({ kind: 'daily', period: '2026-12-01', from: at(24), to: at(48) })
  t.match(reportHtml(next), /<td>Robbery response<\/td><td class="n">01\/12, 01:00<\/td><td>–<\/td><td>North gate<\/td>/)
  t.match(bulletinMarkdown({ kind: 'daily', period: '2026-12-01', generatedAt: 0, report: next }, undefined), /Plan activations 1 · checkpoints 3: in time 0, late 0, missed 0 · longest time to man n\/a/)
  const unassigned = planSection([{ at: 1000, type: 'plan.activated', activation_id: 'x.1', plan_id: 'x', incident_id: '', checkpoint: '', unit_id: '', elapsed_ms: null, data: JSON.stringify({ planName: 'Drill', checkpoints: [{ index: 0, name: 'A', deadline: 61_000 }] }) }])
  t.match(reportHtml({ ...b.report, plans: unassigned }), /<td>Drill<\/td><td class="n">[^<]+<\/td><td>–<\/td><td>A<\/td><td>–<\/td>/, 'a checkpoint with nobody responsible')
  const { plans: _p, ...old } = b.report
  t.match(reportHtml(old), /No plan activations in this period\./, 'a bulletin stored before plans were reported still renders')
  t.equal(bulletinEvent({ ...b, report: old as typeof b.report }, undefined).data.plans, null)
  t.match(bulletinEvent(b, undefined).data.plans, { activations: 1, late: 1 }, 'the event carries the plan summary')
})

t.test('GET /api/v1/reports/plans: JSON and CSV, per plan and period', async (t) => {
  const app = Fastify()
  installErrorHandler(app)
  app.addSchema(ErrorBody)
  await app.register(reportsPlugin, { reports: reports.api, now })
  t.teardown(() => app.close())
  const json = await app.inject({ method: 'GET', url: '/api/v1/reports/plans?day=2026-11-30&plan=robbery' })
  t.equal(json.statusCode, 200)
  t.equal(json.json().activations[0].checkpoints[0].timeToManMs, 180_000)
  const csv = await app.inject({ method: 'GET', url: '/api/v1/reports/plans?day=2026-11-30', headers: { accept: 'text/csv' } })
  const lines = csv.body.trim().split('\r\n')
  t.equal(lines[0], 'activationId,planId,planName,incidentId,activatedAt,checkpoint,responsible,arriveWithinMs,status,mannedBy,timeToManMs,missedAt')
  t.equal(lines.length, 4, 'one row per checkpoint')
  t.equal(lines[2], `robbery.${T0},robbery,Robbery response,INC-7,${T0},Bridge,DRIVE NIGHT,300000,late,DRIVE,480000,${T0 + 310_000}`)
  t.match(csv.headers['content-disposition'], /plans\.csv/)
  const next = await app.inject({ method: 'GET', url: '/api/v1/reports/plans?day=2026-12-01' })
  t.match(next.json(), { summary: { activations: 1, checkpoints: 3, onTime: 0, late: 0, missed: 0, meanTimeToManMs: null }, activations: [{ incidentId: null, checkpoints: [{ status: 'pending' }] }] }, 'an active plan: pending checkpoints')
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/reports/plans?day=2026-11-30&format=html' })).statusCode, 400)
})

t.test('the section survives odd rows (pure)', async (t) => {
  const base = { type: 'checkpoint.reached', activation_id: 'x.1', plan_id: 'x', incident_id: '', checkpoint: 'A', unit_id: 'U', elapsed_ms: null, at: 5000 }
  const s = planSection([
    { ...base, type: 'plan.activated', at: 1000, data: JSON.stringify({ checkpoints: [{ index: 0, name: 'A', deadline: 61_000 }] }) },
    // No checkpoint index in the data (an older writer): matched by name; no elapsed: from the event time.
    { ...base, data: 'not json' },
    { ...base, at: 9000, data: '{}' },
    { ...base, checkpoint: 'Z', data: '{}' },
    { ...base, type: 'checkpoint.missed', checkpoint: 'Z', data: '{}' },
    { ...base, type: 'plan.completed', at: 9000, data: '{}' },
    // Events of an activation whose start is not stored are left out.
    { ...base, activation_id: 'y.1', data: '{}' },
    // An activation whose data lists no checkpoints; two more at the same time as x.1 (ordered by id).
    { ...base, type: 'plan.activated', activation_id: 'z.1', data: '{}' },
    { ...base, type: 'plan.activated', activation_id: 'y.2', at: 1000, data: '{}' },
    { ...base, type: 'plan.activated', activation_id: 'w.1', at: 1000, data: '{}' },
  ])
  t.same(s.activations.map((a) => a.activationId), ['w.1', 'x.1', 'y.2', 'z.1'])
  t.match(s.activations[3], { activationId: 'z.1', checkpoints: [], manned: 0 })
  t.match(s.activations[1], { planName: 'x', incidentId: null, completedAt: 9000, allMannedMs: 0, checkpoints: [{ name: 'A', responsible: [], arriveWithinMs: 60_000, status: 'on_time', reachedAt: 5000, timeToManMs: null }] })
  t.equal(s.summary.meanTimeToManMs, null)
})
