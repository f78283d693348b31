// The assessment on the realism kit (test/helpers/gps-realism.ts), through buildReport exactly as
// the bulletin builds it: a car parked 10 h at its post in patrol mode scores low, the same car
// at a post that asks for a watch scores high, a real patrol scores well, a 45 min silence costs,
// a zone without data has no score, open alerts stop at "now", unknown units are not "reporting".
import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { reportSettings } from '../../src/reports/service.js'
import { buildReport, type ReportInputs } from '../../src/reports/build.js'
import { unitAssessment, score, SILENCE_PENALTY } from '../../src/reports/assessment.js'
import { bucketsOf } from '../helpers/report-buckets.js'
import { generateTrack, offsetM, parked, waypoints, type LatLon } from '../helpers/gps-realism.js'
import type { UnitBuckets } from '../../src/reports/report-queries.js'

const H = 3_600_000
const M = 60_000
const DAY = Date.UTC(2026, 10, 30, 0)
const FROM = DAY + 8 * H
const POST = { lat: 36.49, lon: 117.86 }
// A 1.2 × 1.2 km zone around the post.
const SW = offsetM(POST, -600, -600)
const NE = offsetM(POST, 600, 600)

const cfg = (watch: boolean, extra: Record<string, unknown> = {}) => validateConfig({
  units: [{ id: 'PARK', post: 'p1', zone: 'z' }, { id: 'PATROL', post: 'p1', zone: 'z' }, { id: 'GAPPY', post: 'p1', zone: 'z' }, { id: 'IDLE', post: 'p1', zone: 'z' }],
  posts: [{ id: 'p1', lat: POST.lat, lon: POST.lon, radius_m: 100, ...(watch ? { watch: true } : {}) }],
  zones: [{ id: 'z', geometry: { type: 'Polygon', coordinates: [[[SW.lon, SW.lat], [NE.lon, SW.lat], [NE.lon, NE.lat], [SW.lon, NE.lat], [SW.lon, SW.lat]]] }, coverage: { min_ratio: 0.6 } }],
  reports: { timezone: 'UTC' },
  ...extra,
})
const settingsOf = (c: ReturnType<typeof validateConfig>) => reportSettings(c, compileDeployment(c))

/** A serpentine through the zone at 8 m/s, rows 150 m apart, over and over for `hours`. */
function patrolRoute(hours: number): (tS: number) => LatLon {
  const pts: LatLon[] = []
  for (let row = 0; row <= 8; row++) {
    const north = -550 + row * 137
    pts.push(offsetM(POST, north, row % 2 === 0 ? -550 : 550), offsetM(POST, north, row % 2 === 0 ? 550 : -550))
  }
  const wp: Array<[number, LatLon]> = []
  let tS = 0
  let i = 0
  while (tS < hours * 3600) {
    const p = pts[i % pts.length] as LatLon
    wp.push([tS, p])
    tS += 1100 / 8
    i++
  }
  return waypoints(wp)
}

function unit(id: string, truth: (tS: number) => LatLon, hours: number, periodS: number, seed: number, silence?: [number, number]): UnitBuckets {
  const fixes = generateTrack({ seed, unitId: id, start: FROM, durationS: hours * 3600, periodS, truth, noise: { sigmaM: 20 } })
    .filter((r) => silence === undefined || r.tS < silence[0] || r.tS >= silence[1]).map((r) => r.fix)
  return { unitId: id, buckets: bucketsOf(fixes), cells: new Set(fixes.map((f) => f.h3)).size }
}

const day = { kind: 'daily' as const, period: '2026-11-30', from: DAY, to: DAY + 24 * H, generatedAt: DAY + 30 * H }
const inputs = (buckets: UnitBuckets[], extra: Partial<ReportInputs> = {}): ReportInputs => ({ buckets, spans: [], series: [], priority: [], freshness: [], levels: [], ...extra })
const series = (ratio: number) => Array.from({ length: 24 * 60 }, (_, i) => ({ zone_id: 'z', at: DAY + i * M, ratio, response_ratio: null }))

