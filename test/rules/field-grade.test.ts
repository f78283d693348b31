// One test per observation of issue 10 not covered by realism.test.ts, each failing on the
// previous rule engine: gap dwell/hysteresis, future-stamped fixes, config reconciliation,
// consistent cells, never-seen units across restarts, bounded unknown units, deltas.
import t from 'tap'
import { cellToChildren, cellToLatLng, cellToParent, latLngToCell } from 'h3-js'
import { FixFlag } from '../../src/decode/fix.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import type { RuleSnapshot } from '../../src/rules/state-codec.js'
import { UNKNOWN_SWEEP } from '../../src/rules/unit-registry.js'
import { gapCondition, initialGapDwell, stepGapDwell } from '../../src/rules/gap-dwell.js'
import { cellAt } from '../../src/rules/coverage-credit.js'
import { BASE, T0, config, feed, fix, offset, square, standardRaw, types, ofKind } from './helpers.js'

const MIN = 60_000
const roundTrip = (e: RuleEngine) => JSON.parse(JSON.stringify(e.snapshot())) as RuleSnapshot

t.test('gap dwell: opens after dwell of gap, resolves only above min + hysteresis for dwell', async (t) => {
  t.equal(gapCondition(0.79, 0.8, 0.05), 'gap')
  t.equal(gapCondition(0.82, 0.8, 0.05), 'band')
  t.equal(gapCondition(0.86, 0.8, 0.05), 'fine')
  t.equal(gapCondition(1, 0.98, 0.05), 'fine', 'threshold capped at 1')
  t.equal(gapCondition(0.9, 0.8, 0.05, true), 'gap', 'extra condition (overdue priority cell)')
  const s = initialGapDwell()
  t.equal(stepGapDwell(s, false, 'gap', 0, 120_000), null)
  t.equal(stepGapDwell(s, false, 'band', 5000, 120_000), null, 'a band tick breaks the run')
  t.equal(stepGapDwell(s, false, 'gap', 10_000, 120_000), null)
  t.equal(stepGapDwell(s, false, 'gap', 130_000, 120_000), 'open')
  t.equal(stepGapDwell(s, true, 'band', 135_000, 120_000), null, 'back at min_ratio but not above the hysteresis: stays open')
  t.equal(stepGapDwell(s, true, 'fine', 140_000, 120_000), null)
  t.equal(stepGapDwell(s, true, 'fine', 260_000, 120_000), 'resolve')
})

t.test('response_gap does not flap tick by tick around min_ratio (observation 2)', async (t) => {
  const raw = standardRaw({
    units: [{ id: 'P-017', kind: 'vehicle', zone: 'grid-2' }],
    zones: [{ id: 'grid-2', geometry: square(BASE, 1000), coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.5, response_radius_m: 1000 } }],
    rules: { silent_after: '10m' },
  })
  const e = new RuleEngine(compileDeployment(config(raw)), { startedAt: T0 - 20 * MIN })
  // The car alternates between the centre (ratio high) and a corner (ratio low) every tick.
  const evs = []
  for (let i = 0; i < 200; i++) {
    const now = T0 + i * 5000
    const p = i % 2 === 0 ? BASE : offset(BASE, 900, 900)
    evs.push(...feed(e, fix('P-017', now, p, { accuracy: 5 }), now), ...e.tick(now))
  }
  t.same(ofKind(evs, 'response_gap'), [], 'alternating ticks: no spell lasts dwell, no webhook')
  for (let i = 200; i < 240; i++) evs.push(...feed(e, fix('P-017', T0 + i * 5000, offset(BASE, 900, 900), { accuracy: 5 }), T0 + i * 5000), ...e.tick(T0 + i * 5000))
  t.same(types(ofKind(evs, 'response_gap')), ['response_gap.opened'], 'a sustained gap opens once')
})

t.test('one future-stamped fix does not freeze the unit (observation 4)', async (t) => {
  const e = new RuleEngine(compileDeployment(config(standardRaw())), { startedAt: T0 })
  feed(e, fix('P-020', T0, offset(BASE, 100, 0)))
  const future = fix('P-020', T0 + 3_600_000, offset(BASE, 100, 0), { receivedAt: T0 + 5000 })
  feed(e, future, T0 + 5000)
  t.equal(future.flags, FixFlag.FutureTs)
  const next = fix('P-020', T0 + 10_000, offset(BASE, 150, 0))
  feed(e, next)
  t.equal(next.flags, 0, 'later real fixes are not too late')
  t.equal(e.unit('P-020', T0 + 10_000)?.lastFix?.ts, T0 + 10_000, 'the live position moves on')
})

