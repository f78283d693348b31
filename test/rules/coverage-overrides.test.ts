// The coverage override seam (patrol levels, hotspots): a changed override takes effect at the next
// tick without losing visits, tightens or loosens coverage_gap, adds hotspot priority cells (only
// inside the zone), switches response coverage on and off, and is re-applied after a restore.
import t from 'tap'
import { latLngToCell } from 'h3-js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { applyOverride, overrideKey, type CoverageOverride } from '../../src/rules/coverage-overrides.js'
import { BASE, T0, config, feed, fix, square, ofKind, standardRaw } from './helpers.js'
import { cellCentre } from '../../src/geo/cells.js'

const MIN = 60_000
const raw = (coverage: Record<string, unknown> = {}) => standardRaw({ zones: [{ id: 'grid-2', name: 'Grid 2', geometry: square(BASE, 300), coverage: { max_interval: '30m', min_ratio: 0.8, ...coverage } }], rules: { allowed_lateness: '0s', coverage_gap: { dwell: '0s' } } })
// The gap dwell is off: these tests are about what an override changes at the next tick.
const dep = (coverage?: Record<string, unknown>) => compileDeployment(config(raw(coverage)))

/** Visits every zone cell once, 30 s apart (a plausible drive). */
function patrolAll(e: RuleEngine, cells: string[], from: number): void {
  cells.forEach((c, i) => feed(e, fix('P-017', from + i * 30_000, cellCentre(c))))
}

t.test('a tighter max_interval opens coverage_gap at the next tick; visits are kept; removing it resolves', async (t) => {
  const d = dep()
  const cells = d.zones[0]!.coverage.cells
  const e = new RuleEngine(d, { startedAt: T0 - 60 * MIN })
  patrolAll(e, cells, T0)
  let override: CoverageOverride | null = null
  e.setCoverageOverrides(() => override)
  t.same(ofKind(e.tick(T0 + 20 * MIN), 'coverage_gap'), [], '20 min old visits are fresh at 30 min')
  override = { maxIntervalMs: 15 * MIN }
  const opened = ofKind(e.tick(T0 + 20 * MIN + 5000), 'coverage_gap')
  t.equal(opened.length, 1)
  t.equal(opened[0]!.state, 'opened')
  t.match(opened[0]!.summary, /within 15m/)
  t.equal(e.zones(T0)[0]!.fresh, cells.length, 'visits survived the rebuild (evaluated at T0)')
  override = null
  const resolved = ofKind(e.tick(T0 + 21 * MIN), 'coverage_gap')
  t.equal(resolved[0]?.state, 'resolved')
  e.setCoverageOverrides(null)
  t.same(e.tick(T0 + 22 * MIN), [], 'no provider: configuration as is')
})

t.test('min_ratio and hotspot priority cells; cells outside the zone are ignored; configured ones keep the tighter interval', async (t) => {
  const d0 = dep()
  const cells = d0.zones[0]!.coverage.cells
  const hot = cells[0]!
  const configured = cells[1]!
  const d = dep({ priority_cells: [{ cell: configured, name: 'bank', max_interval: '10m' }] })
  const e = new RuleEngine(d, { startedAt: T0 - 60 * MIN })
  patrolAll(e, cells, T0)
  const outside = latLngToCell(BASE.lat + 0.05, BASE.lon, 9)
  e.setCoverageOverrides((zoneId) => (zoneId === 'grid-2' ? { priority: [{ cell: hot, name: 'hotspot cell (score 9.0, 3 incidents)', maxIntervalMs: 5 * MIN }, { cell: configured, maxIntervalMs: 20 * MIN }, { cell: outside, maxIntervalMs: MIN }] } : null))
  const ev = ofKind(e.tick(T0 + 6 * MIN), 'coverage_gap')
  t.equal(ev.length, 1, 'the hotspot cell is overdue after 5 min')
  t.same(ev[0]!.staleCells!.filter((c) => c.priority).map((c) => [c.cell, c.name]), [[hot, 'hotspot cell (score 9.0, 3 incidents)']])
  t.match(ev[0]!.summary, /1 priority cell overdue/)
  const spec = applyOverride(d.zones[0]!, { priority: [{ cell: configured, maxIntervalMs: 20 * MIN }, { cell: outside, maxIntervalMs: MIN }] })
  t.same(spec.coverage.priority, [{ cell: configured, name: 'bank', maxIntervalMs: 10 * MIN }], 'tighter configured interval kept, outside cell dropped')
  const unnamed = applyOverride(d.zones[0]!, { priority: [{ cell: cells[2]!, maxIntervalMs: MIN }] })
  t.same(unnamed.coverage.priority.at(-1), { cell: cells[2], maxIntervalMs: MIN }, 'a new cell without a name')
  t.equal(applyOverride(d.zones[0]!, null), d.zones[0])
  const r = applyOverride(d.zones[0]!, { minRatio: 0.95, maxIntervalMs: MIN })
  t.match(r, { minRatio: 0.95, maxIntervalMs: MIN, coverage: { minRatio: 0.95, maxIntervalMs: MIN } })
  t.equal(d.zones[0]!.minRatio, 0.8, 'the configured spec is not mutated')
  t.equal(overrideKey(null), '')
  t.not(overrideKey({ minRatio: 0.9 }), overrideKey({ minRatio: 0.91 }))
})

t.test('response radius switched on by an override and off again', async (t) => {
  const d = dep()
  const e = new RuleEngine(d, { startedAt: T0 - 60 * MIN })
  feed(e, fix('P-017', T0, BASE))
  let o: CoverageOverride | null = { responseRadiusM: 5000 }
  e.setCoverageOverrides(() => o)
  e.tick(T0 + 1000)
  t.equal(e.zones(T0 + 1000)[0]!.responseRatio, 1, 'response coverage computed')
  o = { responseRadiusM: 5000, minRatio: 0.5 }
  e.tick(T0 + 2000)
  t.equal(e.zones(T0 + 2000)[0]!.responseRatio, 1, 'same radius: response coverage kept')
  t.equal(e.zones(T0 + 2000)[0]!.minRatio, 0.5)
  o = null
  e.tick(T0 + 3000)
  t.equal(e.zones(T0 + 3000)[0]!.responseRatio, null, 'back to no response radius')
})

t.test('after a restore the override is applied again at the first tick', async (t) => {
  const d = dep()
  const e = new RuleEngine(d, { startedAt: T0 - 60 * MIN })
  patrolAll(e, d.zones[0]!.coverage.cells, T0)
  const snap = JSON.parse(JSON.stringify(e.snapshot()))
  const r = RuleEngine.restore(d, snap, { startedAt: T0 + 10 * MIN })
  r.setCoverageOverrides(() => ({ maxIntervalMs: 15 * MIN }))
  t.equal(ofKind(r.tick(T0 + 20 * MIN), 'coverage_gap')[0]?.state, 'opened')
})
