// A zone's priority cells: configured ones, then the hotspot cells in force, judged only while hot.
import t from 'tap'
import { cellKey, priorityCells, whileHot, type HotCell } from '../../src/reports/priority-cells.js'

const M = 60_000
const P = { from: 0, to: 120 * M }

t.test('whileHot keeps the snapshots inside a span, [from, to)', async (t) => {
  const snaps: Array<[number, number | null]> = [[0, null], [10, 5], [20, 5], [30, 25], [40, null]]
  t.same(whileHot(snaps, [{ from: 10, to: 20 }, { from: 30, to: 41 }]), [[10, 5], [30, 25], [40, null]])
  t.same(whileHot(snaps, []), [])
})

t.test('priorityCells: configured cells first, then hotspot cells with the interval of the level when they became one', async (t) => {
  const hot: HotCell = { last: { zoneId: 'z', zoneCell: 'hc', cell: 'hc15', score: 2.25, count: 3 }, spans: [{ from: 60 * M, to: 90 * M }] }
  const intervals: string[] = []
  const cells = priorityCells({ id: 'z', coverage: { priority: [{ cell: 'pc', name: 'School', maxIntervalMs: 15 * M }, { cell: 'nn', maxIntervalMs: 30 * M }] } as never }, [hot], {
    snapshots: new Map([
      [cellKey('z', 'pc'), [[0, null], [60 * M, 50 * M]]],
      // Overdue before it was a hotspot (not counted), visited while it was.
      [cellKey('z', 'hc'), [[10 * M, null], [70 * M, 69 * M], [100 * M, null]]],
    ]),
    levels: [{ level: 'normal', from: 0, to: 60 * M }, { level: 'high', from: 60 * M, to: 120 * M }],
    hotInterval: (level) => {
      intervals.push(level)
      return level === 'high' ? 5 * M : 15 * M
    },
    period: P,
    capMs: 30 * M,
  })
  t.same(intervals, ['high'], 'the level at the first span\'s start')
  t.same(cells.map((c) => [c.cell, c.name, c.maxIntervalMs]), [['pc', 'School', 15 * M], ['nn', null, 30 * M], ['hc', 'hotspot cell (score 2.3, 3 incidents)', 5 * M]])
  t.equal(cells[1]!.neverVisited, false, 'no snapshots: not "never visited"')
  t.equal(cells[2]!.neverVisited, false, 'visited while hot')
  t.equal(cells[2]!.maxOverdueMs, 0, 'the snapshot from before it was hot is not judged')
})
