// Dispatch state: assign (once per unit, refusals), committed units, close with an outcome,
// closing twice, pruning old closed incidents, and the persistence round trip.
import t from 'tap'
import { DispatchBoard, DispatchError, KEEP_CLOSED_MS, openState } from '../../src/incidents/dispatch.js'

const T = 1_800_000_000_000
const known = (u: string) => u === 'P-1' || u === 'P-2' || u === 'O-3'
const at = (unitId: string, distanceM: number | null = 400, etaS: number | null = 72) => ({ unitId, distanceM, etaS })

t.test('an incident never touched is open with no assignments', async (t) => {
  const b = new DispatchBoard()
  t.same(b.view('A'), openState('A'))
  t.same(b.view('A'), { incidentId: 'A', status: 'open', assignments: [], outcome: null, closedBy: null, closedAt: null })
  t.same([...b.committedUnits()], [])
})

t.test('assigning adds each unit once and commits it while the incident is open', async (t) => {
  const b = new DispatchBoard()
  const r = b.assign('A', [at('P-1'), at('P-1'), at('O-3', null, null)], { by: 'sgt.wang', note: 'go', known }, T)
  t.same(r.added.map((a) => a.unitId), ['P-1', 'O-3'], 'a unit named twice is assigned once')
  t.same(r.added[0], { unitId: 'P-1', by: 'sgt.wang', at: T, distanceM: 400, etaS: 72, note: 'go' })
  t.same(r.added[1]!.distanceM, null, 'no live position: no distance')
  const again = b.assign('A', [at('P-1'), at('P-2')], { by: 'li', note: '', known }, T + 5)
  t.same(again.added.map((a) => a.unitId), ['P-2'], 'units already on it are kept as they were')
  t.same(again.state.assignments.map((a) => [a.unitId, a.by, a.at]), [['P-1', 'sgt.wang', T], ['O-3', 'sgt.wang', T], ['P-2', 'li', T + 5]])
  t.same(b.assign('A', [at('P-2')], { by: 'li', note: '', known }, T + 6).added, [], 'nothing new: nothing added')
  t.same([...b.committedUnits()], [['P-1', 'A'], ['O-3', 'A'], ['P-2', 'A']])
  t.same(b.active().map((s) => s.incidentId), ['A'])
})

t.test('refusals: unregistered units, no units, a unit busy elsewhere, a closed incident', async (t) => {
  const b = new DispatchBoard()
  t.throws(() => b.assign('A', [at('X-9'), at('Y-1'), at('P-1')], { by: 'w', note: '', known }, T), new DispatchError('bad_request', 'units: X-9, Y-1 are not registered (units[] in the configuration)'))
  t.throws(() => b.assign('A', [], { by: 'w', note: '', known }, T), /at least one unit/)
  t.same(b.view('A').assignments, [], 'a refused call assigns nothing')
  b.assign('A', [at('P-1')], { by: 'w', note: '', known }, T)
  let err: unknown
  try {
    b.assign('B', [at('P-2'), at('P-1')], { by: 'w', note: '', known }, T)
  } catch (e) {
    err = e
  }
  t.ok(err instanceof DispatchError && err.code === 'conflict' && /P-1 is assigned to open incident A/.test(err.message), 'a unit on another open incident')
  t.same(b.view('B').assignments, [])
  b.close('A', 'arrested one', 'w', T + 10)
  t.same([...b.committedUnits()], [], 'closing frees the units')
  t.same(b.assign('B', [at('P-1')], { by: 'w', note: '', known }, T + 11).added.length, 1, 'free again for another incident')
  t.throws(() => b.assign('A', [at('P-2')], { by: 'w', note: '', known }, T + 12), /incident A is closed/)
})

t.test('close: outcome, by, at; twice is a conflict; an empty outcome is refused', async (t) => {
  const b = new DispatchBoard()
  t.throws(() => b.close('A', '  ', 'w', T), /outcome/)
  const s = b.close('A', 'false alarm', 'sgt.wang', T)
  t.same(s, { incidentId: 'A', status: 'closed', assignments: [], outcome: 'false alarm', closedBy: 'sgt.wang', closedAt: T })
  let err: unknown
  try {
    b.close('A', 'again', 'li', T + 1)
  } catch (e) {
    err = e
  }
  t.ok(err instanceof DispatchError && err.code === 'conflict' && /closed by sgt.wang already/.test(err.message))
  t.equal(b.view('A').outcome, 'false alarm', 'the first outcome stays')
})

t.test('persists and restores; junk skipped; old closed incidents pruned', async (t) => {
  const b = new DispatchBoard()
  b.assign('A', [at('P-1')], { by: 'w', note: 'n', known }, T)
  b.close('B', 'done', 'w', T)
  const json = JSON.parse(JSON.stringify(b.toJSON())) as unknown[]
  json.push(null, { incidentId: 'C', status: 'maybe' }, { incidentId: 'D', status: 'open', assignments: [{ unitId: 1 }], outcome: null, closedBy: null, closedAt: null })
  const r = new DispatchBoard()
  r.restore(json)
  t.same(r.toJSON(), b.toJSON())
  t.same([...r.committedUnits()], [['P-1', 'A']])
  r.prune(T + KEEP_CLOSED_MS)
  t.equal(r.view('B').status, 'closed', 'kept up to the bound')
  r.prune(T + KEEP_CLOSED_MS + 1)
  t.equal(r.view('B').status, 'open', 'forgotten after it')
  t.equal(r.view('A').assignments.length, 1, 'open ones are never pruned')
  r.restore({ not: 'a list' })
  t.same(r.toJSON(), [])
})