t.test('config reconciliation on restart: removed zone, changed post, removed unit, zone named in subjects (observation 7)', async (t) => {
  const raw = standardRaw({ rules: { coverage_gap: { dwell: '0s' } } })
  const e1 = new RuleEngine(compileDeployment(config(raw)), { startedAt: T0 })
  const evs = []
  // P-017 leaves both its post radius and its zone; P-020 leaves its post.
  for (let s = 0; s <= 120; s += 20) {
    evs.push(...feed(e1, fix('P-017', T0 + s * 1000, offset(BASE, 2000, 0))))
    evs.push(...feed(e1, fix('P-020', T0 + s * 1000, offset(BASE, 2000, 0))))
  }
  evs.push(...e1.tick(T0 + 40 * MIN))
  t.ok(ofKind(evs, 'zone_exit').some((x) => x.subject === 'unit:P-017/zone:grid-2'), 'zone_exit names the zone')
  const snap = roundTrip(e1)
  t.equal(snap.alerts.open.length, 7, 'two breaches, one exit, coverage gap, three silences')
  // New deployment: grid-2 replaced by grid-3, the post moved, O-003 removed.
  const changed = standardRaw({
    units: [
      { id: 'P-017', kind: 'vehicle', post: 'station-03', zone: 'grid-3' },
      { id: 'P-020', kind: 'vehicle', post: 'station-03' },
    ],
    posts: [{ id: 'station-03', lat: BASE.lat - 0.01, lon: BASE.lon, radius_m: 1500 }],
    zones: [{ id: 'grid-3', geometry: square(BASE, 1000), coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.8 } }],
  })
  const e2 = RuleEngine.restore(compileDeployment(config(changed)), snap, { startedAt: T0 + 41 * MIN })
  const r = e2.reconcile(T0 + 41 * MIN)
  t.same(r.map((x) => `${x.type}:${x.reason}`).sort(), [
    'coverage_gap.resolved:config_changed',
    'radius_breach.resolved:config_changed',
    'radius_breach.resolved:config_changed',
    'unit_silent.resolved:config_changed',
    'zone_exit.resolved:config_changed',
  ], 'all but the silence of a still-configured unit')
  t.equal(e2.unit('O-003', T0 + 41 * MIN), undefined, 'a removed unit is dropped, not an unknown unit')
  t.same(e2.reconcile(T0 + 41 * MIN), [], 'once')
  // A real exit from the NEW zone (and a breach of the moved post) is raised.
  const again = []
  for (let s = 0; s <= 120; s += 20) again.push(...feed(e2, fix('P-017', T0 + 42 * MIN + s * 1000, offset(BASE, 2000, 0)), T0 + 42 * MIN + s * 1000))
  t.same(types(again).sort(), ['radius_breach.opened', 'unit_silent.resolved', 'zone_exit.opened'])
  t.ok(again.some((x) => x.subject === 'unit:P-017/zone:grid-3'))
})

t.test('one point → cell mapping: a coarser zone credits the point\'s own cell, not the ingest cell\'s parent (observation 8)', async (t) => {
  // Find a point whose res-9 cell's parent differs from its res-8 cell.
  let p = BASE
  for (const c of cellToChildren(latLngToCell(BASE.lat, BASE.lon, 8), 10)) {
    const [lat, lon] = cellToLatLng(c)
    if (cellToParent(latLngToCell(lat, lon, 9), 8) !== latLngToCell(lat, lon, 8)) {
      p = { lat, lon }
      break
    }
  }
  t.not(p, BASE, 'such points exist (~7 %)')
  const f = fix('P-017', T0, p)
  t.equal(cellAt(f, 8, 9), latLngToCell(p.lat, p.lon, 8))
  t.equal(cellAt(f, 9, 9), f.h3, 'the ingest cell at the ingest resolution')
})

