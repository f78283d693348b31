import t from 'tap'
import { compileDeployment } from '../../src/rules/deployment.js'
import { UNKNOWN_SWEEP, UnitRegistry } from '../../src/rules/unit-registry.js'
import { unitToJSON, type UnitState } from '../../src/rules/unit-state.js'
import { BASE, T0, config, fix, offset, standardRaw } from './helpers.js'

const MIN = 60_000
const dep = (rules: Record<string, unknown> = {}) => compileDeployment(config(standardRaw({ rules: { allowed_lateness: '0s', ...rules } })))

/** Gives the unit a position (as ingest does) and a sign of life at the fix time. */
function place(r: UnitRegistry, u: UnitState, ts: number, p: { lat: number; lon: number }): void {
  u.latest = fix(u.id, ts, p)
  u.silent.lastSeenAt = ts
  r.moved(u)
}

t.test('configured units exist from the start; unknown ones on first sight, up to max_unknown_units', async (t) => {
  const r = new UnitRegistry(dep({ max_unknown_units: 2 }), T0)
  t.same([...r.ids()], ['P-017', 'O-003', 'P-020'], 'config order')
  t.equal(r.unknownCount, 0)
  t.equal(r.get('P-017')?.spec?.id, 'P-017')
  t.equal(r.obtain('P-017', T0 + 1000), r.get('P-017'), 'a configured unit is not created again')
  const x = r.obtain('X-1', T0 + 1000)
  t.equal(x?.spec, null)
  t.equal(x?.silent.since, T0 + 1000, 'silence of an unknown unit counts from first sight')
  t.equal(r.obtain('X-1', T0 + 2000), x, 'the same state on the next fix')
  t.ok(r.obtain('X-2', T0 + 2000))
  t.equal(r.unknownCount, 2)
  t.equal(r.obtain('X-3', T0 + 3000), null, 'beyond max_unknown_units: not tracked')
  t.equal(r.get('X-3'), undefined)
  t.same([...r.values()].map((u) => u.id), ['P-017', 'O-003', 'P-020', 'X-1', 'X-2'])
})

t.test('adopt: saved units come back unless dropped from the config or beyond the unknown limit', async (t) => {
  const old = new UnitRegistry(dep(), T0)
  place(old, old.get('P-017') as UnitState, T0, offset(BASE, 100, 0))
  const saved = [...old.values()].map((u) => unitToJSON(u))
  const x1 = unitToJSON(old.obtain('X-1', T0) as UnitState)
  const x2 = unitToJSON(old.obtain('X-2', T0) as UnitState)
  const gone = { ...unitToJSON(old.get('P-020') as UnitState), id: 'P-099' }

  const r = new UnitRegistry(dep({ max_unknown_units: 1 }), T0 + MIN)
  const p = r.adopt(saved[0]!, T0 + MIN)
  t.equal(p, r.get('P-017'))
  t.same(r.nearest(BASE.lat, BASE.lon, { k: 1 }, T0).map((h) => h.value.id), ['P-017'], 'a restored position is indexed')
  t.equal(r.adopt(gone, T0 + MIN), null, 'a configured unit no longer configured is dropped')
  t.equal(r.get('P-099'), undefined)
  t.ok(r.adopt(x1, T0 + MIN))
  t.equal(r.adopt(x2, T0 + MIN), null, 'beyond max_unknown_units')
  t.equal(r.unknownCount, 1)
})

t.test('nearest: by kind, live only unless asked, within a distance, ties by id', async (t) => {
  const r = new UnitRegistry(dep(), T0)
  place(r, r.get('P-017') as UnitState, T0, offset(BASE, 100, 0))
  place(r, r.get('O-003') as UnitState, T0, offset(BASE, 0, 600))
  place(r, r.obtain('X-1', T0) as UnitState, T0, offset(BASE, 100, 0))
  const ids = (hits: Array<{ value: UnitState }>) => hits.map((h) => h.value.id)
  t.same(ids(r.nearest(BASE.lat, BASE.lon, { k: 5 }, T0)), ['P-017', 'X-1', 'O-003'])
  t.ok(Math.abs(r.nearest(BASE.lat, BASE.lon, { k: 1 }, T0)[0]!.distanceM - 100) < 1)
  t.same(ids(r.nearest(BASE.lat, BASE.lon, { k: 5, kind: 'officer' }, T0)), ['O-003'])
  t.same(r.nearest(BASE.lat, BASE.lon, { k: 5, kind: 'horse' }, T0), [], 'no unit of that kind')
  t.same(ids(r.nearest(BASE.lat, BASE.lon, { k: 5, maxDistanceM: 250 }, T0)), ['P-017', 'X-1'])
  // O-003 goes silent after 120 s, the others after 180 s.
  const later = T0 + 150_000
  t.same(ids(r.nearest(BASE.lat, BASE.lon, { k: 5 }, later)), ['P-017', 'X-1'])
  t.same(ids(r.nearest(BASE.lat, BASE.lon, { k: 5, includeSilent: true }, later)), ['P-017', 'X-1', 'O-003'])
  // A move re-indexes the unit.
  place(r, r.get('O-003') as UnitState, later, offset(BASE, 10, 0))
  t.same(ids(r.nearest(BASE.lat, BASE.lon, { k: 1 }, later)), ['O-003'])
})

