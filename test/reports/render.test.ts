// Rendering: CSV escaping and formula guards, the HTML page's escaping, the SVG map, the chat
// Markdown and the outbound event; plus the pure reductions and scores.
import t from 'tap'
import { latLngToCell, gridDisk } from 'h3-js'
import { toCsv, flatten } from '../../src/reports/render-csv.js'
import { coverageSvg, colour } from '../../src/reports/coverage-svg.js'
import { reportHtml, titleOf, localTime } from '../../src/reports/render-html.js'
import { bulletinEvent, bulletinMarkdown, links } from '../../src/reports/bulletin-event.js'
import { seriesStats, priorityFigures, addSpan, noSpans, unionMs } from '../../src/reports/aggregate.js'
import { mean } from '../../src/reports/assessment.js'
import type { Report } from '../../src/reports/model.js'

t.test('CSV', async (t) => {
  t.same(flatten({ a: { b: 1, c: [1, 2] }, d: [{ x: 1 }], e: null }), { 'a.b': 1, 'a.c': '1 2', d: 1, e: null })
  const csv = toCsv([{ id: 'x,y', n: 1, s: '=HYPERLINK("evil")' }, { id: 'a"b', extra: true, n: null }])
  t.equal(csv, 'id,n,s,extra\r\n"x,y",1,"\'=HYPERLINK(""evil"")",\r\n"a""b",,,true\r\n')
  t.equal(toCsv([]), '\r\n')
})

const report = (kind: Report['kind']): Report => ({
  kind,
  period: '2026-11-30',
  from: Date.UTC(2026, 10, 29, 16),
  to: Date.UTC(2026, 10, 30, 16),
  timezone: 'Asia/Shanghai',
  generatedAt: Date.UTC(2026, 11, 1),
  headline: { unitsConfigured: 2, unitsReporting: 1, unknownUnitsReporting: 0, distanceKm: 12.5, coverageMean: 0.8, zonesBelowMin: 1, coverageGaps: 1, breaches: 0, zoneExits: 0, silences: 2, meanUnitScore: null },
  units: [{ unitId: 'U<1>', name: 'Car <b>', kind: 'vehicle', postId: null, zoneId: null, fixes: 0, firstFixAt: null, lastFixAt: null, distanceKm: 0, reportingMs: 0, movingMs: 0, stationaryMs: 0, inRadiusMs: null, inZoneMs: null, cellsVisited: 0, stops: 0, trips: 0, breaches: { count: 0, totalMs: 0 }, zoneExits: { count: 0, totalMs: 0 }, silent: { count: 0, totalMs: 0 }, assessment: { score: null, mode: 'patrol', inputs: { moving: null, cells: null, presence: null, breaches: null, silences: null }, weights: {} } },
    { unitId: 'U2', name: 'U2', kind: 'vehicle', postId: 'p', zoneId: 'z', fixes: 5, firstFixAt: Date.UTC(2026, 10, 30, 0), lastFixAt: Date.UTC(2026, 10, 30, 1), distanceKm: 1, reportingMs: 3_600_000, movingMs: 0, stationaryMs: 0, inRadiusMs: 0, inZoneMs: 0, cellsVisited: 1, stops: 0, trips: 0, breaches: { count: 0, totalMs: 0 }, zoneExits: { count: 0, totalMs: 0 }, silent: { count: 0, totalMs: 0 }, assessment: { score: 50, mode: 'watch', inputs: { watch: 0.5, presence: 1, breaches: 1, silences: 1 }, weights: {} } }],
  zones: [{ zoneId: 'z', name: 'Zone & co', minRatio: 0.6, levels: [{ level: 'normal', from: Date.UTC(2026, 10, 29, 16), to: Date.UTC(2026, 10, 30, 2) }, { level: 'high', from: Date.UTC(2026, 10, 30, 2), to: Date.UTC(2026, 10, 30, 4) }, { level: 'normal', from: Date.UTC(2026, 10, 30, 4), to: Date.UTC(2026, 10, 30, 16) }], coverage: { samples: 0, mean: null, min: null, belowMinMs: 0 }, response: { mean: null, min: null }, gaps: noSpans(), responseGaps: noSpans(), priorityCells: [{ cell: 'c', name: null, maxIntervalMs: 1, maxOverdueMs: 60_000, overdueMs: 1, neverVisited: true }], units: [], cells: [], assessment: { score: 10, inputs: { coverage: 0.1, presence: null, breaches: 1 }, weights: {} } }],
  posts: [{ postId: 'p', name: 'Post', radiusM: 1, units: [], uncoveredMs: 0, assessment: { score: 1, inputs: {}, weights: {} } }],
})