t.test('changing a zone\'s resolution raises no false gap after restart (observation 8)', async (t) => {
  const zone = (res: number) => ({ zones: [{ id: 'grid-2', geometry: square(BASE, 1000), coverage: { resolution: res, max_interval: '30m', min_ratio: 0.1 } }], rules: { coverage_gap: { dwell: '0s' } } })
  const e1 = new RuleEngine(compileDeployment(config(standardRaw(zone(9)))), { startedAt: T0 - 40 * MIN })
  const cells = compileDeployment(config(standardRaw(zone(9)))).zones[0]?.coverage.cells ?? []
  e1.seedVisits(cells.map((cell) => ({ zoneId: 'grid-2', cell, ts: T0 })))
  t.same(ofKind(e1.tick(T0), 'coverage_gap'), [])
  const e2 = RuleEngine.restore(compileDeployment(config(standardRaw(zone(8)))), roundTrip(e1), { startedAt: T0 + MIN })
  t.same(ofKind(e2.tick(T0 + 2 * MIN), 'coverage_gap'), [], 'no gap at the first tick after the change')
  t.ok((e2.zones(T0 + 2 * MIN)[0]?.ratio as number) > 0.5, 'visits carried to the new cells')
})

t.test('a never-seen unit goes silent however often the engine restarts (observation 9)', async (t) => {
  const d = compileDeployment(config(standardRaw()))
  let e = new RuleEngine(d, { startedAt: T0 })
  for (let i = 1; i <= 4; i++) {
    e.tick(T0 + i * 50_000)
    e = RuleEngine.restore(d, roundTrip(e), { startedAt: T0 + i * 50_000 })
  }
  e.tick(T0 + 200_000)
  t.same(e.openAlerts().filter((a) => a.kind === 'unit_silent').map((a) => a.subject).sort(), ['unit:O-003', 'unit:P-017', 'unit:P-020'], 'measured from the first start, not the latest restart')
})

t.test('bounded unknown units: capped, evicted when idle, state deltas follow what changed (issue 9)', async (t) => {
  const d = compileDeployment(config(standardRaw({ rules: { max_unknown_units: 2, unknown_idle_after: '10m' } })))
  const e = new RuleEngine(d, { startedAt: T0 })
  e.takeDelta()
  for (const id of ['X-1', 'X-2', 'X-3']) feed(e, fix(id, T0, BASE))
  t.equal(e.unknownUnits, 2)
  t.equal(e.unit('X-3', T0), undefined, 'beyond the cap: not tracked')
  t.equal(e.untrackedFixes, 1)
  const d1 = e.takeDelta()
  t.same(d1.units.map((u) => u.id).sort(), ['X-1', 'X-2'], 'only the units that changed')
  t.same(e.takeDelta().units, [], 'nothing changed since')
  feed(e, fix('X-1', T0 + 9 * MIN, BASE))
  e.tick(T0 + 11 * MIN)
  t.equal(e.unit('X-2', T0 + 11 * MIN), undefined, 'idle unknown unit forgotten')
  t.ok(e.unit('X-1', T0 + 11 * MIN), 'the active one is kept')
  const d2 = e.takeDelta()
  t.same(d2.removed, ['X-2'])
  e.tick(T0 + 60 * MIN)
  t.same(e.openAlerts().filter((a) => a.kind === 'unit_silent').map((a) => a.subject).sort(), ['unit:O-003', 'unit:P-017', 'unit:P-020'], 'no unit_silent for unknown units')
  e.markAllChanged()
  t.same(e.takeDelta().units.map((u) => u.id).sort(), ['O-003', 'P-017', 'P-020'], 'markAllChanged: the next delta carries every unit (X-1 was evicted idle)')
  const restored = RuleEngine.restore(compileDeployment(config(standardRaw({ rules: { max_unknown_units: 0 } }))), roundTrip(e), { startedAt: T0 + 61 * MIN })
  t.equal(restored.unknownUnits, 0, 'the cap applies on restore')
})

