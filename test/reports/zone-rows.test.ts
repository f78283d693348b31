// A zone row's steps: time in the zone per unit, each unit's share, the zone's score; and a row.
import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { unitShares, zoneMinutes, zoneRows, zoneScore } from '../../src/reports/zone-rows.js'
import { alertSpanTotals } from '../../src/reports/alert-spans.js'
import type { TrackFigures } from '../../src/reports/track.js'

const M = 60_000
const W = { coverage: 1, moving: 1, cells: 1, presence: 1, breaches: 1, silences: 1 }
const inside = { contains: (lat: number) => lat < 1 }
const seg = (from: number, to: number, lat: number) => ({ from, to, lat, lon: 0 })

t.test('zoneMinutes: time of the segments inside the zone per unit; units never inside are left out', async (t) => {
  const tracks = new Map([
    ['A', { segments: [seg(0, 60_000, 0.5), seg(60_000, 90_000, 2), seg(90_000, 120_000, 0.5)] }],
    ['B', { segments: [seg(0, 60_000, 2)] }],
    ['C', { segments: [] }],
    ['D', { segments: [seg(0, 30_000, 0.1)] }],
  ])
  t.same([...zoneMinutes(inside, tracks)], [['A', 90_000], ['D', 30_000]])
})

t.test('unitShares: whole minutes and share of all time there, largest first, ties by id', async (t) => {
  t.same(unitShares(new Map([['B', 30 * M], ['A', 30 * M], ['C', 60 * M + 29_000]])), [
    { unitId: 'C', minutes: 60, share: 0.5020 },
    { unitId: 'A', minutes: 30, share: 0.249 },
    { unitId: 'B', minutes: 30, share: 0.249 },
  ])
  t.same(unitShares(new Map([['D', M], ['B', M], ['C', M], ['A', M]])).map((u) => u.unitId), ['A', 'B', 'C', 'D'], 'equal shares in any order: by id')
  t.same(unitShares(new Map()), [])
})

t.test('zoneScore: no coverage sample is no data; otherwise presence and breaches over the time elapsed', async (t) => {
  const none = zoneScore({ samples: 0, mean: null, belowMinMs: 0 }, { totalMs: 0 }, 100, W)
  t.equal(none.score, null)
  t.same(none.inputs, { coverage: null, presence: null, breaches: null })
  const some = zoneScore({ samples: 4, mean: 0.8, belowMinMs: 25 }, { totalMs: 10 }, 100, W)
  t.same(some.inputs, { coverage: 0.8, presence: 0.75, breaches: 0.9 })
  t.equal(some.score, 81.7, 'the equal-weight mean, to one decimal')
})

t.test('zoneRows: one row per zone in configuration order, each with its own inputs', async (t) => {
  const square = (lon: number) => ({ type: 'Polygon', coordinates: [[[lon, 36.47], [lon + 0.04, 36.47], [lon + 0.04, 36.51], [lon, 36.51], [lon, 36.47]]] })
  const dep = compileDeployment(validateConfig({ zones: [{ id: 'b', geometry: square(117.84), coverage: { min_ratio: 0.5 } }, { id: 'a', name: 'A', geometry: square(117.9) }, { id: 'c', geometry: square(117.96) }] }))
  const P = { from: 0, to: 60 * M }
  const track = { segments: [seg(0, 30 * M, 36.49)].map((s) => ({ ...s, lon: 117.86 })) } as unknown as TrackFigures
  const hotCell = (zoneId: string) => ({ last: { zoneId, zoneCell: `h${zoneId}`, cell: 'c15', score: 1, count: 1 }, spans: [{ from: 0, to: P.to }] })
  const hot = new Map([['a', [hotCell('a')]], ['b', [hotCell('b')]]])
  const rows = zoneRows(dep.zones, {
    weights: W, levels: { minRatio: new Map([['high', 0.7], ['normal', undefined]]), base: new Map([['a', 'normal'], ['b', 'high'], ['c', 'normal']]) }, snapshotIntervalMs: M,
    hotspots: { maxIntervalMs: 15 * M, intervalByLevel: new Map([['high', 5 * M], ['normal', undefined]]) },
  }, {
    series: [{ zone_id: 'b', at: 0, ratio: 0.4, response_ratio: null }, { zone_id: 'a', at: 0, ratio: 0.9, response_ratio: 1 }, { zone_id: 'b', at: 30 * M, ratio: 0.8, response_ratio: null }],
    priority: [], freshness: [{ zone_id: 'a', cell: 'c1', fresh: 0.123456 }], levels: [],
  }, { period: P, openUntil: P.to, tracks: new Map([['U', track]]), spans: alertSpanTotals([], P, P.to), hot })
  t.same(rows.map((z) => z.zoneId), ['b', 'a', 'c'])
  t.same(rows.map((z) => z.name), ['b', 'A', 'c'])
  t.same(rows[0]!.coverage, { samples: 2, mean: 0.6, min: 0.4, belowMinMs: 3 * M }, 'below the level\'s min_ratio (0.7) for 3× the snapshot interval at most')
  t.same(rows[2]!.coverage, { samples: 0, mean: null, min: null, belowMinMs: 0 })
  t.same(rows[2]!.cells, [])
  t.equal(rows[2]!.assessment.score, null, 'no data: no score')
  t.same(rows.map((z) => z.priorityCells.map((c) => [c.cell, c.maxIntervalMs])), [[['hb', 5 * M]], [['ha', 15 * M]], []], 'a hotspot\'s interval: its level\'s, else incidents.hotspots.max_interval')
  t.same(rows[0]!.units, [{ unitId: 'U', minutes: 30, share: 1 }])
  t.same(rows[1]!.units, [])
  t.same(rows[1]!.cells, [{ cell: 'c1', fresh: 0.1235 }])
  t.same(rows[1]!.response, { mean: 1, min: 1 })
  t.same(rows[0]!.levels, [{ level: 'high', from: 0, to: 60 * M }])
})
