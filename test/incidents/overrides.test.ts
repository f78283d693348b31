// Incident-guided coverage: what the rule engine is asked per zone, from the level and hotspots.
import t from 'tap'
import { coverageOverrides, hotspotName } from '../../src/incidents/overrides.js'
import { PatrolLevels } from '../../src/incidents/levels.js'
import type { Hotspot } from '../../src/incidents/hotspots.js'

const levels = new PatrolLevels([
  { name: 'normal', rank: 0 },
  { name: 'high', rank: 1, maxIntervalMs: 600_000, minRatio: 0.9, responseRadiusM: 800, hotspotIntervalMs: 120_000 },
], new Map([['g1', 'normal'], ['g2', 'high']]))
const h = (count: number): Hotspot => ({ cell: 'c', zoneCell: `z${count}`, zoneId: 'g1', score: 4.25, count })
const spots = new Map([['g1', [h(1), h(3)]], ['g2', [h(2)]]])
const fn = coverageOverrides(levels, () => spots, 900_000)

t.test('names, levels, hotspot intervals, unknown zones', async (t) => {
  t.equal(hotspotName(h(1)), 'hotspot cell (score 4.3, 1 incident)')
  t.equal(hotspotName(h(3)), 'hotspot cell (score 4.3, 3 incidents)')
  t.same(fn('g1', 0), { priority: [{ cell: 'z1', name: 'hotspot cell (score 4.3, 1 incident)', maxIntervalMs: 900_000 }, { cell: 'z3', name: 'hotspot cell (score 4.3, 3 incidents)', maxIntervalMs: 900_000 }] })
  t.same(fn('g2', 0), { maxIntervalMs: 600_000, minRatio: 0.9, responseRadiusM: 800, priority: [{ cell: 'z2', name: 'hotspot cell (score 4.3, 2 incidents)', maxIntervalMs: 120_000 }] })
  t.equal(fn('nope', 0), null)
  t.equal(coverageOverrides(levels, () => new Map(), 1)('g1', 0), null, 'normal level, no hotspots: the configuration as is')
})