t.test('the idle sweep of unknown units visits UNKNOWN_SWEEP units per tick and resumes where it stopped', async (t) => {
  const d = compileDeployment(config(standardRaw({ rules: { max_unknown_units: 20_000, unknown_idle_after: '10m' } })))
  const e = new RuleEngine(d, { startedAt: T0 })
  for (let i = 0; i < 12_000; i++) feed(e, fix(`X-${i}`, T0, BASE))
  t.equal(e.unknownUnits, 12_000)
  feed(e, fix('X-7', T0 + 9 * MIN, BASE))
  const left: number[] = []
  for (let k = 1; k <= 4; k++) {
    e.tick(T0 + 10 * MIN + k * 5000)
    left.push(e.unknownUnits)
  }
  t.ok(left[0]! > 12_000 - UNKNOWN_SWEEP - 1 && left[0]! < 12_000, `one tick forgets at most ${UNKNOWN_SWEEP} (${left[0]} left)`)
  t.ok(left[1]! < left[0]!, 'the next tick resumes the sweep')
  t.equal(left[3], 1, 'within a few ticks every idle one is gone; the one that reported stays')
  t.ok(e.unit('X-7', T0 + 11 * MIN))
})

t.test('reconcile: a legacy zone_exit subject and a removed response radius resolve; the exit is raised again', async (t) => {
  const zoneRaw = (response: boolean) => standardRaw({
    zones: [{ id: 'grid-2', name: 'Grid 2', geometry: square(BASE, 1000), coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.8, ...(response ? { response_radius_m: 500 } : {}) } }],
    rules: { response_gap: { dwell: '0s' }, silent_after: '1h' },
  })
  const e1 = new RuleEngine(compileDeployment(config(zoneRaw(true))), { startedAt: T0 - 2 * 3_600_000 })
  for (let s = 0; s <= 120; s += 20) feed(e1, fix('P-017', T0 + s * 1000, offset(BASE, 2000, 0)))
  t.same(ofKind(e1.tick(T0 + 130_000), 'response_gap').map((x) => x.state), ['opened'])
  const snap = roundTrip(e1)
  // As an older version saved it: the exit's subject without the zone.
  for (const v of snap.alerts.open) if (v.kind === 'zone_exit') v.subject = 'unit:P-017'
  const e2 = RuleEngine.restore(compileDeployment(config(zoneRaw(false))), snap, { startedAt: T0 + 140_000 })
  const r = e2.reconcile(T0 + 140_000)
  t.same(r.map((x) => x.type).sort(), ['response_gap.resolved', 'zone_exit.resolved'])
  t.equal(e2.unit('P-017', T0 + 140_000)?.outsideZone, false, 'the exit state starts over')
  const again = []
  for (let s = 150; s <= 270; s += 20) again.push(...feed(e2, fix('P-017', T0 + s * 1000, offset(BASE, 2000, 0))))
  t.same(ofKind(again, 'zone_exit').map((x) => x.subject), ['unit:P-017/zone:grid-2'])
})

t.test('a unit state saved by the previous version restores with defaults; an active breach stays open', async (t) => {
  const d = compileDeployment(config(standardRaw()))
  const e1 = new RuleEngine(d, { startedAt: T0 })
  for (let s = 0; s <= 120; s += 20) feed(e1, fix('P-020', T0 + s * 1000, offset(BASE, 2000, 0)))
  t.equal(e1.unit('P-020', T0 + 120_000)?.inBreach, true)
  const snap = roundTrip(e1)
  for (const u of snap.units as unknown as Array<Record<string, unknown>>) {
    // Old format: none of the new fields, dwell and silence states without their new members.
    for (const k of ['rejected', 'offsets', 'clockOffsetMs', 'holdUntil', 'known']) delete u[k]
    if (u.radius !== null) delete (u.radius as Record<string, unknown>).postKey
    if (u.zone !== null) delete (u.zone as Record<string, unknown>).zoneKey
  }
  const e2 = RuleEngine.restore(d, snap, { startedAt: T0 + 130_000 })
  t.equal(e2.unit('P-020', T0 + 130_000)?.inBreach, true, 'the state is kept (same post)')
  t.equal(e2.unit('P-020', T0 + 130_000)?.clockOffsetMs, null)
  t.same(e2.reconcile(T0 + 130_000).filter((x) => x.kind === 'radius_breach'), [], 'its alert is still decidable: not resolved')
  t.equal(e2.unit('P-017', T0 + 130_000)?.outsideZone, false)
})