const park = unit('PARK', parked(POST), 10, 60, 11)
const patrol = unit('PATROL', patrolRoute(10), 10, 10, 12)
// The same patrol with 45 min of no fix at all in its middle.
const gappy = unit('GAPPY', patrolRoute(10), 10, 10, 12, [5 * 3600, 5 * 3600 + 45 * 60])

t.test('a car parked 10 h at its post: low in patrol mode, high where its post asks for a watch', async (t) => {
  const patrolMode = buildReport(settingsOf(cfg(false)), inputs([park, patrol], { series: series(0.8) }), day).report
  const watchMode = buildReport(settingsOf(cfg(true)), inputs([park, patrol], { series: series(0.8) }), day).report
  const p = patrolMode.units.find((u) => u.unitId === 'PARK')!
  const w = watchMode.units.find((u) => u.unitId === 'PARK')!
  const moving = patrolMode.units.find((u) => u.unitId === 'PATROL')!
  t.equal(p.assessment.mode, 'patrol')
  t.equal(w.assessment.mode, 'watch')
  t.ok(p.assessment.score !== null && p.assessment.score < 10, `parked in patrol mode: ${p.assessment.score} (was 99.8)`)
  t.equal(p.assessment.inputs.moving, 0, 'no moving patrol')
  t.ok((p.assessment.inputs.cells ?? 1) < 0.1, `cells earned: ${p.assessment.inputs.cells}`)
  t.equal(p.assessment.inputs.watch, undefined, 'no watch input in patrol mode')
  t.ok(w.assessment.score !== null && w.assessment.score >= 95, `parked at a watch post: ${w.assessment.score}`)
  t.ok((w.assessment.inputs.watch ?? 0) >= 0.95, `watch share: ${w.assessment.inputs.watch}`)
  t.ok(moving.assessment.score !== null && moving.assessment.score >= 80, `a real patrol: ${moving.assessment.score} (${JSON.stringify(moving.assessment.inputs)})`)
  t.ok(moving.distanceKm > 100, `${moving.distanceKm} km`)
  t.same(patrolMode.units.slice(-1).map((u) => u.unitId), ['PATROL'], 'the parked car is no longer among the best')
})

t.test('45 min of silence costs (a silent unit scored 98.4)', async (t) => {
  const r = buildReport(settingsOf(cfg(false)), inputs([patrol, gappy], { series: series(0.8) }), day).report
  const full = r.units.find((u) => u.unitId === 'PATROL')!
  const gap = r.units.find((u) => u.unitId === 'GAPPY')!
  t.equal(gap.silent.count, 1)
  t.ok(gap.silent.totalMs >= 40 * M, `silent ${gap.silent.totalMs / M} min`)
  t.ok(gap.assessment.inputs.silences !== null && gap.assessment.inputs.silences! <= 1 - SILENCE_PENALTY * 40 / 600, `silences input ${gap.assessment.inputs.silences}`)
  t.ok(gap.assessment.score! <= full.assessment.score! - 8, `silent 45 min: ${gap.assessment.score} vs ${full.assessment.score}`)
  t.ok(gap.assessment.score! < 92, 'no longer near the top')
})

t.test('no data is "no data": a zone without coverage data, a unit without a fix', async (t) => {
  const r = buildReport(settingsOf(cfg(false)), inputs([park]), day).report
  const z = r.zones[0]!
  t.equal(z.coverage.samples, 0)
  t.equal(z.assessment.score, null, 'was 100')
  t.same(z.assessment.inputs, { coverage: null, presence: null, breaches: null })
  const idle = r.units.find((u) => u.unitId === 'IDLE')!
  t.equal(idle.assessment.score, null)
  t.same(idle.assessment.inputs, { moving: null, cells: null, presence: null, breaches: null, silences: null }, 'every input shown, as missing')
  t.same(r.units.map((u) => u.unitId), ['GAPPY', 'IDLE', 'PATROL', 'PARK'], 'no data first: it needs looking at')
  t.equal(r.headline.meanUnitScore, r.units.find((u) => u.unitId === 'PARK')!.assessment.score, 'the mean is over the units with a score')
  // With data, a zone is scored.
  const r2 = buildReport(settingsOf(cfg(false)), inputs([park], { series: series(0.5) }), day).report
  t.equal(r2.zones[0]!.assessment.score, Math.round(1000 * (0.4 * 0.5 + 0.15) / 0.85) / 10, 'coverage 0.5, always below min, no gap')
})

