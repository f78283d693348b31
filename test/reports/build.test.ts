// buildReport's own steps: "now" inside the period, the worst-first order, the padding; the
// assembled report is tested on realistic tracks in assessment.test.ts and reports.test.ts.
import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { reportSettings } from '../../src/reports/service.js'
import { buildReport, openUntil, paddingMs, worstFirst } from '../../src/reports/build.js'

t.test('openUntil: now inside the period, else its end', async (t) => {
  t.equal(openUntil({ from: 100, to: 200, generatedAt: 150 }), 150, 'intraday')
  t.equal(openUntil({ from: 100, to: 200, generatedAt: 250 }), 200, 'after the period')
  t.equal(openUntil({ from: 100, to: 200, generatedAt: 100 }), 200, 'a clock at or before the start is no "now" inside it')
  t.equal(openUntil({ from: 100, to: 200, generatedAt: 50 }), 200)
})

t.test('worstFirst: no data first, then the lowest score, then by id; in place', async (t) => {
  const xs = [{ id: 'b', assessment: { score: 50 } }, { id: 'c', assessment: { score: null } }, { id: 'a', assessment: { score: 50 } }, { id: 'd', assessment: { score: 0 } }]
  const out = worstFirst(xs, (x) => x.id)
  t.equal(out, xs)
  t.same(out.map((x) => x.id), ['c', 'd', 'a', 'b'])
})

const cfg = validateConfig({
  units: [{ id: 'P-1', post: 's1', zone: 'g1', silent_after: '20m' }, { id: 'O-2' }],
  posts: [{ id: 's1', lat: 36.49, lon: 117.86, radius_m: 1500 }],
  zones: [{ id: 'g1', geometry: { type: 'Polygon', coordinates: [[[117.84, 36.47], [117.88, 36.47], [117.88, 36.51], [117.84, 36.51], [117.84, 36.47]]] } }],
  reports: { timezone: 'UTC' },
})
const s = reportSettings(cfg, compileDeployment(cfg))

t.test('paddingMs: the longest silence setting of any unit, plus a minute', async (t) => {
  t.ok(paddingMs(s) >= 21 * 60_000)
  const plain = validateConfig({ units: [{ id: 'A' }] })
  const dep = compileDeployment(plain)
  t.equal(paddingMs(reportSettings(plain, dep)), Math.max(dep.rules.silentAfterMs, dep.livenessOf('unknown').capMs, dep.units.get('A')!.liveness.capMs) + 60_000)
})

t.test('buildReport: every configured unit, zone and post has a row, worst first, with its meta', async (t) => {
  const meta = { kind: 'daily' as const, period: '2026-11-30', from: 0, to: 86_400_000, generatedAt: 90_000_000 }
  const { report, details } = buildReport(s, { buckets: [], spans: [], series: [], priority: [], freshness: [], levels: [] }, meta)
  t.match(report, { ...meta, timezone: 'UTC', headline: { unitsConfigured: 2, unitsReporting: 0, coverageMean: null } })
  t.same(report.units.map((u) => u.unitId), ['O-2', 'P-1'], 'no data anywhere: by id')
  t.same(report.zones.map((z) => z.zoneId), ['g1'])
  t.same(report.posts.map((p) => [p.postId, p.uncoveredMs]), [['s1', 86_400_000]])
  t.same([...details.keys()], ['P-1', 'O-2'], 'details in configuration order')
})
