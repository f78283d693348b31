// Bulletins and reports in both locales: the printable page, the CSV header row and the chat
// digest; figures keep one format, times are the report's zone.
import t from 'tap'
import { reportHtml, titleOf, localTime, scoreText, inputsText } from '../../src/reports/render-html.js'
import { toCsv } from '../../src/reports/render-csv.js'
import { bulletinEvent, bulletinMarkdown } from '../../src/reports/bulletin-event.js'
import { reportTexts } from '../../src/i18n/report-texts.js'
import { noSpans } from '../../src/reports/aggregate.js'
import type { Report } from '../../src/reports/model.js'

const report = (kind: Report['kind']): Report => ({
  kind,
  period: '2026-11-30',
  from: Date.UTC(2026, 10, 29, 16),
  to: Date.UTC(2026, 10, 30, 16),
  timezone: 'Asia/Shanghai',
  generatedAt: Date.UTC(2026, 11, 1),
  headline: { unitsConfigured: 2, unitsReporting: 1, unknownUnitsReporting: 2, distanceKm: 12.5, coverageMean: 0.8, zonesBelowMin: 1, coverageGaps: 1, breaches: 0, zoneExits: 0, silences: 2, meanUnitScore: 70 },
  units: [{ unitId: 'P-1', name: '巡逻车 1 号', kind: 'vehicle', postId: 'p', zoneId: 'z', fixes: 5, firstFixAt: Date.UTC(2026, 10, 30, 0), lastFixAt: Date.UTC(2026, 10, 30, 1), distanceKm: 1, reportingMs: 3_600_000, movingMs: 0, stationaryMs: 0, inRadiusMs: 0, inZoneMs: 0, cellsVisited: 1, stops: 0, trips: 0, breaches: { count: 0, totalMs: 0 }, zoneExits: { count: 0, totalMs: 0 }, silent: { count: 1, totalMs: 1_800_000 }, assessment: { score: null, mode: 'watch', inputs: { watch: 0.5, presence: null }, weights: {} } }],
  zones: [{ zoneId: 'z', name: '1 号网格', minRatio: 0.6, levels: [{ level: 'normal', from: Date.UTC(2026, 10, 29, 16), to: Date.UTC(2026, 10, 30, 2) }, { level: 'high', from: Date.UTC(2026, 10, 30, 2), to: Date.UTC(2026, 10, 30, 16) }], coverage: { samples: 1, mean: 0.5, min: 0.4, belowMinMs: 3_600_000 }, response: { mean: null, min: null }, gaps: noSpans(), responseGaps: noSpans(), priorityCells: [], units: [], cells: [], assessment: { score: 10, inputs: { coverage: 0.1 }, weights: {} } }],
  posts: [{ postId: 'p', name: '城西派出所', radiusM: 1, units: ['P-1'], uncoveredMs: 0, assessment: { score: 1, inputs: {}, weights: {} } }],
  plans: {
    summary: { activations: 1, checkpoints: 1, onTime: 0, late: 0, missed: 1, meanTimeToManMs: null, maxTimeToManMs: null },
    activations: [{ activationId: 'a', planId: 'ring', planName: '封控', activatedAt: Date.UTC(2026, 10, 30, 3), deactivatedAt: null, incidentId: null, allMannedMs: null, checkpoints: [{ index: 0, name: '北出口', responsible: ['P-1'], arriveWithinMs: 300_000, mannedBy: null, reachedAt: null, missedAt: null, timeToManMs: null, status: 'missed' }] }],
  } as unknown as Report['plans'],
})

t.test('the printable page in Chinese', async (t) => {
  const html = reportHtml(report('daily'), 'zh-CN')
  t.match(html, /<html lang="zh-CN">/)
  t.match(html, /<title>巡逻日报 2026-11-30<\/title>/)
  t.match(html, /"Noto Sans CJK SC","WenQuanYi Zen Hei"/, 'CJK fonts for a server-side print')
  t.match(html, /<dt>在线警力<\/dt><dd>1 \/ 2 \(\+2 未登记\)<\/dd>/)
  t.match(html, /<th>网格<\/th>/)
  t.match(html, /常态 11\/30 00:00–11\/30 10:00; 高等级 11\/30 10:00–12\/01 00:00/, 'levels in Chinese, local times')
  t.match(html, /<td>值守方式 · 值守 50.0 % · 在岗 无数据<\/td>/)
  t.match(html, /<td>无数据<\/td>/)
  t.match(html, /预案启动 1 次 · 卡点 1 个：按时到位 0，迟到 0，超时未到 1/)
  t.match(html, /<span class="st-missed">超时未到<\/span>/)
  t.match(html, /<h2>应急预案：各卡点到位用时<\/h2>/)
  t.match(html, /aria-label="1 号网格覆盖图"/)
  t.match(html, /无覆盖快照/)
  t.match(html, /生成于 2026-12-01 08:00 · 各表由差到好排列/)
  t.notMatch(html, /Units reporting|Zones<|no data/)
  t.match(reportHtml({ ...report('daily'), plans: undefined }, 'zh-CN'), /<p>本期无预案启动。<\/p>/)
  t.equal(titleOf(report('weekly'), 'zh-CN'), '巡逻周报 2026-11-30')
  t.equal(titleOf(report('custom'), 'zh-CN'), '巡逻报告')
})

