// The make-up stage as the engine runs it, on a fake rule engine and clock: a zone takes part
// while its coverage_gap is open and make_up is not off; candidates are configured, live units;
// plan-committed units are busy; a refresh comes every refresh_every and at the first tick after a
// gap opens; automatic zones are assigned after auto_after; every event goes to publish. Without a
// gap, an overdue priority cell proposes only its cluster, and automatic mode waits for the gap.
import t from 'tap'
import { cellToLatLng, gridDisk, latLngToCell } from 'h3-js'
import type { Fix } from '../../src/decode/fix.js'
import type { OutboundEvent } from '../../src/delivery/outbound-event.js'
import type { AlertView } from '../../src/rules/alert-book.js'
import type { StaleCell } from '../../src/rules/alert-event.js'
import type { UnitView } from '../../src/rules/views.js'
import type { PatrolTasksSetup } from '../../src/patrol-tasks/compile.js'
import { PatrolTaskService, type PatrolTaskDeps } from '../../src/patrol-tasks/service.js'

const T0 = Date.UTC(2026, 11, 6, 8)
const MIN = 60_000
const C = { lat: 36.49, lon: 117.86 }
const cells: StaleCell[] = gridDisk(latLngToCell(C.lat, C.lon, 9), 1).map((cell) => {
  const [lat, lon] = cellToLatLng(cell)
  return { cell, lat, lon, lastVisit: null }
})

function setup(auto = false): PatrolTasksSetup {
  return {
    board: {
      cluster: { linkRings: 2, maxCells: 30 },
      proposal: { speedKmh: { vehicle: 30, default: 20 }, detourFactor: 1.3, otherZonePenaltyS: 600, maxEtaS: 0 },
      task: { maxAccuracyM: 100, pathMaxGapMs: 120_000, pathMaxDistanceM: 2000, awayM: 500, abandonAfterMs: 10 * MIN, expireAfterMs: 120 * MIN },
      auto: auto ? new Map([['g1', { afterMs: 15 * MIN, maxPerZone: 1 }]]) : new Map(),
      dismissMs: 30 * MIN,
      keepEnded: 10,
    },
    zones: new Set(['g1', 'g2']),
    refreshEveryMs: 30_000,
  }
}

const unit = (id: string, lat: number, lon: number, o: Partial<UnitView> = {}): UnitView => ({
  id, name: id, callsign: null, kind: 'vehicle', known: true, post: null, zone: 'g1', silent: false, inBreach: false, outsideZone: false, distanceFromPostM: null, lastSeenAt: T0, clockOffsetMs: null,
  lastFix: { lat, lon, ts: T0, accuracy: 5, speed: null, heading: null } as UnitView['lastFix'], ...o,
})

function rig(opts: { auto?: boolean; deps?: Partial<PatrolTaskDeps> } = {}) {
  const gaps = new Map<string, number>()
  /** Zone → its stale cells (default: `cells` while its gap is open) and its overdue priority cells. */
  const stale = new Map<string, StaleCell[]>()
  const priority = new Map<string, StaleCell[]>()
  const units: UnitView[] = [
    unit('near', C.lat - 0.005, C.lon),
    unit('far', C.lat - 0.03, C.lon),
    unit('silent', C.lat, C.lon, { silent: true }),
    unit('stranger', C.lat, C.lon, { known: false }),
  ]
  const busy = new Set<string>()
  const published: OutboundEvent[] = []
  const svc = new PatrolTaskService({
    setup: setup(opts.auto),
    rules: {
      openAlerts: () => [...gaps].map(([z, at]) => ({ id: `al_${z}`, kind: 'coverage_gap', subject: `zone:${z}`, state: 'opened', openedAt: at } as unknown as AlertView)),
      zoneCoverage: (zoneId: string) => {
        const s = stale.get(zoneId) ?? (gaps.has(zoneId) ? cells : undefined)
        return s === undefined ? undefined : { zone: {} as never, staleCells: s }
      },
      units: () => units,
      overduePriority: (zoneId: string) => priority.get(zoneId) ?? [],
    },
    busy: () => busy,
    publish: (e) => published.push(e),
    ...opts.deps,
  })
  return { svc, gaps, stale, priority, busy, published }
}

const fix = (unitId: string, ts: number, lat: number, lon: number): Fix => ({ unitId, ts, lat, lon, accuracy: 5, flags: 0 } as unknown as Fix)

