// The make-up board as a dispatcher and the realism kit drive it: a grid with two overdue holes
// and three units; an acceptance, the walk, completion; a unit that abandons; automatic mode
// bounded under a burst of gaps; dismiss, reassign and cancel.
import t from 'tap'
import { gridDisk, latLngToCell } from 'h3-js'
import { overdueCell, type OverdueCell } from '../../src/patrol-tasks/cell-clusters.js'
import { TaskBoard, type BoardSettings, type ZoneGap } from '../../src/patrol-tasks/task-board.js'
import type { Candidate } from '../../src/incidents/resource-search.js'
import type { OutboundEvent } from '../../src/delivery/outbound-event.js'
import { generateTrack, offsetM, route, waypoints, type LatLon } from '../helpers/gps-realism.js'

const C = { lat: 36.4722, lon: 117.8116 }
const T0 = Date.UTC(2026, 11, 6, 8)
const S: BoardSettings = {
  cluster: { linkRings: 2, maxCells: 30 },
  proposal: { speedKmh: { foot: 5, car: 30, default: 20 }, detourFactor: 1.3, otherZonePenaltyS: 600, maxEtaS: 0 },
  task: { maxAccuracyM: 100, pathMaxGapMs: 120_000, pathMaxDistanceM: 2000, awayM: 500, abandonAfterMs: 10 * 60_000, expireAfterMs: 2 * 3600_000 },
  auto: new Map(),
  dismissMs: 30 * 60_000,
  keepEnded: 100,
}
const hole = (p: LatLon): OverdueCell[] => gridDisk(latLngToCell(p.lat, p.lon, 9), 1).map((c) => overdueCell(c, null))
const unit = (id: string, p: LatLon, kind = 'foot'): Candidate => ({ id, name: id, kind, lat: p.lat, lon: p.lon, ts: T0, post: null, zone: 'z1' })
const west = offsetM(C, 0, -1500)
const east = offsetM(C, 0, 1500)
const gap = (cells: OverdueCell[], since: number | null = T0): ZoneGap[] => [{ zoneId: 'z1', gapSince: since, overdue: cells }]

/** Walks each unit from `from` through `cells` to `after` (URBAN noise, fixes every 30 s), all units on one clock. */
function walk(b: TaskBoard, legs: Array<{ unitId: string; from: LatLon; cells: LatLon[]; after: LatLon; seed: number }>): OutboundEvent[] {
  const fixes = legs.flatMap((l) =>
    generateTrack({ seed: l.seed, unitId: l.unitId, start: T0, durationS: 3 * 3600, periodS: 30, truth: waypoints(route([l.from, ...l.cells, l.after], 1.4)) }))
  const out: OutboundEvent[] = []
  for (const f of fixes.sort((a, b) => a.fix.ts - b.fix.ts)) out.push(...b.observe(f.fix), ...b.tick(f.fix.ts))
  return out
}

t.test('two holes, three units: proposals, acceptance, visits and completion; the other unit abandons', async (t) => {
  const b = new TaskBoard(S)
  const units = [unit('near-west', offsetM(west, -600, 0)), unit('near-east', offsetM(east, -700, 0)), unit('far', offsetM(C, 5000, 0))]
  t.same(b.refresh(T0, gap([...hole(west), ...hole(east)]), units, new Set()), [])
  const ps = b.list()
  t.equal(ps.length, 2)
  t.same(ps.map((p) => p.unit?.id).sort(), ['near-east', 'near-west'])
  const pw = ps.find((p) => p.unit?.id === 'near-west')
  const pe = ps.find((p) => p.unit?.id === 'near-east')
  if (pw === undefined || pe === undefined) throw new Error('proposals missing')

  const aw = b.accept(pw.id, T0) as OutboundEvent
  t.equal(aw.type, 'patrol_task.assigned')
  t.equal(aw.subject, 'unit:near-west')
  t.equal(aw.data.total, 7)
  t.equal(b.list().length, 1, 'the accepted proposal leaves the list')
  t.equal(b.accept(pw.id, T0), 'unknown_proposal')
  const ae = b.accept(pe.id, T0) as OutboundEvent

  // near-west sweeps its hole; near-east walks two cells, then goes home 3 km away.
  const done = walk(b, [
    { unitId: 'near-west', from: units[0] as LatLon, cells: aw.data.cells as LatLon[], after: offsetM(west, 1000, 1000), seed: 3 },
    { unitId: 'near-east', from: units[1] as LatLon, cells: (ae.data.cells as LatLon[]).slice(0, 2), after: offsetM(east, -3000, 0), seed: 4 },
  ])
  const doneW = done.filter((e) => e.data.unitId === 'near-west')
  t.same(doneW.map((e) => e.type), ['patrol_task.completed'])
  t.equal(doneW[0]?.data.visited, 7)
  t.ok((doneW[0]?.data.startedAt as number) > T0)
  t.equal(doneW[0]?.id, `${aw.data.taskId as string}:completed`)
  const doneE = done.filter((e) => e.data.unitId === 'near-east')
  t.same(doneE.map((e) => [e.type, e.data.reason]), [['patrol_task.expired', 'abandoned']])
  t.ok((doneE[0]?.data.visited as number) >= 2 && (doneE[0]?.data.visited as number) < 7)

  // The holes are still overdue (the rule engine has not credited them here): both clusters are proposed again.
  b.refresh(T0 + 3 * 3600_000, gap([...hole(west), ...hole(east)]), units, new Set())
  t.equal(b.list().length, 2)
  t.equal(b.tasks.size, 2, 'ended tasks are kept for the map and the API')
})