t.test('the printable page in English stays as it was', async (t) => {
  const html = reportHtml(report('daily'))
  t.match(html, /<html lang="en">/)
  t.match(html, /<dt>Units reporting<\/dt><dd>1 \/ 2 \(\+2 unknown\)<\/dd>/)
  t.match(html, /watch mode · watch 50.0 % · presence no data/)
  t.match(html, /1 activation · 1 checkpoint: 0 manned in time, 0 late, 1 missed/)
  t.equal(localTime(Date.UTC(2026, 10, 30, 0), 'Asia/Shanghai'), '30/11, 08:00')
  t.equal(localTime(Date.UTC(2026, 10, 30, 0), 'Asia/Shanghai', 'zh-CN'), '11/30 08:00')
  t.equal(localTime(null, 'UTC'), '–')
  t.equal(scoreText({ score: null, inputs: {}, weights: {} }), 'no data')
  t.equal(inputsText({ score: 1, inputs: { coverage: 1 }, weights: {} }), 'coverage 100.0 %')
})

t.test('CSV header row: Chinese names the report\'s keys, English keeps the JSON keys', async (t) => {
  const rows = [{ unitId: 'P-1', distanceKm: 1, breaches: { count: 0, totalMs: 0 }, custom: 'x' }]
  t.equal(toCsv(rows, 'zh-CN').split('\r\n')[0], '警力编号,里程（公里）,越界·次数,越界·总时长（毫秒）,custom')
  t.equal(toCsv(rows).split('\r\n')[0], 'unitId,distanceKm,breaches.count,breaches.totalMs,custom')
  t.equal(toCsv(rows, 'zh-CN').split('\r\n')[1], 'P-1,1,0,0,x', 'the values are the same')
})

t.test('the chat digest in Chinese', async (t) => {
  const b = { kind: 'daily' as const, period: '2026-11-30', generatedAt: 5, report: report('daily') }
  const md = bulletinMarkdown(b, 'https://x', 'zh-CN')
  t.equal(md, [
    '**巡逻日报 2026-11-30** (Asia/Shanghai)',
    '在线警力 1/2 · 巡逻 12.5 公里 · 覆盖率 80 % · 平均得分 70',
    '低于最低覆盖的网格 1 · 覆盖不足 1 · 超出岗位半径 0 · 离开网格 0 · 失联 2',
    '最差网格：1 号网格 10（覆盖率 50 %，低于最低 1 小时）',
    '最差警力：巡逻车 1 号 无数据（1 公里，失联 0.5 小时）',
    '预案启动 1 次 · 卡点 1 个：按时 0，迟到 0，超时未到 1 · 最长到位用时 无',
    '[完整报告](https://x/api/v1/reports/bulletins/daily/2026-11-30?format=html) · [CSV](https://x/api/v1/reports/bulletins/daily/2026-11-30?format=csv)',
  ].join('\n'))
  const timed = { ...b, report: { ...b.report, headline: { ...b.report.headline, meanUnitScore: null, coverageMean: null }, plans: { ...b.report.plans!, summary: { ...b.report.plans!.summary, maxTimeToManMs: 95_000 } } } }
  t.match(bulletinMarkdown(timed, undefined, 'zh-CN'), /覆盖率 无 · 平均得分 无[\s\S]*最长到位用时 95 秒/)
  t.match(bulletinMarkdown(timed, undefined), /coverage n\/a · mean score n\/a[\s\S]*longest time to man 95 s/)
  t.equal(bulletinEvent(b, 'https://x', 'zh-CN').summary, md)
  t.equal(reportTexts('en', 'UTC').csvHeader('a.b'), 'a.b')
  const zhT = reportTexts('zh-CN', 'UTC')
  t.equal(zhT.input('other'), 'other')
  t.equal(zhT.mode('other'), 'other方式')
  t.equal(zhT.mode('patrol'), '巡逻方式')
  const enT = reportTexts('en', 'UTC')
  t.equal(enT.plansSummary({ activations: 2, checkpoints: 1, onTime: 1, late: 0, missed: 0 }, '1:00', '1:00'), '2 activations · 1 checkpoint: 1 manned in time, 0 late, 0 missed · time to man mean 1:00, longest 1:00')
})
