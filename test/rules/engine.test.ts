import t from 'tap'
import { latLngToCell } from 'h3-js'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import { FixFlag, type Fix } from '../../src/decode/fix.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { DISORDER_HOLD_MS, RuleEngine } from '../../src/rules/engine.js'
import type { RuleSnapshot } from '../../src/rules/state-codec.js'
import { BASE, T0, config, feed, fix, offset, standardRaw, types, ofKind } from './helpers.js'

const LATE = { rules: { allowed_lateness: '5s' } }
const dep = (over: Record<string, unknown> = {}) => compileDeployment(config(standardRaw(over)))

/** P-020's excursion, one fix a second: inside 0–59 s, out at 2500 m 90–599 s, back at 600 m 630–800 s. */
function excursion(): Fix[] {
  const out: Fix[] = []
  for (let s = 0; s <= 800; s++) {
    let d: number | null = null
    if (s < 60) d = 800
    else if (s >= 90 && s < 600) d = 2500
    else if (s >= 630) d = 600
    if (d !== null) out.push(fix('P-020', T0 + s * 1000, offset(BASE, d, 0)))
  }
  return out
}

/** Deterministic shuffle within windows of `w` fixes (arrival order only; fix times unchanged). */
function shuffleWindows<T>(xs: T[], w: number): T[] {
  const out: T[] = []
  for (let i = 0; i < xs.length; i += w) {
    const chunk = xs.slice(i, i + w)
    out.push(...chunk.reverse())
  }
  return out
}

function run(e: RuleEngine, fixes: Fix[], endNow: number): AlertEvent[] {
  const evs: AlertEvent[] = []
  for (const f of fixes) evs.push(...feed(e, f, f.receivedAt))
  evs.push(...e.tick(endNow))
  return evs
}

t.test('out-of-order fixes within the lateness are put in order', async (t) => {
  const inOrder = run(new RuleEngine(dep(LATE), { startedAt: T0 }), excursion(), T0 + 810_000)
  // Arrival 3 s late and reversed within 3-fix windows.
  const late = shuffleWindows(excursion(), 3).map((f) => ({ ...f, receivedAt: f.ts + 3000 }))
  const e = new RuleEngine(dep(LATE), { startedAt: T0 })
  const reordered = run(e, late, T0 + 810_000)
  const breach = ofKind(reordered, 'radius_breach')
  t.same(types(breach), ['radius_breach.opened', 'radius_breach.resolved'])
  t.equal(breach[0]?.at, T0 + 150_000)
  t.equal(breach[1]?.at, T0 + 690_000)
  t.same(breach, ofKind(inOrder, 'radius_breach'), 'same events as in order')
})

t.test('in-order fixes are evaluated at once; a unit out of order is held for allowed_lateness, released on tick (observation 10)', async (t) => {
  const e = new RuleEngine(dep({ ...LATE, rules: { allowed_lateness: '5s', radius: { dwell: '0s' } } }), { startedAt: T0 })
  t.same(types(ofKind(feed(e, fix('P-020', T0, offset(BASE, 2000, 0))), 'radius_breach')), ['radius_breach.opened'], 'no hold for an in-order stream')
  const late = fix('P-020', T0 - 3000, offset(BASE, 2000, 0), { receivedAt: T0 + 100 })
  t.same(feed(e, late, T0 + 100), [])
  t.equal(late.flags & FixFlag.TooLate, FixFlag.TooLate, 'the first out-of-order fix is too late')
  t.same(feed(e, fix('P-020', T0 + 30_000, offset(BASE, 500, 0))), [], 'now held')
  t.same(e.tick(T0 + 34_999).filter((x) => x.kind === 'radius_breach'), [])
  t.same(types(ofKind(e.tick(T0 + 35_000), 'radius_breach')), ['radius_breach.resolved'], 'released after allowed_lateness')
  const after = T0 + DISORDER_HOLD_MS + 100_000
  t.same(types(ofKind(feed(e, fix('P-020', after, offset(BASE, 2000, 0)), after), 'radius_breach')), ['radius_breach.opened'], 'in order again after the hold: at once')
})

