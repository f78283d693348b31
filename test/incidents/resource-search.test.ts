// Resource search against brute force on seeded random fleets, with exclusions, distance limits
// and ties, and the ETA arithmetic.
import t from 'tap'
import { haversineM } from '../../src/geo/distance.js'
import { etaSeconds, searchUnits, type Candidate, type SearchSettings } from '../../src/incidents/resource-search.js'
import { rng } from '../helpers/workload.js'

const S: SearchSettings = { k: 5, speedKmh: { vehicle: 36, officer: 3.6, default: 18 }, detourFactor: 1.5, maxDistanceM: 0 }

function fleet(n: number, seed: number): Candidate[] {
  const r = rng(seed)
  return Array.from({ length: n }, (_, i) => ({
    id: `U-${String(i).padStart(5, '0')}`,
    name: `unit ${i}`,
    kind: r() < 0.3 ? 'officer' : 'vehicle',
    lat: 36.45 + r() * 0.1,
    lon: 117.8 + r() * 0.12,
    ts: 1000 + i,
    post: null,
    zone: null,
  }))
}

function brute(cands: Candidate[], lat: number, lon: number, k: number, exclude: Set<string>, maxD = Infinity): string[] {
  return cands
    .filter((c) => !exclude.has(c.id))
    .map((c) => ({ id: c.id, d: haversineM(lat, lon, c.lat, c.lon) }))
    .filter((x) => x.d <= maxD)
    .sort((a, b) => a.d - b.d || (a.id < b.id ? -1 : 1))
    .slice(0, k)
    .map((x) => x.id)
}

t.test('nearest k equal brute force over seeded fleets and points', async (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    const cands = fleet(2000, seed)
    const r = rng(seed * 7)
    const lat = 36.45 + r() * 0.1
    const lon = 117.8 + r() * 0.12
    const exclude = new Set(cands.filter((_, i) => i % 13 === 0).map((c) => c.id))
    const k = 1 + (seed % 10)
    const got = searchUnits(cands, lat, lon, { ...S, k }, exclude)
    t.same(got.map((p) => p.unitId), brute(cands, lat, lon, k, exclude), `seed ${seed}`)
    t.ok(got.every((p, i) => i === 0 || p.distanceM >= got[i - 1]!.distanceM))
  }
})

t.test('distance limit, ties by id, fewer candidates than k, k = 0', async (t) => {
  const p = { lat: 36.49, lon: 117.86 }
  const c = (id: string, dLat: number, kind = 'vehicle'): Candidate => ({ id, name: id, kind, lat: p.lat + dLat, lon: p.lon, ts: 5, post: 'st', zone: 'g' })
  const cands = [c('B', 0.001), c('A', 0.001), c('C', 0.05), c('D', 0.002, 'officer')]
  t.same(searchUnits(cands, p.lat, p.lon, { ...S, k: 10 }).map((x) => x.unitId), ['A', 'B', 'D', 'C'], 'equal distances sort by id')
  t.same(searchUnits(cands, p.lat, p.lon, { ...S, k: 10, maxDistanceM: 1000 }).map((x) => x.unitId), ['A', 'B', 'D'])
  t.same(searchUnits(cands, p.lat, p.lon, { ...S, k: 0 }), [])
  t.same(searchUnits(cands, p.lat, p.lon, { ...S, k: 2 }, new Set(['A'])).map((x) => x.unitId), ['B', 'D'])
  // Units beyond the planar prune window (±0.5°) take the haversine path; nearer ones are pruned.
  const far = [c('F1', 2), c('F2', -2), { ...c('F3', 0), lon: p.lon + 3 }, { ...c('F4', 0), lon: p.lon - 3 }, c('N', 0.3)]
  t.same(searchUnits([...cands, ...far], p.lat, p.lon, { ...S, k: 2 }).map((x) => x.unitId), ['A', 'B'])
  t.same(searchUnits([...far, ...cands], p.lat, p.lon, { ...S, k: 5 }).map((x) => x.unitId), ['A', 'B', 'D', 'C', 'N'])
  const [first] = searchUnits(cands, p.lat, p.lon, { ...S, k: 1 })
  t.match(first, { unitId: 'A', name: 'A', kind: 'vehicle', post: 'st', zone: 'g', lastFixAt: 5, distanceM: 111 })
  // 111.2 m × 1.5 at 10 m/s = 16.7 s → 17
  t.equal(first!.etaS, 17)
})

t.test('ETA per kind, default kind and fallback', async (t) => {
  t.equal(etaSeconds(1000, 'vehicle', S), 150)
  t.equal(etaSeconds(1000, 'officer', S), 1500)
  t.equal(etaSeconds(1000, 'drone', S), 300, 'unknown kind uses default')
  t.equal(etaSeconds(1000, 'drone', { speedKmh: {}, detourFactor: 1 }), 180, 'no default: 20 km/h')
})