t.test('an open alert counts until "now" in an intraday report', async (t) => {
  const s = settingsOf(cfg(false))
  const spans = [{ alert_id: 'b', k: 'radius_breach', subj: 'PATROL', unit: 'PATROL', zone: '', post: 'p1', opened_ms: FROM + 2 * H, resolved_ms: null }]
  const now = FROM + 2 * H + M
  const intraday = buildReport(s, inputs([patrol], { spans }), { ...day, generatedAt: now }).report
  t.same(intraday.units.find((u) => u.unitId === 'PATROL')!.breaches, { count: 1, totalMs: M }, 'one minute into the breach: 1 min (was 14 h)')
  const after = buildReport(s, inputs([patrol], { spans }), day).report
  t.same(after.units.find((u) => u.unitId === 'PATROL')!.breaches, { count: 1, totalMs: 14 * H }, 'a bulletin made after the day: open to its end')
  const before = buildReport(s, inputs([patrol], { spans }), { ...day, generatedAt: DAY - H }).report
  t.same(before.units.find((u) => u.unitId === 'PATROL')!.breaches, { count: 1, totalMs: 14 * H }, 'a clock before the period is no "now" inside it: open to its end')
  const zoneNow = buildReport(s, inputs([patrol], { series: series(0.5).filter((x) => x.at < now), spans: [{ ...spans[0]!, alert_id: 'g', k: 'coverage_gap', unit: '', zone: 'z', opened_ms: now - 30 * M }] }), { ...day, generatedAt: now }).report.zones[0]!
  t.same(zoneNow.gaps, { count: 1, totalMs: 30 * M, longestMs: 30 * M }, 'an open coverage gap: until now')
  t.same(zoneNow.assessment.inputs, { coverage: 0.5, presence: 0, breaches: Math.round(10_000 * (1 - 30 * M / (now - DAY))) / 10_000 }, 'zone shares over the time elapsed')
})

t.test('unitsReporting counts configured units only', async (t) => {
  const ghost = unit('GHOST', parked(POST), 1, 60, 5)
  const r = buildReport(settingsOf(cfg(false)), inputs([park, patrol, ghost]), day).report
  t.equal(r.headline.unitsConfigured, 4)
  t.equal(r.headline.unitsReporting, 2, 'PARK and PATROL (was 3: the unknown GHOST too)')
  t.equal(r.headline.unknownUnitsReporting, 1)
  t.ok(r.units.some((u) => u.unitId === 'GHOST'), 'the unknown unit is still listed')
})

t.test('pure scores', async (t) => {
  const w = { coverage: 1, moving: 1, cells: 1, presence: 1, breaches: 0, silences: 0 }
  t.same(score({ coverage: 0.5, presence: null }, w), { score: 50, inputs: { coverage: 0.5, presence: null }, weights: { coverage: 1, presence: 1 } })
  t.equal(score({ coverage: null, presence: null }, w).score, null, 'no data: null, not 0 or 100')
  t.equal(score({ coverage: 2, presence: -1 }, w).score, 50, 'inputs are clamped to 0..1')
  t.equal(score({ breaches: 1 }, w).score, null, 'an input of weight 0 is no data for the score')
  const facts = { mode: 'watch' as const, reportingMs: 100, silentMs: 0, movingMs: 0, watchMs: null, cellsVisited: 0, zoneCells: null, inZoneMs: null, inRadiusMs: null, breachMs: 0 }
  t.equal(unitAssessment(facts, w, 0.5).score, null, 'a watch unit without a post: nothing shows its watch')
  t.equal(unitAssessment({ ...facts, watchMs: 50 }, w, 0.5).score, 50, 'watch share 0.5, no conduct data')
  t.same(unitAssessment({ ...facts, mode: 'patrol', movingMs: 25, zoneCells: 0 }, w, 0.5).inputs, { moving: 0.5, cells: null, presence: null, breaches: 1, silences: 1 })
})
