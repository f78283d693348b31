// The bulletin's make-up patrols: the tasks assigned in the period, each at its last stored event,
// counted per zone and unit (completion rate over completed + expired, median time to complete,
// cells recovered); rendered in the HTML page (English and Chinese) and as CSV tables.
import t from 'tap'
import { makeUpSection, median } from '../../src/reports/make-up.js'
import type { PatrolTaskRow } from '../../src/reports/report-queries.js'
import type { Report } from '../../src/reports/model.js'
import { reportHtml } from '../../src/reports/render-html.js'
import { toCsv } from '../../src/reports/render-csv.js'
import { bulletinMarkdown } from '../../src/reports/bulletin-event.js'

const T0 = Date.UTC(2026, 11, 6, 0)
const MIN = 60_000
let n = 0
/** A task's assignment row and (unless open) its outcome row. */
function task(zone: string, unit: string, end: 'completed' | 'expired' | 'abandoned' | 'cancelled' | 'open', minutes: number, visited: number, total: number): PatrolTaskRow[] {
  const id = `task:${zone}:${++n}`
  const base = { task_id: id, zone_id: zone, unit_id: unit, by: 'dispatcher', assigned_at: T0 + n * MIN, started_at: null, reason: '', total }
  const assigned: PatrolTaskRow = { ...base, at: base.assigned_at, type: 'patrol_task.assigned', status: 'assigned', ended_at: null, visited: 0 }
  if (end === 'open') return [assigned]
  const at = base.assigned_at + minutes * MIN
  const type = end === 'abandoned' ? 'patrol_task.expired' : `patrol_task.${end}`
  return [assigned, { ...base, at, type, status: end, reason: end === 'abandoned' ? 'abandoned' : end === 'expired' ? 'deadline' : '', started_at: base.assigned_at + MIN, ended_at: at, visited }]
}

const rows = [
  ...task('g1', 'V-01', 'completed', 20, 5, 5),
  ...task('g1', 'V-01', 'completed', 40, 4, 4),
  ...task('g1', 'V-02', 'abandoned', 30, 2, 6),
  ...task('g1', 'V-02', 'cancelled', 5, 1, 3),
  ...task('g2', 'V-01', 'completed', 60, 7, 7),
  ...task('g2', 'V-03', 'expired', 120, 0, 4),
  ...task('g2', 'V-03', 'open', 0, 0, 2),
].sort((a, b) => a.at - b.at)

t.test('per zone and unit: counts, completion rate, median time to complete, cells recovered', async (t) => {
  const s = makeUpSection(rows, (z) => (z === 'g1' ? 'Grid One' : z))
  t.same(s.summary, { assigned: 7, completed: 3, expired: 2, abandoned: 1, cancelled: 1, open: 1, completionRate: 3 / 5, medianTimeToCompleteMs: 40 * MIN, cellsRecovered: 19, cellsAssigned: 31 })
  t.same(s.zones.map((z) => [z.zoneId, z.name, z.assigned, z.completed, z.expired, z.cancelled, z.open, z.completionRate, z.medianTimeToCompleteMs, z.cellsRecovered]), [
    ['g1', 'Grid One', 4, 2, 1, 1, 0, 2 / 3, 30 * MIN, 12],
    ['g2', 'g2', 3, 1, 1, 0, 1, 1 / 2, 60 * MIN, 7],
  ], 'most tasks first')
  t.same(s.units.map((u) => [u.unitId, u.assigned, u.completed, u.completionRate, u.cellsRecovered]), [
    ['V-01', 3, 3, 1, 16],
    ['V-02', 2, 0, 0, 3],
    ['V-03', 2, 0, 0, 0],
  ])
  t.same(makeUpSection([]).summary.completionRate, null, 'no task ran its course: no rate')
  t.equal(makeUpSection(rows.filter((r) => r.type === 'patrol_task.cancelled' || r.task_id.endsWith(':4'))).summary.completionRate, null, 'a cancelled task counts for neither')
  // A retried outcome row stored twice, or rows out of order, count once.
  t.equal(makeUpSection([...rows].reverse().concat(rows)).summary.assigned, 7)
  t.same([median([]), median([3]), median([4, 1, 3]), median([4, 1, 3, 2])], [null, 3, 3, 2.5])
})

