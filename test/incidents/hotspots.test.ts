// The hotspot scoring spec: weights, decay, window, per-zone bound and resolution mapping.
import t from 'tap'
import { cellToChildren, cellToParent, latLngToCell, getResolution } from 'h3-js'
import { cellAtResolution, hotspotsByZone, incidentScore, scoreIncidents, typeWeight, type HotspotSpec } from '../../src/incidents/hotspots.js'

const DAY = 86_400_000
const spec: HotspotSpec = { resolution: 9, windowMs: 30 * DAY, halfLifeMs: 7 * DAY, weights: { robbery: 3, default: 1 }, topPerZone: 2, minScore: 0 }
const NOW = Date.UTC(2025, 5, 1)
const P = { lat: 36.49, lon: 117.86 }

t.test('weights by type, halving per half-life, window', async (t) => {
  t.equal(typeWeight(spec, 'robbery'), 3)
  t.equal(typeWeight(spec, 'theft'), 1)
  t.equal(typeWeight({ ...spec, weights: {} }, 'theft'), 1, 'no default key: 1')
  t.equal(incidentScore(spec, 'robbery', NOW, NOW), 3)
  t.equal(incidentScore(spec, 'robbery', NOW - 7 * DAY, NOW), 1.5)
  t.equal(incidentScore(spec, 'theft', NOW - 14 * DAY, NOW), 0.25)
  t.equal(incidentScore(spec, 'theft', NOW - 31 * DAY, NOW), 0, 'outside the window')
  t.equal(incidentScore(spec, 'theft', NOW + 1000, NOW), 1, 'a future time counts as age 0')
})

t.test('scores per cell, sorted, min_score and window applied', async (t) => {
  const far = { lat: 36.5, lon: 117.9 }
  const incidents = [
    { type: 'robbery', ts: NOW - DAY, ...P },
    { type: 'theft', ts: NOW, ...P },
    { type: 'theft', ts: NOW, ...far },
    { type: 'theft', ts: NOW - 40 * DAY, ...far },
    { type: 'theft', ts: NOW + DAY, ...far },
  ]
  const s = scoreIncidents(spec, incidents, NOW)
  t.equal(s.length, 2)
  t.equal(s[0]!.cell, latLngToCell(P.lat, P.lon, 9))
  t.equal(s[0]!.count, 2)
  t.ok(Math.abs(s[0]!.score - (1 + 3 * Math.pow(0.5, 1 / 7))) < 1e-9)
  t.same(s[1], { cell: latLngToCell(far.lat, far.lon, 9), score: 1, count: 1 })
  t.equal(scoreIncidents({ ...spec, minScore: 2 }, incidents, NOW).length, 1)
  // Equal scores: by cell id.
  const eq = scoreIncidents(spec, [{ type: 'theft', ts: NOW, ...far }, { type: 'theft', ts: NOW, ...P }], NOW)
  t.ok(eq[0]!.cell < eq[1]!.cell)
})

t.test('cells map across resolutions', async (t) => {
  const c9 = latLngToCell(P.lat, P.lon, 9)
  t.equal(cellAtResolution(c9, 9), c9)
  t.equal(cellAtResolution(c9, 8), cellToParent(c9, 8))
  const c10 = cellAtResolution(c9, 10)
  t.equal(getResolution(c10), 10)
  t.equal(cellToParent(c10, 9), c9)
})

t.test('top N per zone, merged when several cells map to one zone cell, other zones untouched', async (t) => {
  const zc = (lat: number, lon: number) => latLngToCell(lat, lon, 8)
  const siblings = cellToChildren(zc(P.lat, P.lon), 9).slice(0, 2)
  const others = [latLngToCell(36.52, 117.86, 9), latLngToCell(36.53, 117.86, 9), latLngToCell(36.54, 117.86, 9)]
  const scores = [
    { cell: siblings[0]!, score: 5, count: 2 },
    { cell: siblings[1]!, score: 4, count: 1 },
    ...others.map((cell, i) => ({ cell, score: 3 - i, count: 1 })),
  ]
  const zones = [
    { id: 'coarse', resolution: 8, cells: new Set([zc(P.lat, P.lon), ...others.map((c) => cellToParent(c, 8))]) },
    { id: 'fine', resolution: 9, cells: new Set(others) },
    { id: 'empty', resolution: 9, cells: new Set<string>() },
  ]
  const by = hotspotsByZone(spec, scores, zones)
  const coarse = by.get('coarse')!
  t.equal(coarse.length, 2, 'bounded by top_per_zone')
  t.equal(coarse[0]!.zoneCell, zc(P.lat, P.lon))
  t.equal(coarse[0]!.score, 9, 'siblings merged into their parent')
  t.equal(coarse[0]!.count, 3)
  t.same(by.get('fine')!.map((h) => h.cell), others.slice(0, 2))
  t.same(by.get('empty'), [])
})