t.test('cells an open task covers are not proposed again; busy units are not offered', async (t) => {
  const b = new TaskBoard(S)
  const units = [unit('a', west), unit('b', east)]
  b.refresh(T0, gap(hole(west)), units, new Set(['b']))
  t.equal(b.list()[0]?.unit?.id, 'a')
  b.accept(b.list()[0]?.id ?? '', T0)
  b.refresh(T0 + 60_000, gap([...hole(west), ...hole(east)]), units, new Set())
  t.same(b.list().map((p) => [p.cells.length, p.unit?.id]), [[7, 'b']], 'only the east hole, for the free unit')
  t.equal(b.taskOf('a')?.spec.unitId, 'a')
})

t.test('automatic mode under a burst of gaps: bounded per zone, one task per unit, after the delay', async (t) => {
  const b = new TaskBoard({ ...S, auto: new Map([['z1', { afterMs: 15 * 60_000, maxPerZone: 2 }]]) })
  const holes = [0, 1, 2, 3, 4].flatMap((k) => hole(offsetM(C, k * 1500, 0)))
  const units = ['u1', 'u2', 'u3', 'u4'].map((id, k) => unit(id, offsetM(C, k * 1500 + 300, 0), 'car'))
  t.same(b.refresh(T0 + 60_000, gap(holes), units, new Set()), [], 'not before the gap lasted 15 min')
  const first = b.refresh(T0 + 15 * 60_000, gap(holes), units, new Set())
  t.equal(first.length, 2)
  t.same(new Set(first.map((e) => e.data.unitId)).size, 2)
  t.ok(first.every((e) => e.data.by === 'auto'))
  t.equal(b.refresh(T0 + 16 * 60_000, gap(holes), units, new Set()).length, 0, 'the zone is at its bound')
  t.equal(b.list().length, 3, 'the other holes stay proposals for a dispatcher')
  const open = first[0]?.data.taskId as string
  t.equal((b.cancel(open, T0 + 17 * 60_000) as OutboundEvent).type, 'patrol_task.cancelled')
  t.equal(b.refresh(T0 + 18 * 60_000, gap(holes), units, new Set()).length, 1, 'room for one more')
  t.same(b.refresh(T0 + 19 * 60_000, gap(holes, null), units, new Set()), [], 'no gap, no automatic task')
})

t.test('dismiss hides a proposal for a while; reassign to another free unit; errors', async (t) => {
  const b = new TaskBoard(S)
  const units = [unit('a', west), unit('b', offsetM(west, 2000, 0)), unit('busy', west)]
  b.refresh(T0, gap(hole(west)), units, new Set(['busy']))
  const id = b.list()[0]?.id ?? ''
  t.equal(b.dismiss(id, T0), true)
  t.equal(b.dismiss(id, T0), 'unknown_proposal')
  b.refresh(T0 + 60_000, gap(hole(west)), units, new Set(['busy']))
  t.equal(b.list().length, 0, 'still dismissed')
  b.refresh(T0 + S.dismissMs, gap(hole(west)), units, new Set(['busy']))
  t.equal(b.list().length, 1, 'offered again after dismissMs')
  t.equal(b.accept(id, T0, 'busy'), 'unit_busy')
  t.equal(b.accept(id, T0, 'nobody'), 'no_unit')
  const e = b.accept(id, T0 + S.dismissMs, 'b') as OutboundEvent
  t.equal(e.data.unitId, 'b', 'reassigned')
  t.ok((e.data.etaS as number) > 0)
  t.equal(b.cancel('task:none', T0), 'unknown_task')
  t.same(b.observe({ unitId: 'a' } as never), [])

  const lonely = new TaskBoard(S)
  lonely.refresh(T0, gap(hole(west)), [], new Set())
  t.equal(lonely.accept(lonely.list()[0]?.id ?? '', T0), 'no_unit')
  t.equal(lonely.list('z1').length, 1)
  t.equal(lonely.list('z2').length, 0)
})

