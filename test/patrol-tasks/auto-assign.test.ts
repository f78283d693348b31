import t from 'tap'
import { autoAssignments } from '../../src/patrol-tasks/auto-assign.js'
import type { MakeUpProposal } from '../../src/patrol-tasks/proposals.js'

const p = (id: string, unitId: string | null): MakeUpProposal => ({
  id, zoneId: 'z1', cells: [], priorityCells: 0, oldestVisit: null, routeM: 0,
  unit: unitId === null ? null : { id: unitId, name: unitId, kind: 'car', zone: 'z1', post: null, distanceM: 1, etaS: 1, load: 0, costS: 1 },
})
const S = { afterMs: 15 * 60_000, maxPerZone: 2 }

t.test('nothing before the gap has lasted afterMs, or without a gap', async (t) => {
  const ps = [p('a', 'u1')]
  t.same(autoAssignments(ps, { gapSince: null, openTasks: 0 }, 1e9, S), [])
  t.same(autoAssignments(ps, { gapSince: 1e9 - S.afterMs + 1, openTasks: 0 }, 1e9, S), [])
  t.same(autoAssignments(ps, { gapSince: 1e9 - S.afterMs, openTasks: 0 }, 1e9, S).map((x) => x.id), ['a'])
})

t.test('a burst of holes: at most maxPerZone open, open tasks count, proposals without a unit or a repeated unit skipped', async (t) => {
  const burst = [p('a', null), p('b', 'u1'), p('c', 'u1'), p('d', 'u2'), p('e', 'u3'), p('f', 'u4')]
  t.same(autoAssignments(burst, { gapSince: 0, openTasks: 0 }, 1e9, S).map((x) => x.id), ['b', 'd'])
  t.same(autoAssignments(burst, { gapSince: 0, openTasks: 1 }, 1e9, S).map((x) => x.id), ['b'])
  t.same(autoAssignments(burst, { gapSince: 0, openTasks: 2 }, 1e9, S), [])
})