t.test('too-late fixes are flagged and fire nothing', async (t) => {
  const e = new RuleEngine(dep(LATE), { startedAt: T0 })
  for (let s = 0; s <= 100; s += 10) feed(e, fix('P-017', T0 + s * 1000, offset(BASE, 500, 0)))
  e.tick(T0 + 200_000)
  // A fix from 40 s back, far outside: older than the last released fix.
  const cell = offset(BASE, -600, 700)
  const tooLate = fix('P-017', T0 + 60_500, cell, { receivedAt: T0 + 200_000 })
  t.equal(e.classify(tooLate), FixFlag.TooLate)
  t.same(feed(e, tooLate, T0 + 200_000), [])
  // Several more too-late fixes outside, spanning more than dwell: still nothing.
  for (let s = 1; s <= 5; s++) {
    const f = fix('P-017', T0 + 60_500 + s * 20, offset(BASE, -600, 700), { receivedAt: T0 + 200_000 })
    t.equal(e.classify(f), FixFlag.TooLate)
    t.same(feed(e, f, T0 + 200_000), [])
  }
  t.same(e.openAlerts().filter((a) => a.kind !== 'unit_silent'), [])
  // But the visit is a fact: its cell is credited in the unit's zone.
  const h3 = latLngToCell(cell.lat, cell.lon, 9)
  const v = e.coverageSnapshot(T0).find((c) => c.zoneId === 'grid-2' && c.cell === h3)
  t.equal(v?.lastVisit, T0 + 60_600)
  // A duplicate of a held or recent fix is ignored entirely.
  const dup = fix('P-017', T0 + 100_000, offset(BASE, 5000, 0))
  t.equal(e.classify(dup), FixFlag.Duplicate)
  t.same(feed(e, dup), [])
  t.equal(e.unit('P-017', T0 + 200_000)?.lastFix?.ts, T0 + 100_000)
  t.ok(Math.abs((e.unit('P-017', T0 + 200_000)?.distanceFromPostM as number) - 500) < 1, 'the duplicate did not move the unit')
})

t.test('a buffered flush after a dead zone: one breach at the right fix time, in or out of order', async (t) => {
  const flush = (fixes: Fix[]) => {
    const e = new RuleEngine(dep(LATE), { startedAt: T0 })
    const evs: AlertEvent[] = []
    // Live until 59 s, then nothing arrives until the unit flushes everything at 900 s.
    const [live, dead] = [fixes.filter((f) => f.ts < T0 + 60_000), fixes.filter((f) => f.ts >= T0 + 60_000)]
    for (const f of live) evs.push(...feed(e, f, f.ts))
    evs.push(...e.tick(T0 + 300_000))
    for (const f of dead) evs.push(...feed(e, { ...f, receivedAt: T0 + 900_000 }, T0 + 900_000))
    evs.push(...e.tick(T0 + 910_000))
    return evs
  }
  const ordered = flush(excursion())
  t.same(types(ofKind(ordered, 'radius_breach')), ['radius_breach.opened', 'radius_breach.resolved'])
  t.equal(ofKind(ordered, 'radius_breach')[0]?.at, T0 + 150_000, 'fix time, not arrival time')
  t.equal(ofKind(ordered, 'radius_breach')[1]?.at, T0 + 690_000)
  const silent = ordered.filter((x) => x.subject === 'unit:P-020')
  t.same(types(silent), ['unit_silent.opened', 'unit_silent.resolved'], 'silent during the dead zone, resolved by the flush')
  const shuffled = flush(shuffleWindows(excursion(), 4))
  // Out of order within lateness: the first late fix of each spell is too late (stored, no edge),
  // so the edges are the same transitions, at most one reorder window later (docs/rules-and-alerts.md: determinism).
  t.same(types(ofKind(shuffled, 'radius_breach')), types(ofKind(ordered, 'radius_breach')), 'out of order within lateness: the same transitions')
  for (const [i, ev] of ofKind(shuffled, 'radius_breach').entries()) t.ok(Math.abs(ev.at - (ofKind(ordered, 'radius_breach')[i]?.at as number)) <= 20_000, 'within one reorder window')
  // Completely reversed (the live position first, then the back-fill newest first): the first fix
  // after the hole waits allowed_lateness, so the back-fill is evaluated in order: the same
  // breach at the same fix times (it was missed: every back-filled fix was too late).
  const reversed = flush([...excursion().filter((f) => f.ts < T0 + 60_000), ...excursion().filter((f) => f.ts >= T0 + 60_000).reverse()])
  t.same(types(ofKind(reversed, 'radius_breach')), ['radius_breach.opened', 'radius_breach.resolved'], 'reversed: exactly one breach, opened and resolved')
  t.same(ofKind(reversed, 'radius_breach').map((x) => x.at), ofKind(ordered, 'radius_breach').map((x) => x.at), 'at the fix times of the ordered flush')
})