t.test('ended tasks beyond keepEnded are dropped, oldest first', async (t) => {
  const b = new TaskBoard({ ...S, keepEnded: 1 })
  const units = [unit('a', west)]
  for (let k = 0; k < 3; k++) {
    b.refresh(T0 + k, gap(hole(west)), units, new Set())
    const e = b.accept(b.list()[0]?.id ?? '', T0 + k) as OutboundEvent
    b.cancel(e.data.taskId as string, T0 + k)
  }
  t.equal(b.tasks.size, 1)
})

t.test('toJSON / restore: open tasks go on after a restart with their visits; ended ones stay listed', async (t) => {
  const b = new TaskBoard(S)
  const units = [unit('a', west), unit('b', east)]
  b.refresh(T0, gap([...hole(west), ...hole(east)]), units, new Set())
  const [pa, pb] = [b.list().find((p) => p.unit?.id === 'a'), b.list().find((p) => p.unit?.id === 'b')]
  const ea = b.accept(pa?.id ?? '', T0) as OutboundEvent
  const eb = b.accept(pb?.id ?? '', T0) as OutboundEvent
  b.cancel(eb.data.taskId as string, T0 + 1000)
  const cells = ea.data.cells as Array<{ cell: string; lat: number; lon: number }>
  // `a` visits the first two cells, then the engine stops.
  for (const [i, c] of cells.slice(0, 2).entries()) b.observe({ unitId: 'a', ts: T0 + 60_000 * (i + 1), lat: c.lat, lon: c.lon, accuracy: 5, flags: 0 } as never)
  const saved = JSON.parse(JSON.stringify(b.toJSON())) as unknown

  const r = new TaskBoard(S)
  t.equal(r.restore(saved, (z) => z === 'z1'), 2)
  const ta = r.taskOf('a')
  t.ok(ta, 'the open task is open again')
  t.match(ta?.progress(), { status: 'started', visited: 2, total: cells.length, startedAt: T0 + 60_000 })
  t.equal(r.tasks.get(eb.data.taskId as string)?.status, 'cancelled', 'the ended one is listed')
  t.equal(r.taskOf('b'), undefined)
  // The restored task completes as the unit sweeps the rest; cells it covers are not proposed.
  r.refresh(T0 + 5 * 60_000, gap([...hole(west), ...hole(east)]), units, new Set())
  t.notOk(r.list().some((p) => p.cells.some((c) => cells.some((x) => x.cell === c.cell))), 'the open task\'s cells are not proposed again')
  const out = cells.slice(2).flatMap((c, i) => r.observe({ unitId: 'a', ts: T0 + 10 * 60_000 + i * 30_000, lat: c.lat, lon: c.lon, accuracy: 5, flags: 0 } as never))
  t.same(out.map((e) => [e.id, e.data.visited]), [[`${ea.data.taskId as string}:completed`, cells.length]], 'the same event id as without the restart')

  t.equal(new TaskBoard(S).restore(saved, () => false), 0, 'tasks of zones no longer taking part are dropped')
  t.equal(new TaskBoard(S).restore({ version: 1, tasks: [{ spec: { id: 'x' } }, null, { spec: { id: 'y', zoneId: 'z1', unitId: 'u', assignedAt: 1, etaS: 1, by: 'auto', cells: [{ cell: 'nope', lat: 0, lon: 0 }] }, status: 'assigned', visits: [] }] }, () => true), 0, 'unreadable entries are skipped')
  t.equal(new TaskBoard(S).restore(null, () => true), 0)
  t.equal(new TaskBoard(S).restore({ version: 2 }, () => true), 0)
})

t.test('load: tasks given within the window count against a unit; older ones do not', async (t) => {
  const b = new TaskBoard({ ...S, proposal: { ...S.proposal, loadPenaltyS: 900, loadWindowMs: 8 * 3600_000 } })
  // `a` is 300 m nearer the hole than `b` (foot: ~4 min); it was given (and finished) a task an hour ago.
  const units = [unit('a', offsetM(west, -600, 0)), unit('b', offsetM(west, -900, 0))]
  b.refresh(T0, gap(hole(west)), units, new Set())
  t.equal(b.list()[0]?.unit?.id, 'a')
  const e = b.accept(b.list()[0]?.id ?? '', T0) as OutboundEvent
  b.cancel(e.data.taskId as string, T0 + 60_000)
  t.same([...b.load(T0 + 3600_000)], [['a', 1]])
  b.refresh(T0 + 3600_000, gap(hole(west)), units, new Set())
  t.match(b.list()[0]?.unit, { id: 'b', load: 0 }, 'a recent task outweighs 300 m on foot')
  b.refresh(T0 + 9 * 3600_000, gap(hole(west)), units, new Set())
  t.match(b.list()[0]?.unit, { id: 'a', load: 0 }, 'out of the window: nearest again')
})
