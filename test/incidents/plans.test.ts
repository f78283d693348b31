// The plan/checkpoint state machine on noisy drives: arrivals after a dwell, one missed checkpoint
// that resolves when its unit finally arrives, completion, deactivation, placement and restore.
import t from 'tap'
import { haversineM } from '../../src/geo/distance.js'
import { PlanBoard, PlanError, placeCheckpoint, type PlanSpec, type UnitPosition } from '../../src/incidents/plans.js'
import { rng } from '../helpers/workload.js'
import { offset } from '../rules/helpers.js'

const SCENE = { lat: 36.49, lon: 117.86 }
const T0 = Date.UTC(2025, 2, 1, 14, 0, 0)
const spec: PlanSpec = {
  id: 'ring',
  name: 'Robbery ring',
  positions: 'scene',
  dwellMs: 30_000,
  checkpoints: [
    { name: 'North bridge', northM: 800, eastM: 0, units: ['P-1'], arriveWithinMs: 300_000, radiusM: 100 },
    { name: 'East junction', northM: 0, eastM: 900, units: ['P-2', 'P-3'], arriveWithinMs: 300_000, radiusM: 100 },
  ],
}
const eta = (d: number) => Math.ceil(d / 10)

/** A jittered straight drive from a to b at `mps`, then parked at b with jitter, one fix per 10 s. */
function drive(r: () => number, a: { lat: number; lon: number }, b: { lat: number; lon: number }, startTs: number, mps: number) {
  const total = haversineM(a.lat, a.lon, b.lat, b.lon)
  return (ts: number) => {
    const f = Math.min(1, Math.max(0, ((ts - startTs) / 1000) * mps / total))
    const p = { lat: a.lat + (b.lat - a.lat) * f, lon: a.lon + (b.lon - a.lon) * f }
    return offset(p, (r() - 0.5) * 30, (r() - 0.5) * 30)
  }
}

t.test('scripted activation: arrivals, one miss resolved by a late arrival, completion', async (t) => {
  const board = new PlanBoard(eta)
  const { activation, events } = board.activate(spec, { by: 'cmd', incidentId: 'R-1', centre: SCENE }, T0)
  t.same(events.map((e) => e.type), ['plan.activated'])
  t.equal(events[0]!.id, `ring.${T0}.activated`)
  t.same([...board.committedUnits()].sort(), ['P-1', 'P-2', 'P-3'])
  const north = activation.checkpoints[0]!
  t.ok(Math.abs(haversineM(SCENE.lat, SCENE.lon, north.lat, north.lon) - 800) < 1)
  const r = rng(3)
  const cpN = { lat: north.lat, lon: north.lon }
  const cpE = { lat: activation.checkpoints[1]!.lat, lon: activation.checkpoints[1]!.lon }
  // P-1 arrives in ~2.5 min; P-2 is stuck far away until minute 8, then drives in; P-3 is silent.
  const p1 = drive(r, offset(cpN, 1500, 0), cpN, T0, 10)
  const p2 = drive(r, offset(cpE, 0, 3000), cpE, T0 + 480_000, 15)
  const all = []
  for (let ts = T0; ts <= T0 + 900_000; ts += 10_000) {
    // An outlier fix now and then (multipath): inside the radius it must not break or fake a dwell.
    const pos = new Map<string, UnitPosition>([
      ['P-1', { ...(r() < 0.05 ? offset(p1(ts), 400, 0) : p1(ts)), ts, kind: 'vehicle' }],
      ['P-2', { ...p2(ts), ts, kind: 'vehicle' }],
    ])
    const evs = board.tick(ts + 500, pos)
    for (const e of evs) all.push({ ...e, tick: ts })
    if (ts === T0 + 200_000) {
      const st = board.status('ring', ts, pos)!
      const u = st.checkpoints[1]!.units
      t.match(u[0], { unitId: 'P-2', live: true, approaching: false, inside: false })
      t.ok((u[0]!.distanceM as number) > 2500)
      t.ok(Math.abs((u[0]!.etaS as number) - ((u[0]!.distanceM as number) - 100) / 10) <= 1, 'ETA to the edge of the radius')
      t.match(u[1], { unitId: 'P-3', live: false, distanceM: null, etaS: null, approaching: null })
    }
    if (ts === T0 + 560_000) t.equal(board.status('ring', ts, pos)!.checkpoints[1]!.units[0]!.approaching, true, 'P-2 is heading there')
  }
  t.same(all.map((e) => e.type), ['checkpoint.reached', 'checkpoint.missed', 'checkpoint.reached', 'plan.completed'])
  const [reachedN, missedE, reachedE, done] = all
  t.match(reachedN!.data, { unitId: 'P-1', late: false, resolves: null, checkpoint: { name: 'North bridge', state: 'reached' } })
  t.ok((reachedN!.data.elapsedMs as number) > 100_000 && (reachedN!.data.elapsedMs as number) < 240_000, 'time to man the checkpoint from the fix times')
  t.equal(missedE!.id, `ring.${T0}.1.missed`)
  t.ok(missedE!.at > T0 + 300_000 && missedE!.at <= T0 + 311_000, 'missed right after arrive_within')
  t.match(missedE!.data, { state: 'opened', checkpoint: { name: 'East junction', state: 'missed' } })
  t.match(missedE!.summary, /East junction .* not manned within 5 min \(P-2, P-3\)/)
  t.match(reachedE!.data, { unitId: 'P-2', late: true, resolves: `ring.${T0}.1.missed` })
  t.match(reachedE!.summary, /late; the missed alert is resolved/)
  t.equal(done!.subject, 'plan:ring')
  t.ok((done!.data.slowestMs as number) > 480_000)
  t.same(board.tick(T0 + 1_000_000, new Map()), [], 'nothing more once complete')
  const off = board.deactivate('ring', 'cmd', T0 + 1_000_000)
  t.same(off.events.map((e) => e.type), ['plan.deactivated'])
  t.match(off.events[0]!.summary, /2 of 2 checkpoints manned/)
  t.equal(board.committedUnits().size, 0)
  t.equal(board.status('ring', T0, new Map()), null)
})

