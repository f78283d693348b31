// The rate window at run time, with a fake store: rebuilt once from ClickHouse and the incidents
// not shipped yet (tried again after a failure, logged), a crossing reported once with the
// zone's count, the window round-trips through toJSON()/load().
import t from 'tap'
import { RateWindow, type RateWindowDeps } from '../../src/incidents/rate-window.js'
import type { IncidentStore } from '../../src/incidents/incident-store.js'
import { UnshippedIncidents } from '../../src/incidents/unshipped.js'
import { captureLogger } from '../helpers/harness.js'

const T0 = Date.UTC(2025, 5, 1)
const HOUR = 3_600_000
const spec = { threshold: 3, windowMs: 24 * HOUR, suggestLevel: 'high', autoApply: false, autoExpiryMs: 0 }

function setup(zonedSince: () => Promise<Array<{ id: string; zoneId: string; ts: number }>>, o: Partial<RateWindowDeps> = {}) {
  const { logger, logs } = captureLogger()
  const unshipped = new UnshippedIncidents()
  const tracked: Array<Promise<unknown>> = []
  const store = { zonedSince } as unknown as IncidentStore
  const w = new RateWindow({ spec, store: () => store, unshipped, now: () => T0, logger, track: (p) => { tracked.push(p); return p }, ...o })
  return { w, logs, unshipped, tracked }
}

t.test('restore: once, from ClickHouse and the incidents not shipped yet; a crossing before the restart is not proposed again', async (t) => {
  let asked = 0
  const s = setup(async () => { asked++; return [{ id: 'A', zoneId: 'Z1', ts: T0 - HOUR }, { id: 'B', zoneId: 'Z1', ts: T0 - 2 * HOUR }] })
  s.unshipped.add({ id: 'C', type: 'theft', priority: 2, lat: 0, lon: 0, ts: T0 - 3 * HOUR, address: '', description: '', zone: 'Z1', source: 'api', createdAt: T0 })
  await s.w.restore()
  await s.w.restore()
  t.equal(asked, 1, 'once per process')
  t.equal(s.tracked.length, 1, 'registered as background work')
  t.match(s.logs.at(-1), { level: 30, incidents: 2 })
  t.equal(s.w.observe('Z1', 'D', T0, T0), null, 'Z1 was at the threshold before the restart')
})

t.test('restore: retried after a failure (logged); nothing to restore without a threshold', async (t) => {
  let fail = true
  const s = setup(async () => {
    if (fail) throw new Error('connection refused\nat somewhere')
    return []
  })
  await s.w.restore()
  t.match(s.logs.at(-1), { level: 40, err: 'connection refused' })
  fail = false
  await s.w.restore()
  t.equal(s.tracked.length, 2, 'tried again')
  const none = setup(async () => { throw new Error('never asked') }, { store: () => null })
  await none.w.restore()
  t.match(none.logs.at(-1), { err: 'ClickHouse is not ready' })
  const off = setup(async () => { throw new Error('never asked') }, { spec: { ...spec, threshold: 0 } })
  await off.w.restore()
  t.equal(off.tracked.length, 0)
})

t.test('observe: the count once per crossing; toJSON()/load() keep the window', async (t) => {
  const { w } = setup(async () => [])
  t.equal(w.observe('Z1', 'A', T0 - 2, T0), null)
  t.equal(w.observe('Z1', 'B', T0 - 1, T0), null)
  t.equal(w.observe('Z1', 'C', T0, T0), 3)
  t.equal(w.observe('Z1', 'D', T0, T0), null, 'already proposed')
  const copy = setup(async () => []).w
  copy.load(w.toJSON())
  t.same(copy.toJSON(), w.toJSON())
  t.equal(copy.observe('Z1', 'E', T0, T0), null, 'the crossing travelled with the window')
})