t.test('a fix after a hole waits allowed_lateness only when it can confirm no edge', async (t) => {
  // Dwell 60 s: a run may not pause more than 60 s. P-020 is outside, then silent for 5 min.
  const e = new RuleEngine(dep(LATE), { startedAt: T0 })
  for (let s = 0; s <= 40; s += 10) feed(e, fix('P-020', T0 + s * 1000, offset(BASE, 2000, 0)))
  t.same(feed(e, fix('P-020', T0 + 340_000, offset(BASE, 2000, 0))), [], 'after the hole: held')
  t.same(e.unit('P-020', T0 + 340_000)?.lastFix?.ts, T0 + 340_000, 'the live position moves at once')
  t.same(e.tick(T0 + 344_999).filter((x) => x.kind === 'radius_breach'), [])
  t.equal(e.snapshot().units.find((u) => u.id === 'P-020')?.held.length, 1)
  e.tick(T0 + 345_000)
  t.equal(e.snapshot().units.find((u) => u.id === 'P-020')?.held.length, 0, 'released after allowed_lateness')
  t.same(types(ofKind([...feed(e, fix('P-020', T0 + 370_000, offset(BASE, 2000, 0))), ...feed(e, fix('P-020', T0 + 400_000, offset(BASE, 2000, 0)))], 'radius_breach')), ['radius_breach.opened'], 'the run starts at the fix after the hole')
  // Dwell 0 on either rule: one fix may confirm an edge, so nothing waits.
  const now = new RuleEngine(dep({ rules: { allowed_lateness: '5s', zone: { dwell: '0s' } } }), { startedAt: T0 })
  feed(now, fix('P-017', T0, offset(BASE, 0, 0)))
  t.same(types(ofKind(feed(now, fix('P-017', T0 + 600_000, offset(BASE, 1500, 0))), 'zone_exit')), ['zone_exit.opened'], 'dwell 0: evaluated at once')
})