t.test('a unit already there before activation, or with stale fixes, proves nothing; leaving resets the dwell', async (t) => {
  const abs: PlanSpec = { ...spec, positions: 'absolute', checkpoints: [{ name: 'Gate', lat: SCENE.lat, lon: SCENE.lon, units: ['P-1'], arriveWithinMs: 600_000, radiusM: 50 }] }
  const board = new PlanBoard(eta)
  board.activate(abs, { by: 'cmd', incidentId: null, centre: null }, T0)
  const at = (ts: number, p = SCENE) => new Map([['P-1', { ...p, ts, kind: 'vehicle' }]])
  t.same(board.tick(T0 + 5000, at(T0 - 60_000)), [], 'old fix inside: no arrival')
  t.same(board.tick(T0 + 10_000, at(T0 + 10_000)), [])
  t.same(board.tick(T0 + 20_000, at(T0 + 20_000, offset(SCENE, 200, 0))), [], 'left: dwell resets')
  t.same(board.tick(T0 + 30_000, at(T0 + 30_000)), [])
  t.same(board.tick(T0 + 50_000, at(T0 + 50_000)), [])
  const ev = board.tick(T0 + 60_000, at(T0 + 60_000))
  t.same(ev.map((e) => e.type), ['checkpoint.reached', 'plan.completed'])
  t.equal(ev[0]!.data.elapsedMs, 30_000)
})

t.test('activation errors, placement, restore', async (t) => {
  const board = new PlanBoard(eta)
  t.throws(() => board.activate(spec, { by: 'cmd', incidentId: null, centre: null }, T0), new PlanError('bad_request', 'plan ring is placed relative to the scene: give an incident or a position'))
  board.activate(spec, { by: 'cmd', incidentId: null, centre: SCENE }, T0)
  try {
    board.activate(spec, { by: 'cmd', incidentId: null, centre: SCENE }, T0)
    t.fail('second activation')
  } catch (err) {
    t.equal((err as PlanError).code, 'conflict')
  }
  t.throws(() => board.deactivate('other', 'cmd', T0), /plan other is not active/)
  t.same(placeCheckpoint({ name: 'x', lat: 1, lon: 2, units: [], arriveWithinMs: 1, radiusM: 1 }, null), { lat: 1, lon: 2 })
  const p = placeCheckpoint({ name: 'x', eastM: 500, units: [], arriveWithinMs: 1, radiusM: 1 }, SCENE)
  t.ok(Math.abs(haversineM(SCENE.lat, SCENE.lon, p.lat, p.lon) - 500) < 1)
  t.equal(p.lat, SCENE.lat)
  const q = placeCheckpoint({ name: 'x', northM: 500, units: [], arriveWithinMs: 1, radiusM: 1 }, SCENE)
  t.equal(q.lon, SCENE.lon)

  const json = JSON.parse(JSON.stringify(board.toJSON())) as { active: unknown[] }
  json.active.push({ planId: 'gone', checkpoints: [] }, { planId: 'ring2' }, null)
  const r = new PlanBoard(eta)
  r.restore(json, (id) => id !== 'gone')
  t.same(r.list().map((a) => a.planId), ['ring'])
  t.same(r.get('ring'), board.get('ring'))
  r.restore(null, () => true)
  r.restore({ version: 9 }, () => true)
  t.equal(r.list().length, 1)
  // State saved before nearest-at-activation: checkpoints without `picked` read as none picked.
  const old = JSON.parse(JSON.stringify(board.toJSON())) as { active: Array<{ checkpoints: Array<{ picked?: unknown }> }> }
  for (const c of old.active[0]!.checkpoints) delete c.picked
  const o = new PlanBoard(eta)
  o.restore(old, () => true)
  t.same(o.get('ring')?.checkpoints.map((c) => c.picked), board.get('ring')?.checkpoints.map(() => []))
})

t.test('English names: kept in the activation and its status for the live map, not in the events', async (t) => {
  const board = new PlanBoard(eta)
  const named: PlanSpec = { ...spec, name: '抢劫案外围封控', nameEn: 'Robbery ring', checkpoints: [{ ...spec.checkpoints[0]!, name: '北桥', nameEn: 'North bridge' }, spec.checkpoints[1]!] }
  const { activation, events } = board.activate(named, { by: 'cmd', incidentId: null, centre: SCENE }, T0)
  t.equal(activation.checkpoints[0]!.nameEn, 'North bridge')
  t.notOk('nameEn' in activation.checkpoints[1]!, 'none configured')
  const st = board.status('ring', T0, new Map())!
  t.match(st.checkpoints, [{ name: '北桥', nameEn: 'North bridge' }, { name: 'East junction' }])
  t.notOk('nameEn' in st.checkpoints[1]!)
  t.same((events[0]!.data.checkpoints as Array<Record<string, unknown>>).map((c) => [c.name, c.nameEn]), [['北桥', undefined], ['East junction', undefined]], 'event data unchanged')
  t.equal(events[0]!.data.planName, '抢劫案外围封控')
  const missed = board.tick(T0 + 301_000, new Map())
  t.notOk('nameEn' in (missed[0]!.data.checkpoint as object), 'checkpoint.missed data unchanged')
})
