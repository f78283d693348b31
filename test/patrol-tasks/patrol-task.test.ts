// The task tracker on the realism kit: foot and car units on URBAN GPS noise, phones reporting
// every 10 s to once a minute, dropouts flushed late. Honest make-up walks through every cell must
// complete and never be abandoned; a unit that turns away must be abandoned; a silent one expires.
import t from 'tap'
import { gridDisk, latLngToCell } from 'h3-js'
import { overdueCell } from '../../src/patrol-tasks/cell-clusters.js'
import { visitOrder } from '../../src/patrol-tasks/visit-order.js'
import { PatrolTask, type TaskChange, type TaskSettings, type TaskSpec } from '../../src/patrol-tasks/patrol-task.js'
import type { Fix } from '../../src/decode/fix.js'
import { generateTrack, offsetM, route, waypoints, type LatLon, type RealFix } from '../helpers/gps-realism.js'

const C = { lat: 36.4722, lon: 117.8116 }
const T0 = Date.UTC(2026, 11, 6, 8)
const S: TaskSettings = { maxAccuracyM: 100, pathMaxGapMs: 120_000, pathMaxDistanceM: 2000, awayM: 500, abandonAfterMs: 10 * 60_000, expireAfterMs: 2 * 3600_000 }
const cells = gridDisk(latLngToCell(C.lat, C.lon, 9), 1).map((c) => overdueCell(c, null))

function spec(start: LatLon, etaS: number): TaskSpec {
  return { id: 'makeup:z1:x', zoneId: 'z1', unitId: 'u1', cells: visitOrder(start, cells), assignedAt: T0, etaS, by: 'dispatcher' }
}

/** Feeds the track in arrival order (each arrival sorted by fix time) with a tick every 10 s. */
function run(task: PatrolTask, track: RealFix[], untilS: number): TaskChange[] {
  const changes: TaskChange[] = []
  const arrivals = [...track].sort((a, b) => a.fix.receivedAt - b.fix.receivedAt || a.fix.ts - b.fix.ts)
  let i = 0
  for (let now = T0; now <= T0 + untilS * 1000; now += 10_000) {
    while (i < arrivals.length && (arrivals[i] as RealFix).fix.receivedAt <= now) {
      const c = task.observe((arrivals[i] as RealFix).fix)
      if (c !== null) changes.push(c)
      i++
    }
    const c = task.tick(now)
    if (c !== null) changes.push(c)
  }
  return changes
}

/**
 * Completion floors per reporting profile, from measured rates (printed): a car reporting once a
 * minute is 480 m between fixes, and the chord between two fixes cuts the corners of a zig-zag
 * through seven 0.1 km² cells, so it cannot show every visit (docs: report every 30 s or faster
 * on make-up patrols). False abandonment = abandoned before the unit had left the cells for the
 * bound; it must never happen.
 */
const profiles = [
  { name: 'foot, 30 s', speed: 1.4, periodS: 30, floor: 0.95 },
  { name: 'foot, once a minute', speed: 1.4, periodS: 60, floor: 0.95 },
  { name: 'car at patrol speed (18 km/h), 10 s', speed: 5, periodS: 10, floor: 0.95 },
  { name: 'car at patrol speed (18 km/h), 30 s', speed: 5, periodS: 30, floor: 0.95 },
  { name: 'car at 29 km/h, once a minute', speed: 8, periodS: 60, floor: 0.4 },
]