t.test('HTML and SVG', async (t) => {
  const html = reportHtml(report('daily'))
  t.match(html, /Car &#60;b&#62; \(U&#60;1&#62;\)/, 'names are escaped')
  t.match(html, /Zone &#38; co/)
  t.match(html, /c \+0:01/, 'overdue priority cell')
  t.match(html, /<td>normal 30\/11, 00:00–30\/11, 10:00; high 30\/11, 10:00–30\/11, 12:00; normal 30\/11, 12:00–01\/12, 00:00<\/td>/, 'the patrol level in force over the period')
  t.match(reportHtml({ ...report('daily'), zones: [{ ...report('daily').zones[0]!, levels: [{ level: 'enhanced', from: 0, to: 1 }] }] }), /<td>enhanced<\/td>/, 'one level all period: its name')
  t.match(html, /no coverage snapshots/)
  t.notMatch(html, /<b>/)
  // Every score with its inputs beside it; missing data said so, never a silent 100.
  t.match(html, /<td class="n">no data<\/td><td>patrol mode · moving no data · cells no data · presence no data · breaches no data · silences no data<\/td>/, 'a unit without data')
  t.match(html, /<td class="n">50<\/td><td>watch mode · watch 50.0 % · presence 100.0 % · breaches 100.0 % · silences 100.0 %<\/td>/, 'a watch unit\'s inputs')
  t.match(html, /<td class="n">10<\/td><td>coverage 10.0 % · presence no data · breaches 100.0 %<\/td><td>normal/, 'a zone\'s inputs')
  t.match(html, /<td class="n">1<\/td><td><\/td>/, 'a post (no inputs in this fixture)')
  t.match(html, /<dd>1 \/ 2<\/dd>/)
  t.match(reportHtml({ ...report('daily'), headline: { ...report('daily').headline, unknownUnitsReporting: 3 } }), /<dd>1 \/ 2 \(\+3 unknown\)<\/dd>/, 'unknown units apart')
  t.equal(titleOf({ kind: 'weekly', period: 'p' }), 'Weekly patrol report p')
  t.equal(titleOf({ kind: 'custom', period: '' }), 'Patrol report')
  t.match(reportHtml(report('custom')), /<h1>Patrol report<\/h1>/)
  t.equal(localTime(null, 'UTC'), '–')
  t.equal(localTime(Date.UTC(2026, 10, 30, 1, 5), 'Asia/Shanghai'), '30/11, 09:05')
  const cells = gridDisk(latLngToCell(36.47, 117.81, 9), 1).map((cell, i) => ({ cell, fresh: i / 6 }))
  const svg = coverageSvg(cells, 'Map "x"')
  t.equal((svg.match(/<polygon /g) ?? []).length, 7)
  t.match(svg, /aria-label="Map &#34;x&#34;"/)
  t.equal(colour(0), 'hsl(0,70%,50%)')
  t.equal(colour(2), 'hsl(120,70%,50%)')
})

t.test('chat Markdown and the outbound event', async (t) => {
  const b = { kind: 'weekly' as const, period: '2026-11-30', generatedAt: 5, report: report('weekly') }
  const md = bulletinMarkdown(b, undefined)
  t.match(md, /^\*\*Weekly patrol report 2026-11-30\*\* \(Asia\/Shanghai\)/)
  t.match(md, /coverage 80 % · mean score n\/a/)
  t.match(md, /Worst zones: Zone & co 10 \(coverage n\/a/)
  t.match(md, /Worst units: Car <b> no data \(0 km/, 'a unit without data is "no data" in chat too')
  t.match(md, /\[Full report\]\(\/api\/v1\/reports\/bulletins\/weekly\/2026-11-30\?format=html\)/)
  const empty = bulletinMarkdown({ ...b, report: { ...b.report, units: [], zones: [] } }, 'https://x/')
  t.notMatch(empty, /Worst/)
  t.same(links('https://x///', 'daily', 'd'), { html: 'https://x/api/v1/reports/bulletins/daily/d?format=html', json: 'https://x/api/v1/reports/bulletins/daily/d', csv: 'https://x/api/v1/reports/bulletins/daily/d?format=csv' })
  const e = bulletinEvent(b, 'https://x')
  t.match(e, { id: 'patrol_bulletin.weekly.2026-11-30', type: 'patrol_bulletin.weekly', at: 5, subject: 'bulletin:weekly' })
  t.equal((e.data.worstUnits as unknown[]).length, 2)
})

t.test('reductions and scores', async (t) => {
  const P = { from: 0, to: 100 }
  t.same(seriesStats([], 0.5, P, 10), { samples: 0, mean: null, min: null, belowMinMs: 0, responseMean: null, responseMin: null })
  t.same(seriesStats([{ at: 0, ratio: 0.4, response_ratio: null }, { at: 50, ratio: 0.4, response_ratio: 0.5 }, { at: 95, ratio: 0.9, response_ratio: null }], 0.5, P, 20),
    { samples: 3, mean: 0.5667, min: 0.4, belowMinMs: 40, responseMean: 0.5, responseMin: 0.5 }, 'each sample stands at most capMs')
  t.same(priorityFigures({ cell: 'c', name: null, maxIntervalMs: 10 }, [[20, null], [40, null]], P, 100), { cell: 'c', name: null, maxIntervalMs: 10, maxOverdueMs: 30, overdueMs: 80, neverVisited: true })
  t.equal(priorityFigures({ cell: 'c', name: 'n', maxIntervalMs: 10 }, [], P, 100).neverVisited, false)
  t.equal(priorityFigures({ cell: 'c', name: 'n', maxIntervalMs: 10 }, [[20, 15]], P, 100).maxOverdueMs, 0)
  const s = noSpans()
  addSpan(s, -10, 30, P)
  addSpan(s, 90, null, P)
  t.same(s, { count: 2, totalMs: 40, longestMs: 30 })
  t.equal(unionMs([{ from: -5, to: 10 }, { from: 5, to: 20 }, { from: 6, to: 8 }, { from: 50, to: 200 }, { from: 300, to: 400 }], P), 70)
  // The scores themselves: test/reports/assessment.test.ts.
  t.equal(mean([null]), null)
  t.equal(mean([1, null, 3]), 2)
})
