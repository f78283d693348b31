// The hotspots in force, with a fake store: a recomputation replaces them (top N per zone), a
// failing or absent store or hotspots off keep the previous ones, cluster mode sends the result
// to the log instead, and the snapshot parts round-trip.
import t from 'tap'
import { latLngToCell, cellToParent } from 'h3-js'
import { LiveHotspots, type LiveHotspotsDeps } from '../../src/incidents/live-hotspots.js'
import type { HotspotZones } from '../../src/incidents/commands.js'
import type { CellScore, HotspotSpec } from '../../src/incidents/hotspots.js'
import type { IncidentStore } from '../../src/incidents/incident-store.js'
import { captureLogger } from '../helpers/harness.js'

const T0 = Date.UTC(2025, 5, 1)
const spec: HotspotSpec & { enabled: boolean } = { enabled: true, resolution: 9, windowMs: 86_400_000, halfLifeMs: 86_400_000, weights: {}, topPerZone: 2, minScore: 0 }
const cell = latLngToCell(36.49, 117.86, 9)
const zoneCells = [{ id: 'Z1', resolution: 8, cells: new Set([cellToParent(cell, 8)]) }]

function setup(scores: () => Promise<CellScore[]>, o: Partial<LiveHotspotsDeps> = {}) {
  const { logger, logs } = captureLogger()
  const store = { hotspotScores: scores } as unknown as IncidentStore
  const now = { t: T0 }
  const h = new LiveHotspots({ spec, zoneCells, store: () => store, now: () => now.t, logger, ...o })
  return { h, logs, now }
}

t.test('a recomputation puts the hotspots in force; a failure keeps them (logged)', async (t) => {
  let fail = false
  const { h, logs, now } = setup(async () => {
    if (fail) throw new Error('timeout')
    return [{ cell, score: 3, count: 2 }]
  })
  t.equal(h.computedAt, null)
  t.same(h.list(), [])
  t.equal(await h.recompute(), true)
  t.equal(h.computedAt, T0)
  t.match(h.list(), [{ zoneId: 'Z1', cell, score: 3 }])
  t.same(h.list('Z2'), [])
  t.equal(h.current().get('Z1')?.length, 1)
  fail = true
  now.t = T0 + 1000
  t.equal(await h.recompute(), false)
  t.equal(h.computedAt, T0, 'the previous hotspots stay in force')
  t.equal(h.list('Z1').length, 1)
  t.match(logs.at(-1), { level: 40, err: 'timeout' })
})

t.test('hotspots off or no store: nothing recomputed', async (t) => {
  t.equal(await setup(async () => [], { spec: { ...spec, enabled: false } }).h.recompute(), false)
  t.equal(await setup(async () => [], { store: () => null }).h.recompute(), false)
})

t.test('cluster mode: the result goes to the log, applied when it comes back', async (t) => {
  const sent: Array<[HotspotZones, number]> = []
  const { h } = setup(async () => [{ cell, score: 1, count: 1 }], { toLog: async (zones, at) => { sent.push([zones, at]) } })
  t.equal(await h.recompute(), true)
  t.equal(h.computedAt, null, 'not in force until applied')
  t.equal(sent.length, 1)
  const [zones, at] = sent[0]!
  h.apply(zones, at)
  t.equal(h.computedAt, T0)
  t.same(h.toJSON(), zones)
})

t.test('snapshot parts: round-trip; unreadable ones keep the hotspots, the time becomes null', async (t) => {
  const { h } = setup(async () => [{ cell, score: 2, count: 1 }])
  await h.recompute()
  const copy = setup(async () => []).h
  copy.restore(h.toJSON(), h.computedAt)
  t.same(copy.list(), h.list())
  t.equal(copy.computedAt, T0)
  copy.restore('garbage', 'soon')
  t.same(copy.list(), h.list())
  t.equal(copy.computedAt, null)
})