t.test('honest make-up walks complete and are never abandoned early (200 runs per profile, URBAN noise)', async (t) => {
  for (const p of profiles) {
    let completed = 0
    let early = 0
    const runs = 200
    for (let seed = 1; seed <= runs; seed++) {
      const start = offsetM(C, -800, (seed % 7) * 100 - 300)
      const legs = route([start, ...visitOrder(start, cells), offsetM(C, 1500, 1500)], p.speed)
      const leftAtS = (legs[legs.length - 2] as [number, LatLon])[0]
      const track = generateTrack({ seed, unitId: 'u1', start: T0, durationS: 3 * 3600, periodS: p.periodS, truth: waypoints(legs), dropouts: seed % 5 === 0 ? [[300, 600]] : [] })
      const task = new PatrolTask(spec(start, 800 / p.speed), S)
      const ch = run(task, track, 3 * 3600)
      if (task.status === 'completed') completed++
      const ab = ch.find((c) => c.to === 'abandoned')
      if (ab !== undefined && ab.at < T0 + leftAtS * 1000 + S.abandonAfterMs) early++
    }
    t.ok(completed / runs >= p.floor, `${p.name}: ${completed}/${runs} completed (floor ${p.floor})`)
    t.equal(early, 0, `${p.name}: none abandoned early`)
  }
})

t.test('a unit that turns away is abandoned, after the bound and never completes', async (t) => {
  for (let seed = 1; seed <= 50; seed++) {
    const start = offsetM(C, -800, 0)
    const truth = waypoints(route([start, offsetM(C, -3000, 0)], 1.4))
    const task = new PatrolTask(spec(start, 600), S)
    const ch = run(task, generateTrack({ seed, unitId: 'u1', start: T0, durationS: 3600, periodS: 30, truth }), 3600)
    t.equal(task.status, 'abandoned', `seed ${seed}`)
    const at = ch.find((c) => c.to === 'abandoned')?.at ?? 0
    t.ok(at - T0 >= 600_000 + S.abandonAfterMs, 'not before the ETA plus the bound')
  }
})

t.test('a unit that sweeps half and leaves: started, then abandoned with the visits it made', async (t) => {
  const start = offsetM(C, -800, 0)
  const order = visitOrder(start, cells)
  const truth = waypoints(route([start, ...order.slice(0, 3), offsetM(C, 3000, 3000)], 1.4))
  const task = new PatrolTask(spec(start, 600), S)
  const ch = run(task, generateTrack({ seed: 9, unitId: 'u1', start: T0, durationS: 3 * 3600, periodS: 30, truth, noise: { multipathRate: 0 } }), 3 * 3600)
  t.same(ch.map((c) => c.to), ['started', 'abandoned'])
  t.ok(task.visits.size >= 3 && task.visits.size < 7, `${task.visits.size} of 7 visited`)
  t.same(task.progress(), { status: 'abandoned', visited: task.visits.size, total: 7, startedAt: task.startedAt, endedAt: task.endedAt })
})

t.test('a silent unit expires; ended tasks ignore fixes and ticks; cancel', async (t) => {
  const task = new PatrolTask(spec(C, 0), S)
  t.equal(task.tick(T0 + S.expireAfterMs - 1), null)
  t.same(task.tick(T0 + S.expireAfterMs), { to: 'expired', at: T0 + S.expireAfterMs })
  t.equal(task.tick(T0 + S.expireAfterMs * 2), null)
  const fix = { unitId: 'u1', ts: T0 + 1, lat: C.lat, lon: C.lon, accuracy: 5 } as Fix
  t.equal(task.observe(fix), null)
  const other = new PatrolTask(spec(C, 0), S)
  other.cancel(T0 + 5)
  t.equal(other.status, 'cancelled')
  t.equal(other.open, false)
  other.cancel(T0 + 6)
  t.equal(other.endedAt, T0 + 5)
})

t.test('fixes of other units, before assignment or too inaccurate visit nothing', async (t) => {
  const task = new PatrolTask(spec(C, 0), S)
  const at = (o: Partial<Fix>) => ({ unitId: 'u1', ts: T0 + 1000, lat: C.lat, lon: C.lon, accuracy: 5, ...o }) as Fix
  t.equal(task.observe(at({ unitId: 'u2' })), null)
  t.equal(task.observe(at({ ts: T0 - 1 })), null)
  t.equal(task.observe(at({ accuracy: 500 })), null)
  t.equal(task.visits.size, 0)
  t.same(task.observe(at({})), { to: 'started', at: T0 + 1000 })
  t.equal(task.visits.size, 1)
  t.throws(() => new PatrolTask({ ...spec(C, 0), cells: [] }, S), /no cells/)
})