t.test('a gap opening is proposed at the next tick; configured live free units only', async (t) => {
  const r = rig()
  r.svc.tick(T0)
  t.same(r.svc.proposals(), [], 'no gap, no proposals')
  r.gaps.set('g1', T0 + 5000)
  r.gaps.set('g9', T0 + 5000)
  r.svc.tick(T0 + 10_000)
  const ps = r.svc.proposals()
  t.equal(ps.length, 1, 'one cluster, in g1 only (g9 does not take part)')
  t.match(ps[0], { zoneId: 'g1', unit: { id: 'near' } })
  t.equal(ps[0]!.cells.length, 7)

  r.busy.add('near')
  r.svc.tick(T0 + 15_000)
  t.match(r.svc.proposals()[0], { unit: { id: 'near' } }, 'not refreshed before refresh_every')
  r.svc.tick(T0 + 40_000)
  t.match(r.svc.proposals()[0], { unit: { id: 'far' } }, 'a plan-committed unit is busy; silent and unknown units never candidates')
  t.equal(r.svc.accept(ps[0]!.id, T0 + 41_000, 'near'), 'unit_busy')
  t.equal(r.svc.accept(ps[0]!.id, T0 + 41_000, 'silent'), 'no_unit')
  t.equal(r.svc.accept('makeup:nope', T0 + 41_000), 'unknown_proposal')
  r.gaps.delete('g1')
  r.svc.tick(T0 + 42_000)
  t.same(r.svc.proposals(), [], 'the gap closed: refreshed at once, nothing proposed')
  t.same(r.published, [])
})

t.test('accept → fixes through every cell → patrol_task.completed; cancel; dismiss', async (t) => {
  const r = rig()
  r.gaps.set('g1', T0)
  r.svc.tick(T0)
  const p = r.svc.proposals()[0]!
  const task = r.svc.accept(p.id, T0 + 1000)
  if (typeof task === 'string') throw new Error(task)
  t.match(r.published.map((e) => [e.type, e.subject]), [['patrol_task.assigned', 'unit:near']])
  t.same(r.svc.proposals(), [], 'its cells are covered by the open task')
  for (const [i, c] of task.spec.cells.entries()) r.svc.observe(fix('near', T0 + 60_000 + i * 20_000, c.lat, c.lon))
  t.match(r.published.map((e) => e.type), ['patrol_task.assigned', 'patrol_task.completed'])
  t.match(r.svc.tasks()[0], { id: task.spec.id, status: 'completed', visited: 7, total: 7 })
  t.equal(r.svc.cancel(task.spec.id, T0 + 10 * MIN), 'unknown_task', 'ended already')

  r.svc.tick(T0 + 10 * MIN)
  const again = r.svc.proposals()[0]!
  t.equal(r.svc.dismiss(again.id, T0 + 10 * MIN), true)
  r.svc.tick(T0 + 11 * MIN)
  t.same(r.svc.proposals(), [], 'dismissed: hidden for dismiss_for')
  r.svc.tick(T0 + 41 * MIN)
  t.equal(r.svc.proposals().length, 1, 'offered again afterwards')
  const t2 = r.svc.accept(r.svc.proposals()[0]!.id, T0 + 41 * MIN)
  if (typeof t2 === 'string') throw new Error(t2)
  const c = r.svc.cancel(t2.spec.id, T0 + 42 * MIN)
  t.match(c, { status: 'cancelled' })
  t.equal(r.published.at(-1)!.type, 'patrol_task.cancelled')
})

t.test('a journal that throws or rejects: reported with the events, which are published all the same', async (t) => {
  const failures: Array<[string, string[]]> = []
  let mode: 'throw' | 'reject' = 'throw'
  const r = rig({
    deps: {
      journal: () => {
        if (mode === 'throw') throw new Error('journal is closed')
        return Promise.reject(new Error('disk gone'))
      },
      journalFailed: (err, events) => failures.push([(err as Error).message, events.map((e) => e.type)]),
    },
  })
  r.gaps.set('g1', T0)
  r.svc.tick(T0)
  const task = r.svc.accept(r.svc.proposals()[0]!.id, T0 + 1000)
  if (typeof task === 'string') throw new Error(task)
  t.same(failures, [['journal is closed', ['patrol_task.assigned']]])
  t.same(r.published.map((e) => e.type), ['patrol_task.assigned'], 'published at once')
  mode = 'reject'
  t.match(r.svc.cancel(task.spec.id, T0 + 2000), { status: 'cancelled' })
  await new Promise((res) => setImmediate(res))
  t.same(failures[1], ['disk gone', ['patrol_task.cancelled']])
  t.same(r.published.map((e) => e.type), ['patrol_task.assigned', 'patrol_task.cancelled'], 'published once the append failed')
})