t.test('a restart in the middle of a breach: no second opened, the resolution still fires', async (t) => {
  const fixes = excursion()
  const e1 = new RuleEngine(dep(LATE), { startedAt: T0 })
  const first = run(e1, fixes.filter((f) => f.ts <= T0 + 300_000), T0 + 300_000)
  t.same(types(ofKind(first, 'radius_breach')), ['radius_breach.opened'])
  // Fixes still held in the reorder buffer at snapshot time.
  feed(e1, fixes.find((f) => f.ts === T0 + 301_000) as Fix, T0 + 301_000)
  feed(e1, fixes.find((f) => f.ts === T0 + 302_000) as Fix, T0 + 302_000)
  const snap = JSON.parse(JSON.stringify(e1.snapshot())) as RuleSnapshot
  t.equal(snap.units.find((u) => u.id === 'P-020')?.held.length, 0, 'an in-order stream holds nothing')
  const e2 = RuleEngine.restore(dep(LATE), snap, { startedAt: T0 + 400_000 })
  t.same(e2.openAlerts(), e1.openAlerts())
  t.equal(e2.unit('P-020', T0 + 400_000)?.inBreach, true)
  const rest = run(e2, fixes.filter((f) => f.ts > T0 + 302_000), T0 + 810_000)
  const breach = ofKind(rest, 'radius_breach')
  t.same(types(breach), ['radius_breach.resolved'], 'no second opened')
  t.equal(breach[0]?.alertId, ofKind(first, 'radius_breach')[0]?.alertId)
  t.equal(breach[0]?.at, T0 + 690_000)
  t.same(e2.snapshot().units.find((u) => u.id === 'P-020')?.held.length, 0)
})

t.test('restore: version check, changed posts and zones, unknown zones dropped', async (t) => {
  const e = new RuleEngine(dep({ rules: { allowed_lateness: '0s', radius: { dwell: '0s' }, zone: { dwell: '0s' } } }), { startedAt: T0 })
  feed(e, fix('P-017', T0, offset(BASE, 3000, 0)))
  t.equal(e.openAlerts().length, 2)
  e.tick(T0 + 10_000)
  const snap = e.snapshot()
  t.throws(() => RuleEngine.restore(dep(), { ...snap, version: 2 } as unknown as RuleSnapshot, { startedAt: T0 }), /version 2 is not supported/)
  // P-017 now reports to another post and patrols another zone; grid-2 is gone.
  const changed = dep({
    units: [{ id: 'P-017', post: 'station-09', zone: 'grid-5' }],
    posts: [{ id: 'station-09', lat: BASE.lat, lon: BASE.lon, radius_m: 5000 }],
    zones: [{ id: 'grid-5', geometry: snapZoneGeometry(), coverage: { response_radius_m: 500 } }],
  })
  const withRatio: RuleSnapshot = { ...snap, responseRatios: [{ zoneId: 'grid-2', ratio: 0.5 }, { zoneId: 'grid-5', ratio: 0.25 }] }
  const r = RuleEngine.restore(changed, withRatio, { startedAt: T0 + 20_000 })
  const u = r.unit('P-017', T0 + 20_000)
  t.equal(u?.inBreach, false, 'breach state against the old post is discarded')
  t.equal(u?.outsideZone, false)
  t.equal(r.zones(T0 + 20_000)[0]?.responseRatio, 0.25)
  t.equal(r.zones(T0 + 20_000)[0]?.id, 'grid-5')
})

function snapZoneGeometry() {
  const sw = offset(BASE, -500, -500)
  const ne = offset(BASE, 500, 500)
  return { type: 'Polygon', coordinates: [[[sw.lon, sw.lat], [ne.lon, sw.lat], [ne.lon, ne.lat], [sw.lon, ne.lat], [sw.lon, sw.lat]]] }
}

t.test('determinism: the same input twice gives identical events', async (t) => {
  const scenario = () => {
    const e = new RuleEngine(dep(LATE), { startedAt: T0 })
    const evs: AlertEvent[] = []
    const fixes = shuffleWindows(excursion(), 3).map((f) => ({ ...f, receivedAt: f.ts + 2000 }))
    for (const [i, f] of fixes.entries()) {
      evs.push(...feed(e, f, f.receivedAt))
      if (i % 50 === 0) evs.push(...e.tick(f.receivedAt))
    }
    evs.push(...e.tick(T0 + 4_000_000))
    return { evs, snap: JSON.stringify(e.snapshot()) }
  }
  const a = scenario()
  const b = scenario()
  t.ok(a.evs.length > 3)
  t.same(a.evs, b.evs)
  t.equal(a.snap, b.snap)
})

