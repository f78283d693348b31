import t from 'tap'
import { gridDisk, latLngToCell } from 'h3-js'
import { clusterCells, overdueCell } from '../../src/patrol-tasks/cell-clusters.js'
import { proposeMakeUps, type ProposalSettings } from '../../src/patrol-tasks/proposals.js'
import { etaSeconds, type Candidate } from '../../src/incidents/resource-search.js'
import { haversineM } from '../../src/geo/distance.js'
import { offsetM } from '../helpers/gps-realism.js'

const C = { lat: 36.4722, lon: 117.8116 }
const S: ProposalSettings = { speedKmh: { foot: 5, car: 30, default: 20 }, detourFactor: 1.3, otherZonePenaltyS: 600, maxEtaS: 0 }
const unit = (id: string, north: number, east: number, kind = 'car', zone: string | null = 'z1'): Candidate => {
  const p = offsetM(C, north, east)
  return { id, name: `Unit ${id}`, kind, lat: p.lat, lon: p.lon, ts: 0, post: null, zone }
}
const hole = (north: number, east: number, ring = 1) => {
  const p = offsetM(C, north, east)
  return gridDisk(latLngToCell(p.lat, p.lon, 9), ring).map((c) => overdueCell(c, 0))
}

t.test('two holes, three units: each hole gets its nearest free unit, most urgent first', async (t) => {
  const clusters = clusterCells('z1', [...hole(0, 0), ...hole(3000, 0).map((c) => ({ ...c, priority: true }))], { linkRings: 2, maxCells: 30 })
  const units = [unit('a', 200, 0), unit('b', 2800, 0), unit('c', 2900, 100)]
  const out = proposeMakeUps(clusters, units, new Set(), S)
  t.equal(out.length, 2)
  t.equal(out[0]?.priorityCells, 7, 'the priority hole first')
  t.equal(out[0]?.unit?.id, 'b')
  t.equal(out[1]?.unit?.id, 'a')
  t.ok((out[1]?.unit?.etaS ?? 0) > 0)
  t.equal(out[0]?.id, `makeup:${clusters[0]?.id}`)
  t.equal(out[0]?.cells.length, 7)
  t.ok((out[0]?.routeM ?? 0) > (out[0]?.unit?.distanceM ?? Infinity), 'the route runs from the unit through every cell')
})

t.test('busy units and units beyond maxEtaS are not proposed; the hole is still listed without a unit', async (t) => {
  const clusters = clusterCells('z1', hole(0, 0), { linkRings: 2, maxCells: 30 })
  const units = [unit('a', 100, 0), unit('far', 20_000, 0)]
  const out = proposeMakeUps(clusters, units, new Set(['a']), { ...S, maxEtaS: 600 })
  t.equal(out.length, 1)
  t.equal(out[0]?.unit, null)
  t.ok((out[0]?.routeM ?? 0) > 0)
})

t.test('a unit of another zone pays the penalty; foot units are slower', async (t) => {
  const clusters = clusterCells('z1', hole(0, 0), { linkRings: 2, maxCells: 30 })
  t.equal(proposeMakeUps(clusters, [unit('own', 1500, 0), unit('other', 500, 0, 'car', 'z2')], new Set(), S)[0]?.unit?.id, 'own')
  t.equal(proposeMakeUps(clusters, [unit('own', 1500, 0), unit('other', 500, 0, 'car', 'z2')], new Set(), { ...S, otherZonePenaltyS: 0 })[0]?.unit?.id, 'other')
  t.equal(proposeMakeUps(clusters, [unit('walk', 600, 0, 'foot'), unit('drive', 1200, 0, 'car')], new Set(), S)[0]?.unit?.id, 'drive')
})

t.test('a unit gets at most one proposal; ties break by id', async (t) => {
  const clusters = clusterCells('z1', [...hole(0, 0), ...hole(0, 3000)], { linkRings: 2, maxCells: 30 })
  const out = proposeMakeUps(clusters, [unit('b', 0, 1500), unit('a', 0, 1500)], new Set(), S)
  t.same(out.map((p) => p.unit?.id).sort(), ['a', 'b'])
  const one = proposeMakeUps(clusters, [unit('solo', 0, 1500)], new Set(), S)
  t.same(one.map((p) => p.unit?.id ?? null).filter((x) => x !== null), ['solo'])
})