t.test('automatic zone: assigned once the gap lasted auto_after, bounded per zone', async (t) => {
  const r = rig({ auto: true })
  r.gaps.set('g1', T0)
  r.svc.tick(T0 + 14 * MIN)
  t.same(r.published, [], 'not before auto_after')
  t.equal(r.svc.proposals().length, 1)
  r.svc.tick(T0 + 15 * MIN)
  t.match(r.published.map((e) => [e.type, e.data.by, e.data.unitId]), [['patrol_task.assigned', 'auto', 'near']])
  r.svc.tick(T0 + 16 * MIN)
  t.equal(r.published.length, 1, 'at most auto_max_per_zone open tasks')
})

t.test('the board is saved when a task is assigned or ends and at the tick after a visit; a new service takes it back', async (t) => {
  const saves: unknown[] = []
  const { svc, gaps } = rig({ deps: { save: (s) => saves.push(JSON.parse(JSON.stringify(s))) } })
  gaps.set('g1', T0)
  svc.tick(T0)
  t.equal(saves.length, 0, 'proposals alone are not saved')
  const task = svc.accept(svc.proposals()[0]?.id ?? '', T0)
  if (typeof task === 'string') throw new Error(task)
  t.equal(saves.length, 1, 'saved on acceptance')
  const first = task.spec.cells[0]!
  svc.observe(fix(task.spec.unitId, T0 + MIN, first.lat, first.lon))
  t.equal(saves.length, 1, 'a visit is not saved at once')
  svc.tick(T0 + MIN + 1)
  t.equal(saves.length, 2, '… but at the next tick')
  svc.tick(T0 + MIN + 2)
  t.equal(saves.length, 2, 'nothing changed: no save')

  const again = rig({ deps: { restored: saves.at(-1) } })
  t.equal(again.svc.restoredTasks, 1)
  t.match(again.svc.tasks()[0], { id: task.spec.id, status: 'started', visited: 1 })
  again.svc.cancel(task.spec.id, T0 + 2 * MIN)
  t.same(again.published.map((e) => e.id), [`${task.spec.id}:cancelled`], 'the restored task can be cancelled')
})

t.test('an overdue priority cell without a gap: only its cluster is proposed, at once; automatic mode waits for the gap', async (t) => {
  const r = rig({ auto: true })
  // A hotspot 2 km north of the plain hole, with its ring of stale neighbours.
  const hot = latLngToCell(C.lat + 0.02, C.lon, 9)
  const hotCells: StaleCell[] = gridDisk(hot, 1).map((cell) => {
    const [lat, lon] = cellToLatLng(cell)
    return cell === hot ? { cell, lat, lon, lastVisit: T0 - 90 * MIN, priority: true, name: 'market' } : { cell, lat, lon, lastVisit: null }
  })
  const priorityCell = hotCells.find((c) => c.priority === true)!
  // The oldest-first stale list (the hotspot visited lately) may not hold the priority cell: it is added.
  r.stale.set('g1', [...cells, ...hotCells.filter((c) => c.priority !== true)])
  r.svc.tick(T0)
  t.same(r.svc.proposals(), [], 'stale cells alone, without a gap or an overdue priority cell: nothing')

  r.priority.set('g1', [priorityCell])
  r.svc.tick(T0 + 1000)
  const ps = r.svc.proposals()
  t.equal(ps.length, 1, 'refreshed at once (before refresh_every), the plain hole left out')
  t.match(ps[0], { zoneId: 'g1', priorityCells: 1 })
  t.same(ps[0]!.cells.map((c) => c.cell).sort(), hotCells.map((c) => c.cell).sort(), 'the priority cell and its overdue neighbours')
  r.svc.tick(T0 + 20 * MIN)
  t.same(r.published, [], 'automatic mode does not assign without a gap')

  r.gaps.set('g1', T0 + 20 * MIN)
  r.svc.tick(T0 + 20 * MIN + 1000)
  t.equal(r.svc.proposals().length, 2, 'the gap opened: the plain hole proposed too')
  r.svc.tick(T0 + 35 * MIN + 1000)
  t.match(r.published.map((e) => [e.type, e.data.by]), [['patrol_task.assigned', 'auto']], 'auto_after counts from the gap')
  t.equal((r.published[0]!.data.cells as unknown[]).length, 7)
  t.ok((r.published[0]!.data.cells as Array<{ cell: string }>).some((c) => c.cell === hot), 'the hotspot cluster first (most urgent)')

  const m = rig()
  m.stale.set('g1', [...cells, ...hotCells])
  m.priority.set('g1', [priorityCell])
  m.svc.tick(T0)
  t.equal(m.svc.proposals().length, 1)
  m.priority.delete('g1')
  m.svc.tick(T0 + 1000)
  t.same(m.svc.proposals(), [], 'the priority cell visited: refreshed at once, nothing left to propose')
})