t.test('acknowledge', async (t) => {
  const e = new RuleEngine(dep(), { startedAt: T0 })
  const [o] = e.tick(T0 + 120_000)
  t.equal(o?.kind, 'unit_silent')
  const a = e.acknowledge(o?.alertId as string, 'sgt.wang', T0 + 130_000)
  t.equal(a?.type, 'unit_silent.acknowledged')
  t.equal(a?.eventId, `${o?.alertId}.acknowledged`)
  t.equal(a?.acknowledgedBy, 'sgt.wang')
  t.equal(e.acknowledge(o?.alertId as string, 'again', T0 + 131_000), null)
  t.equal(e.acknowledge('al_unknown', 'x', T0 + 131_000), null)
  const view = e.getAlert(o?.alertId as string)
  t.equal(view?.state, 'acknowledged')
  t.equal(view?.acknowledgedBy, 'sgt.wang')
  t.equal(view?.acknowledgedAt, T0 + 130_000)
  t.equal(e.openAlerts()[0]?.last.type, 'unit_silent.acknowledged')
  const r = feed(e, fix('O-003', T0 + 140_000, BASE))
  t.equal(r[0]?.type, 'unit_silent.resolved')
  t.equal(r[0]?.acknowledgedBy, 'sgt.wang')
  t.equal(e.getAlert(o?.alertId as string)?.state, 'resolved')
})

t.test('views and nearest', async (t) => {
  const e = new RuleEngine(dep(), { startedAt: T0 })
  feed(e, fix('P-017', T0, offset(BASE, 100, 0), { speed: 12, heading: 90, battery: 64 }))
  feed(e, fix('O-003', T0, offset(BASE, 0, 600)))
  feed(e, fix('X-1', T0, offset(BASE, 200, 0)))
  const now = T0 + 10_000
  const units = e.units(now)
  t.same(units.map((u) => u.id), ['P-017', 'O-003', 'P-020', 'X-1'])
  const p = e.unit('P-017', now)
  t.match(p, { id: 'P-017', name: 'Patrol car 17', kind: 'vehicle', known: true, post: 'station-03', zone: 'grid-2', silent: false, inBreach: false, outsideZone: false })
  t.match(p?.lastFix, { ts: T0, speed: 12, heading: 90, accuracy: 10, battery: 64 })
  t.equal(e.unit('O-003', now)?.lastFix?.battery, null, 'no battery reported')
  t.ok(Math.abs((p?.distanceFromPostM as number) - 100) < 1)
  t.equal(e.unit('O-003', now)?.distanceFromPostM, null, 'no post')
  t.equal(e.unit('P-020', now)?.lastFix, null)
  t.equal(e.unit('P-020', now)?.distanceFromPostM, null)
  t.equal(e.unit('nobody', now), undefined)
  const near = e.nearest(BASE.lat, BASE.lon, { k: 2 }, now)
  t.same(near.map((u) => u.id), ['P-017', 'X-1'])
  t.ok(Math.abs((near[0]?.distanceM as number) - 100) < 1)
  t.same(e.nearest(BASE.lat, BASE.lon, { k: 5, kind: 'officer' }, now).map((u) => u.id), ['O-003'])
  t.same(e.nearest(BASE.lat, BASE.lon, { k: 5, maxDistanceM: 250 }, now).map((u) => u.id), ['P-017', 'X-1'])
  t.same(e.nearest(BASE.lat, BASE.lon, { k: 5 }, now).map((u) => u.id), ['P-017', 'X-1', 'O-003'])
  t.same(e.nearest(BASE.lat, BASE.lon, { k: 0 }, now), [])
  // O-003 goes silent after 120 s; the others after 180 s.
  const later = T0 + 150_000
  t.same(e.nearest(BASE.lat, BASE.lon, { k: 5 }, later).map((u) => u.id), ['P-017', 'X-1'])
  t.same(e.nearest(BASE.lat, BASE.lon, { k: 5, includeSilent: true }, later).map((u) => u.id), ['P-017', 'X-1', 'O-003'])
  // Equal distances: ties broken by id.
  feed(e, fix('Z-1', T0 + 1000, offset(BASE, 100, 0)))
  feed(e, fix('A-1', T0 + 1000, offset(BASE, 100, 0)))
  t.same(e.nearest(BASE.lat, BASE.lon, { k: 3 }, now).map((u) => u.id), ['A-1', 'P-017', 'Z-1'])
  const zones = e.zones(now)
  t.equal(zones.length, 1)
  t.match(zones[0], { id: 'grid-2', name: 'Grid 2', minRatio: 0.8, inGrace: true, responseRatio: null, openGap: false, openResponseGap: false })
  t.equal(zones[0]?.fresh, 2, 'P-017 and O-003 credited their cells; X-1 (unknown) did not')
  const zc = e.zoneCoverage('grid-2', now, 5)
  t.equal(zc?.staleCells.length, 5)
  t.equal(zc?.staleCells[0]?.lastVisit, null)
  t.equal(e.zoneCoverage('nope', now, 5), undefined)
})