t.test('livePositions: units with a fix that are not silent', async (t) => {
  const r = new UnitRegistry(dep(), T0)
  const a = offset(BASE, 100, 0)
  const b = offset(BASE, 0, 600)
  place(r, r.get('P-017') as UnitState, T0, a)
  place(r, r.get('O-003') as UnitState, T0, b)
  t.same(r.livePositions(T0 + 1000), [a, b], 'P-020 has no fix')
  t.same(r.livePositions(T0 + 150_000), [a], 'O-003 is silent')
})

t.test('sweepIdle forgets idle unknown units only, and says which', async (t) => {
  const r = new UnitRegistry(dep({ unknown_idle_after: '10m' }), T0)
  t.same(r.sweepIdle(T0 + 60 * MIN), [], 'no unknown unit: configured ones are never swept')
  const idle = r.obtain('X-idle', T0) as UnitState
  place(r, idle, T0, offset(BASE, 100, 0))
  place(r, r.obtain('X-busy', T0) as UnitState, T0 + 9 * MIN, offset(BASE, 200, 0))
  t.same(r.sweepIdle(T0 + 9 * MIN), [], 'not idle long enough')
  t.same(r.sweepIdle(T0 + 10 * MIN), [idle])
  t.equal(r.get('X-idle'), undefined)
  t.equal(r.unknownCount, 1)
  t.same(r.nearest(BASE.lat, BASE.lon, { k: 5, includeSilent: true }, T0 + 10 * MIN).map((h) => h.value.id), ['X-busy'], 'out of the index')
  t.same(r.nearest(BASE.lat, BASE.lon, { k: 5, includeSilent: true, kind: idle.kind }, T0 + 10 * MIN).map((h) => h.value.id), ['X-busy'], 'out of its kind index')
  t.ok(r.get('P-020'), 'a configured unit that never reported stays')
  t.ok(r.obtain('X-idle', T0 + 11 * MIN), 'a forgotten unit is new again on its next fix')
})

t.test('sweepIdle visits at most UNKNOWN_SWEEP units per call and resumes where it stopped', async (t) => {
  const r = new UnitRegistry(dep({ max_unknown_units: UNKNOWN_SWEEP + 100, unknown_idle_after: '10m' }), T0)
  for (let i = 0; i < UNKNOWN_SWEEP + 100; i++) r.obtain(`X-${i}`, T0)
  const first = r.sweepIdle(T0 + 10 * MIN)
  t.equal(first.length, UNKNOWN_SWEEP - 3, 'the three configured units take part of the budget')
  t.equal(first[0]?.id, 'X-0')
  const second = r.sweepIdle(T0 + 10 * MIN)
  t.equal(second[0]?.id, `X-${UNKNOWN_SWEEP - 3}`, 'resumes after the last unit visited')
  t.equal(r.unknownCount, 0)
  t.same(r.sweepIdle(T0 + 10 * MIN), [])
})

t.test('sweepIdle wraps around to the first unit when it resumed near the end', async (t) => {
  const r = new UnitRegistry(dep({ max_unknown_units: UNKNOWN_SWEEP + 100, unknown_idle_after: '10m' }), T0)
  for (let i = 0; i < UNKNOWN_SWEEP + 100; i++) r.obtain(`X-${i}`, T0)
  t.same(r.sweepIdle(T0 + MIN), [], 'nobody idle yet; the sweep stops after UNKNOWN_SWEEP units')
  const gone = r.sweepIdle(T0 + 10 * MIN)
  t.equal(gone.length, UNKNOWN_SWEEP - 3, 'the budget again (configured units take part of it)')
  t.equal(gone[0]?.id, `X-${UNKNOWN_SWEEP - 3}`, 'resumed where the last call stopped')
  t.equal(gone[102]?.id, `X-${UNKNOWN_SWEEP + 99}`, 'to the last unit')
  t.equal(gone[103]?.id, 'X-0', 'then on from the first one (past the configured units)')
  t.equal(r.unknownCount, 103)
})
