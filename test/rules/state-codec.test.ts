import t from 'tap'
import { latLngToCell } from 'h3-js'
import { AlertBook } from '../../src/rules/alert-book.js'
import { compileDeployment, type Deployment } from '../../src/rules/deployment.js'
import {
  checkSnapshotVersion, encodeSnapshot, restoreSnapshot, StateChanges, type RuleSnapshot, type RuleState,
} from '../../src/rules/state-codec.js'
import { silentOpened } from '../../src/rules/unit-alerts.js'
import { UnitRegistry } from '../../src/rules/unit-registry.js'
import type { UnitState } from '../../src/rules/unit-state.js'
import { createZoneState } from '../../src/rules/zone-state.js'
import { BASE, T0, config, fix, offset, square, standardRaw } from './helpers.js'

const MIN = 60_000
const CELL = latLngToCell(BASE.lat, BASE.lon, 9)
const dep = (over: Record<string, unknown> = {}) => compileDeployment(config(standardRaw({ rules: { allowed_lateness: '0s' }, ...over })))
const withResponse = () => dep({
  zones: [
    { id: 'grid-2', name: 'Grid 2', geometry: square(BASE, 1000), coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.8, response_radius_m: 500 } },
    { id: 'grid-3', geometry: square(offset(BASE, 5000, 0), 500), coverage: { resolution: 9, max_interval: '30m' } },
  ],
})

function fresh(d: Deployment, startedAt = T0): RuleState & { zones: ReturnType<typeof createZoneState>[] } {
  return { units: new UnitRegistry(d, startedAt), book: new AlertBook(), zones: d.zones.map((z) => createZoneState(z, startedAt)) }
}

/** A state with something in every part: a positioned unit, an open alert, a visit, a ratio, a running timer. */
function busy(d: Deployment): RuleState {
  const s = fresh(d)
  const u = s.units.get('P-017') as UnitState
  u.latest = fix('P-017', T0, offset(BASE, 100, 0))
  s.units.moved(u)
  s.units.obtain('X-1', T0)
  silentOpened(s.book, s.units.get('O-003') as UnitState, T0 + 3 * MIN)
  s.zones[0]!.coverage.visit(CELL, T0 + MIN)
  s.zones[0]!.responseRatio = 0.5
  s.zones[0]!.coverageDwell = { pendingSince: T0 + 2 * MIN }
  return s
}

const json = (x: unknown) => JSON.parse(JSON.stringify(x)) as RuleSnapshot

t.test('a snapshot restored into a fresh state encodes to the same snapshot', async (t) => {
  const d = withResponse()
  const snap = json(encodeSnapshot(busy(d)))
  t.equal(snap.version, 1)
  t.same(snap.units.map((u) => u.id), ['P-017', 'O-003', 'P-020', 'X-1'])
  t.same(snap.responseRatios, [{ zoneId: 'grid-2', ratio: 0.5 }], 'only zones with a ratio')
  t.equal(snap.zoneTimers?.length, 2)
  const s = fresh(d, T0 + 10 * MIN)
  const book = restoreSnapshot(d, snap, T0 + 10 * MIN, s.units, s.zones)
  t.same(json(encodeSnapshot({ ...s, book })), snap)
  t.equal(book.list()[0]?.kind, 'unit_silent', 'open alerts come back')
  t.equal(s.units.unknownCount, 1)
  t.same(s.units.nearest(BASE.lat, BASE.lon, { k: 1, includeSilent: true }, T0).map((h) => h.value.id), ['P-017'])
})

t.test('version check', async (t) => {
  const d = dep()
  const snap = encodeSnapshot(fresh(d))
  t.doesNotThrow(() => checkSnapshotVersion(snap))
  t.throws(() => checkSnapshotVersion({ ...snap, version: 2 } as unknown as RuleSnapshot), /rule snapshot version 2 is not supported/)
  t.throws(() => checkSnapshotVersion(undefined as unknown as RuleSnapshot), /rule snapshot version undefined is not supported/)
  const s = fresh(d)
  t.throws(() => restoreSnapshot(d, { ...snap, version: 2 } as unknown as RuleSnapshot, T0, s.units, s.zones), /version 2/)
})

t.test('restore skips what the deployment no longer has', async (t) => {
  const snap = json(encodeSnapshot(busy(withResponse())))
  // grid-3 is gone and grid-2 has no response radius any more.
  const d = dep()
  const s = fresh(d, T0 + 10 * MIN)
  const book = restoreSnapshot(d, {
    ...snap,
    coverage: [...snap.coverage, { zoneId: 'gone', state: null }],
    responseRatios: [...snap.responseRatios, { zoneId: 'gone', ratio: 1 }],
    zoneTimers: [...snap.zoneTimers!, { zoneId: 'gone', coverage: snap.zoneTimers![0]!.coverage, response: snap.zoneTimers![0]!.response }],
  }, T0 + 10 * MIN, s.units, s.zones)
  t.equal(s.zones.length, 1)
  t.equal(s.zones[0]?.responseRatio, null, 'no response coverage: the ratio is not restored')
  t.same(s.zones[0]?.coverageDwell, snap.zoneTimers![0]!.coverage, 'timers of a kept zone are restored')
  t.equal(s.zones[0]?.coverage.lastVisits(T0 + 10 * MIN).find((v) => v.cell === CELL)?.lastVisit, T0 + MIN, 'visits of a kept zone are restored')
  t.equal(book.list().length, 1)
  const old = fresh(d)
  const none = restoreSnapshot(d, { ...encodeSnapshot(old), zoneTimers: undefined }, T0, old.units, old.zones)
  t.same(none.list(), [], 'a snapshot written before zone timers existed')
})

t.test('StateChanges: a delta carries what changed since the last one, and only that', async (t) => {
  const d = withResponse()
  const s = busy(d)
  const c = new StateChanges(s.zones.length)
  const first = c.take(s)
  t.same(first.units, [], 'no unit touched yet')
  t.same(first.removed, [])
  t.ok(first.alerts, 'the book is written the first time')
  t.same(first.coverage.map((z) => z.zoneId), ['grid-2', 'grid-3'], 'every zone the first time')
  t.same(first.responseRatios, [{ zoneId: 'grid-2', ratio: 0.5 }])
  t.equal(first.zoneTimers.length, 2, 'the small zone timers always')

  const quiet = c.take(s)
  t.equal(quiet.alerts, null, 'book unchanged')
  t.same(quiet.coverage, [], 'coverage unchanged')

  c.touched('P-017')
  c.touched('X-1')
  c.touched('nobody')
  c.forgotten('X-1')
  s.zones[1]!.coverage.visit(latLngToCell(offset(BASE, 5000, 0).lat, offset(BASE, 5000, 0).lon, 9), T0 + 4 * MIN)
  const next = c.take(s)
  t.same(next.units.map((u) => u.id), ['P-017'], 'a forgotten unit is not written; an unknown id is skipped')
  t.same(next.removed, ['X-1'])
  t.same(next.coverage.map((z) => z.zoneId), ['grid-3'])
  t.same(c.take(s).removed, [], 'removals are taken once')

  c.markAll(s)
  const all = c.take(s)
  t.same(all.units.map((u) => u.id), ['P-017', 'O-003', 'P-020', 'X-1'])
  t.ok(all.alerts)
  t.same(all.coverage.map((z) => z.zoneId), ['grid-2', 'grid-3'])
})