t.test('seedVisits and coverageSnapshot', async (t) => {
  const e = new RuleEngine(dep(), { startedAt: T0 })
  const cell = latLngToCell(BASE.lat, BASE.lon, 9)
  e.seedVisits([{ zoneId: 'grid-2', cell, ts: T0 - 60_000 }, { zoneId: 'gone', cell, ts: T0 }, { zoneId: 'grid-2', cell: 'ffff', ts: T0 }])
  const snap = e.coverageSnapshot(T0)
  t.equal(snap.length, dep().zones[0]?.coverage.cells.length)
  t.same(snap.find((c) => c.cell === cell), { zoneId: 'grid-2', cell, lastVisit: T0 - 60_000, fresh: true })
  t.equal(snap.filter((c) => c.lastVisit !== null).length, 1)
})

t.test('restore tolerates a silence without its alert (hand-edited or partial snapshot)', async (t) => {
  const e = new RuleEngine(dep(), { startedAt: T0 })
  e.tick(T0 + 120_000)
  const snap = e.snapshot()
  const r = RuleEngine.restore(dep(), { ...snap, alerts: { version: 1, open: [] } }, { startedAt: T0 })
  const f = fix('O-003', T0 + 125_000, BASE)
  t.same(feed(r, f), [], 'nothing to resolve')
  t.equal(r.unit('O-003', T0 + 125_000)?.silent, false)
})

t.test('mock-location fixes are a sign of life but drive no rule: no breach, no credit, the unit does not move', async (t) => {
  const e = new RuleEngine(dep({ rules: { radius: { dwell: '0s' } } }), { startedAt: T0 })
  feed(e, fix('P-020', T0, offset(BASE, 100, 0)))
  const far = offset(BASE, -3000, 2000)
  for (let s = 10; s <= 300; s += 10) {
    const f = fix('P-020', T0 + s * 1000, far)
    f.flags = FixFlag.Mock | e.classify(f)
    t.same(e.ingest(f, f.receivedAt).filter((x) => x.kind === 'radius_breach'), [], `mocked fix at ${s} s fires nothing`)
  }
  const h3 = latLngToCell(far.lat, far.lon, 9)
  t.equal(e.coverageSnapshot(T0).find((c) => c.cell === h3)?.lastVisit ?? null, null, 'no coverage credit')
  t.equal(e.unit('P-020', T0 + 300_000)?.lastFix?.ts, T0, 'the unit stays at its last real fix')
  e.tick(T0 + 300_000)
  t.same(e.openAlerts().filter((a) => a.subject === 'unit:P-020'), [], 'a sign of life: P-020 is not silent')
})