t.test('the bounded search picks what measuring every unit against every cell picks (random fleets)', async (t) => {
  let seed = 7
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const kinds = ['foot', 'car', 'bike']
  for (let run = 0; run < 40; run++) {
    const clusters = clusterCells('z1', [...hole(rnd() * 4000 - 2000, rnd() * 4000 - 2000, 2), ...hole(rnd() * 4000 - 2000, rnd() * 4000 - 2000)], { linkRings: 2, maxCells: 10 })
    // Ties on purpose: units in pairs at the same spot.
    const units = Array.from({ length: 60 }, (_, i) => unit(`u${String(i).padStart(2, '0')}`, Math.round(rnd() * 10) * 600 - 3000, Math.round(rnd() * 10) * 600 - 3000, kinds[i % 3], rnd() < 0.3 ? 'z2' : 'z1'))
    const s = { ...S, maxEtaS: run % 4 === 0 ? 900 : 0, kindPenaltyS: { bike: 120 }, loadPenaltyS: run % 2 === 0 ? 300 : 0 }
    const busy = new Set(units.filter(() => rnd() < 0.2).map((u) => u.id))
    const load = new Map(units.filter(() => rnd() < 0.3).map((u) => [u.id, 1 + Math.floor(rnd() * 3)]))
    // Brute force: every free unit against every cell, cluster by cluster.
    const taken = new Set(busy)
    const want = clusters.map((cl) => {
      let best: { id: string; cost: number } | null = null
      for (const u of units) {
        if (taken.has(u.id)) continue
        const d = Math.min(...cl.cells.map((c) => haversineM(u.lat, u.lon, c.lat, c.lon)))
        const eta = etaSeconds(d, u.kind, s)
        if (s.maxEtaS > 0 && eta > s.maxEtaS) continue
        const cost = eta + (u.zone === 'z1' ? 0 : s.otherZonePenaltyS) + (u.kind === 'bike' ? 120 : 0) + (load.get(u.id) ?? 0) * s.loadPenaltyS
        if (best === null || cost < best.cost || (cost === best.cost && u.id < best.id)) best = { id: u.id, cost }
      }
      if (best !== null) taken.add(best.id)
      return best?.id ?? null
    })
    t.same(proposeMakeUps(clusters, units, busy, s, load).map((p) => p.unit?.id ?? null), want, `run ${run}`)
  }
})

t.test('kind and load weigh in: a kind\'s penalty and each recent task add to the cost', async (t) => {
  const clusters = clusterCells('z1', hole(0, 0), { linkRings: 2, maxCells: 30 })
  const units = [unit('armoured', 800, 0, 'car'), unit('patrol', 1100, 0, 'car')]
  const pick = (s: ProposalSettings, load = new Map<string, number>()) => proposeMakeUps(clusters, units, new Set(), s, load)[0]?.unit
  t.match(pick(S), { id: 'armoured', load: 0 }, 'nearest by ETA without penalties')
  const kinds = { ...S, kindPenaltyS: { car: 0 } }
  t.equal(pick(kinds)?.id, 'armoured', 'a kind penalty of 0 changes nothing')
  const armoured = [unit('armoured', 800, 0, 'armoured'), unit('patrol', 1100, 0, 'car')]
  const s2 = { ...S, speedKmh: { ...S.speedKmh, armoured: 30 }, kindPenaltyS: { armoured: 3600 } }
  const withKind = proposeMakeUps(clusters, armoured, new Set(), s2)[0]?.unit
  t.equal(withKind?.id, 'patrol', 'the armoured car is kept for last')
  t.equal(withKind?.costS, withKind?.etaS, 'the patrol car\'s cost is its ETA')
  const loaded = pick({ ...S, loadPenaltyS: 300 }, new Map([['armoured', 2]]))
  t.match(loaded, { id: 'patrol', load: 0 }, 'two recent tasks (2 × 5 min) outweigh 300 m')
  t.match(pick({ ...S, loadPenaltyS: 0 }, new Map([['armoured', 2]])), { id: 'armoured', load: 2 }, 'load_penalty 0: load does not matter')
})

t.test('a task beyond a unit\'s post radius costs the post penalty (the unit would breach its post)', async (t) => {
  const clusters = clusterCells('z1', hole(0, 0), { linkRings: 2, maxCells: 30 })
  const station = (north: number) => ({ ...offsetM(C, north, 0), radiusM: 1500 })
  const posts = new Map([['near', station(500)], ['far', station(4000)]])
  const withPost = (u: Candidate, post: string | null): Candidate => ({ ...u, post })
  // Closer, but posted 4 km north with a 1.5 km radius: going there breaches its post.
  const tied = withPost(unit('tied', 700, 0), 'far')
  const free = withPost(unit('free', 1000, 0), 'near')
  const s = { ...S, outsidePostPenaltyS: 600, posts }
  t.equal(proposeMakeUps(clusters, [tied, free], new Set(), S)[0]?.unit?.id, 'tied', 'without the penalty: the nearest')
  const pick = proposeMakeUps(clusters, [tied, free], new Set(), s)[0]?.unit
  t.match(pick, { id: 'free', post: 'near' }, 'with it: the unit whose post covers the task')
  t.equal(pick?.costS, pick?.etaS, 'inside its post: no penalty')
  t.equal(proposeMakeUps(clusters, [tied], new Set(), s)[0]?.unit?.costS, (proposeMakeUps(clusters, [tied], new Set(), S)[0]?.unit?.costS ?? 0) + 600, 'alone it is still proposed, at the penalty')
  t.equal(proposeMakeUps(clusters, [withPost(unit('ghost', 700, 0), 'gone'), free], new Set(), s)[0]?.unit?.id, 'ghost', 'an unknown post adds nothing')
})
