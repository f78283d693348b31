// The benchmarks' own tally of alert transitions (bench/lib/rule-outcomes.ts): a scripted unit's
// transitions are left out, unit-less ones (a zone's) are counted, and the line reads kind.state n.
import t from 'tap'
import { countTransition, formatTransitions, type TransitionCounts } from '../../bench/lib/rule-outcomes.js'

t.test('counts by kind.state, leaving out the skipped units', async (t) => {
  const counts: TransitionCounts = new Map()
  const skip = new Set(['B-0', 'B-1'])
  countTransition(counts, { kind: 'radius_breach', state: 'opened', unitId: 'B-0' }, skip)
  countTransition(counts, { kind: 'radius_breach', state: 'opened', unitId: 'B-0038' }, skip)
  countTransition(counts, { kind: 'radius_breach', state: 'opened', unitId: 'P-001' }, skip)
  countTransition(counts, { kind: 'radius_breach', state: 'closed', unitId: 'B-1' }, skip)
  countTransition(counts, { kind: 'coverage_gap', state: 'opened', unitId: undefined }, skip)
  countTransition(counts, { kind: 'coverage_gap', state: 'opened', unitId: null }, skip)
  t.same([...counts], [['radius_breach.opened', 2], ['coverage_gap.opened', 2]])
  t.equal(formatTransitions(counts), 'radius_breach.opened 2, coverage_gap.opened 2')
})

t.test('nothing counted reads none', async (t) => {
  t.equal(formatTransitions(new Map()), 'none')
  t.equal(formatTransitions(new Map([['radius_breach.opened', 0]])), 'none')
})