const report: Report = {
  kind: 'daily', period: '2026-12-06', from: T0, to: T0 + 86_400_000, timezone: 'Asia/Shanghai', generatedAt: T0 + 86_400_000,
  headline: { unitsConfigured: 3, unitsReporting: 3, unknownUnitsReporting: 0, distanceKm: 1, coverageMean: null, zonesBelowMin: 0, coverageGaps: 0, breaches: 0, zoneExits: 0, silences: 0, meanUnitScore: null },
  units: [], zones: [], posts: [],
  makeUp: makeUpSection(rows, (z) => (z === 'g1' ? 'Grid <One>' : z)),
}

t.test('the HTML section in both languages; none in the period said so', async (t) => {
  const html = reportHtml(report)
  t.match(html, /<h2>Make-up patrols<\/h2><p>7 make-up patrols: 3 completed, 2 expired \(1 abandoned\), 1 cancelled, 1 open · completion 60\.0 % · median time to complete 0:40 · 19 cells recovered<\/p>/)
  t.match(html, /<h3>By zone<\/h3><table><thead><tr><th>Zone<\/th><th class="n">Assigned<\/th>/)
  t.match(html, /<tr><td>Grid &#60;One&#62;<\/td><td class="n">4<\/td><td class="n">2<\/td><td class="n">1<\/td><td class="n">1<\/td><td class="n">0<\/td><td class="n">66\.7 %<\/td><td class="n">0:30<\/td><td class="n">12 \/ 18<\/td><\/tr>/)
  t.match(html, /<h3>By unit<\/h3>.*<td>V-01<\/td><td class="n">3<\/td>/s)
  const zh = reportHtml(report, 'zh-CN')
  t.match(zh, /<h2>补巡任务<\/h2><p>补巡任务 7 个：完成 3，超时 2（放弃 1），撤销 1，进行中 1 · 完成率 60\.0 % · 完成用时中位数 0:40 · 补巡网格单元 19 个<\/p>/)
  t.match(zh, /<h3>按网格<\/h3><table><thead><tr><th>网格<\/th><th class="n">派发<\/th>/)
  t.match(reportHtml({ ...report, makeUp: undefined }), /<h2>Make-up patrols<\/h2><p>No make-up patrol tasks in this period\.<\/p>/, 'a bulletin stored before the section existed')
  t.match(reportHtml({ ...report, makeUp: makeUpSection([]) }, 'zh-CN'), /<p>本期无补巡任务。<\/p>/)
})

t.test('CSV of the make-up tables, headers in either language', async (t) => {
  const csv = toCsv((report.makeUp?.zones ?? []).map((z) => ({ ...z })))
  t.equal(csv.split('\r\n')[0], 'zoneId,name,assigned,completed,expired,abandoned,cancelled,open,completionRate,medianTimeToCompleteMs,cellsRecovered,cellsAssigned')
  t.equal(csv.split('\r\n')[1], `g1,Grid <One>,4,2,1,1,1,0,${2 / 3},${30 * MIN},12,18`)
  t.equal(toCsv((report.makeUp?.units ?? []).map((u) => ({ ...u })), 'zh-CN').split('\r\n')[0], '警力编号,派发,完成,超时,放弃,撤销,进行中,完成率,完成用时中位数（毫秒）,补巡网格单元,派发网格单元')
})

t.test('the chat digest has a make-up line when there were tasks', async (t) => {
  const b = { kind: 'daily' as const, period: '2026-12-06', generatedAt: report.generatedAt, report }
  t.match(bulletinMarkdown(b, 'https://hq.example'), /\nMake-up patrols 7: completed 3, expired 2 · completion 60 % · median 40 min · 19 cells recovered\n/)
  t.match(bulletinMarkdown(b, undefined, 'zh-CN'), /\n补巡任务 7 个：完成 3，超时 2 · 完成率 60 % · 用时中位数 40 分钟 · 补巡网格单元 19 个\n/)
  t.notMatch(bulletinMarkdown({ ...b, report: { ...report, makeUp: makeUpSection([]) } }, undefined), /Make-up/)
})
