// FleetReplica: applies the cluster log's records to a RuleEngine. Unit tests with a recording
// fake engine (which call, with which clock), then the equivalence test: a realistic multi-hour
// fleet (test/helpers/gps-realism.ts) evaluated by one RuleEngine the way the single engine does,
// and the same inputs as encoded records through FleetReplica into another RuleEngine, must give
// identical alert events (ids, types, order per partition), coverage and response figures; and
// patrol integrity on the realism kit's dishonest unit-days gives a single engine's signals; and the
// make-up patrol board runs in the replica, its commands through the log.
import t from 'tap'
import { FleetReplica, eventPartition, type ReplicaEntry, type TaskOutcome } from '../../src/cluster/replica.js'
import { clusterTaskDesk, replicatedBoard } from '../../src/cluster/replicated-tasks.js'
import type { PatrolTaskService } from '../../src/patrol-tasks/service.js'
import type { PatrolTasksSetup } from '../../src/patrol-tasks/compile.js'
import type { OutboundEvent } from '../../src/delivery/outbound-event.js'
import type { AlertView } from '../../src/rules/alert-book.js'
import type { StaleCell } from '../../src/rules/alert-event.js'
import type { UnitView } from '../../src/rules/views.js'
import { cellToLatLng, gridDisk, latLngToCell } from 'h3-js'
import { PartitionEffects, effectEventId, isAlertEffect, type EffectEvent } from '../../src/cluster/effects.js'
import { partitionOf } from '../../src/cluster/partition.js'
import { encodeRecord, type ClusterRecord } from '../../src/cluster/records.js'
import { incidentRow, integrityRow, patrolTaskRow, planEventRow, positionRow } from '../../src/journal/record.js'
import { IntegrityDetection } from '../../src/integrity/detection.js'
import { IntegrityMonitor } from '../../src/integrity/monitor.js'
import { integrityTexts } from '../../src/i18n/integrity-texts.js'
import { DAY0, DEFAULT_OPTIONS, SCENARIOS, type UnitDays } from '../helpers/integrity-scenarios.js'
import { tableRow } from '../../src/cluster/effect-rows.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import { FixFlag, type Fix } from '../../src/decode/fix.js'
import { drive, generateTrack, mergeByArrival, offsetM, parked, route, sweepLoop, waypoints, type Drivable } from '../helpers/gps-realism.js'
import { rng } from '../helpers/workload.js'
import { BASE, T0, config, fix, square, standardRaw } from '../rules/helpers.js'
import { makeEvent } from '../delivery/fixtures/alerts.js'

const P = 8
const entry = (position: number, r: ClusterRecord, partition = -1): ReplicaEntry => ({ partition, position: BigInt(position), data: encodeRecord(r) })
const ev = (over: Record<string, unknown>) => ({ eventId: 'x.opened', kind: 'unit_silent', state: 'opened', subject: 'unit:U', ...over }) as unknown as AlertEvent

/** A RuleEngine stand-in that records each call and its clock and returns scripted events. */
function fakeRules(events: Record<string, AlertEvent[]> = {}) {
  const calls: Array<[string, ...unknown[]]> = []
  const rules = {
    classify: (f: Fix) => { calls.push(['classify', f.unitId]); return 4 },
    ingest: (f: Fix, now: number) => { calls.push(['ingest', f.unitId, f.flags, now]); return events[`f:${f.unitId}`] ?? [] },
    sos: (unitId: string, at: number, via: string, pos: unknown, now: number) => { calls.push(['sos', unitId, at, via, pos, now]); return events[`s:${unitId}`] ?? [] },
    tick: (now: number) => { calls.push(['tick', now]); return events[`t:${now}`] ?? [] },
    acknowledge: (id: string, by: string, now: number, note?: string) => { calls.push(note === undefined ? ['ack', id, by, now] : ['ack', id, by, now, note]); return events[`a:${id}`]?.[0] ?? null },
    resolveSos: (id: string, by: string, note: string, now: number) => { calls.push(['resolve', id, by, note, now]); return events[`r:${id}`]?.[0] ?? null },
  }
  return { rules: rules as unknown as RuleEngine, calls }
}

t.test('a decoder flag carried in the record (mock location) is kept beside the classification', async (t) => {
  const { rules, calls } = fakeRules()
  const effects = new PartitionEffects()
  const replica = new FleetReplica({ rules, effects, partitions: P })
  const f = fix('P-017', T0 - 2000, BASE, { receivedAt: T0, flags: FixFlag.Mock | FixFlag.Duplicate })
  replica.apply(entry(1, { k: 'f', fix: f, format: 'osmand', transport: 'http' }, partitionOf('P-017', P)))
  t.same(calls[1], ['ingest', 'P-017', FixFlag.Mock | 4, T0], 'mock kept, a stale quality bit replaced by the classification')
})

t.test('a fix applied with flags is reported with its partition (its owner counts it); a clean one is not', async (t) => {
  const { rules } = fakeRules()
  const clean = { ...rules, classify: (f: Fix) => (f.unitId === 'P-001' ? 0 : FixFlag.TooLate) } as unknown as RuleEngine
  const flagged: Array<[number, number]> = []
  const replica = new FleetReplica({ rules: clean, effects: new PartitionEffects(), partitions: P, onFlags: (p, flags) => flagged.push([p, flags]) })
  replica.apply(entry(1, { k: 'f', fix: fix('P-001', T0 - 1000, BASE, { receivedAt: T0 }), format: 'native', transport: 'mqtt' }, partitionOf('P-001', P)))
  replica.apply(entry(2, { k: 'f', fix: fix('P-002', T0 - 1000, BASE, { receivedAt: T0 }), format: 'native', transport: 'mqtt' }, partitionOf('P-002', P)))
  replica.apply(entry(3, { k: 'f', fix: fix('P-001', T0 - 500, BASE, { receivedAt: T0, flags: FixFlag.Mock }), format: 'osmand', transport: 'http' }, partitionOf('P-001', P)))
  t.same(flagged, [[partitionOf('P-002', P), FixFlag.TooLate], [partitionOf('P-001', P), FixFlag.Mock]], 'the classified flag, and a decoder flag on an otherwise clean fix')
})

t.test('eventPartition: unit events by unit, zone events by subject', async (t) => {
  t.equal(eventPartition(ev({ unitId: 'P-017', subject: 'unit:P-017/zone:grid-2' }), P), partitionOf('P-017', P))
  t.equal(eventPartition(ev({ subject: 'zone:grid-2', zoneId: 'grid-2' }), P), partitionOf('zone:grid-2', P))
  t.equal(eventPartition(ev({ unitId: '', subject: 'zone:grid-9' }), P), partitionOf('zone:grid-9', P), 'an empty unitId is no unit')
  t.equal(eventPartition(ev({ unitId: 7, subject: 'zone:grid-9' }), P), partitionOf('zone:grid-9', P), 'a non-string unitId is no unit')
})

t.test('applies each kind with the record\'s clock; effects land in the right partitions', async (t) => {
  const silent = ev({ eventId: 'a1.opened', unitId: 'P-017', subject: 'unit:P-017' })
  const zoneGap = ev({ eventId: 'z1.opened', kind: 'coverage_gap', subject: 'zone:grid-2', zoneId: 'grid-2' })
  const sosEv = ev({ eventId: 's1.opened', kind: 'unit_sos', unitId: 'O-003', subject: 'unit:O-003' })
  const acked = ev({ eventId: 'a1.acknowledged', state: 'acknowledged', unitId: 'P-017', subject: 'unit:P-017' })
  const resolved = ev({ eventId: 's1.resolved', kind: 'unit_sos', state: 'resolved', unitId: 'O-003', subject: 'unit:O-003' })
  const { rules, calls } = fakeRules({ 'f:P-017': [silent], [`t:${T0 + 5000}`]: [zoneGap], 's:O-003': [sosEv], 'a:a1': [acked], 'r:s1': [resolved] })
  const effects = new PartitionEffects()
  const seen = { ticks: [] as number[], commands: [] as Array<[string, string | null]> }
  const replica = new FleetReplica({
    rules, effects, partitions: P,
    onTick: (now) => seen.ticks.push(now),
    onCommand: (req, e) => seen.commands.push([req, e?.eventId ?? null]),
  })
  t.equal(replica.clock(), 0)
  const f = fix('P-017', T0 - 2000, BASE, { receivedAt: T0 })
  const fp = partitionOf('P-017', P)
  replica.apply(entry(1, { k: 'f', fix: f, format: 'native', transport: 'mqtt' }, fp))
  replica.apply(entry(2, { k: 't', now: T0 + 5000 }))
  replica.apply(entry(3, { k: 's', unitId: 'O-003', at: T0 + 5500, via: 'jt808', position: null, now: T0 + 6000 }, partitionOf('O-003', P)))
  replica.apply(entry(4, { k: 'ack', alertId: 'a1', by: 'ops', now: T0 + 7000, request: 'req-1' }))
  replica.apply(entry(5, { k: 'ack', alertId: 'nope', by: 'ops', note: 'on scene', now: T0 + 7100, request: 'req-2' }))
  replica.apply(entry(6, { k: 'resolve_sos', alertId: 's1', by: 'ops', note: 'ok', now: T0 + 8000, request: 'req-3' }))
  replica.apply(entry(7, { k: 'resolve_sos', alertId: 'nope', by: 'ops', note: '', now: T0 + 8100, request: 'req-4' }))
  t.same(calls, [
    ['classify', 'P-017'], ['ingest', 'P-017', 4, T0],
    ['tick', T0 + 5000],
    ['sos', 'O-003', T0 + 5500, 'jt808', null, T0 + 6000],
    ['ack', 'a1', 'ops', T0 + 7000], ['ack', 'nope', 'ops', T0 + 7100, 'on scene'],
    ['resolve', 's1', 'ops', 'ok', T0 + 8000], ['resolve', 'nope', 'ops', '', T0 + 8100],
  ], 'classify sets the flags ingest sees; every clock is the record\'s; an acknowledgement\'s note goes with it')
  t.same(seen, { ticks: [T0 + 5000], commands: [['req-1', 'a1.acknowledged'], ['req-2', null], ['req-3', 's1.resolved'], ['req-4', null]] }, 'callbacks with the outcomes')
  t.equal(replica.position, 7n)
  t.equal(replica.clock(), T0 + 8100)
  const rows = effects.rowsAfter(fp, 0n, 100)
  t.same(rows.map((e) => [e.seq, e.rows]), [[1n, [positionRow({ ...f, flags: 4 })]]], 'the position row (with its flags) under the fix\'s partition and sequence')
  const evs = (p: number) => effects.eventsAfter(p, 0n).map((e) => [e.seq, e.events.map(effectEventId)])
  t.same(evs(partitionOf('zone:grid-2', P)).filter(([s]) => s === 2n), [[2n, ['z1.opened']]], 'zone event by its subject')
  const byUnit = [...evs(fp), ...(partitionOf('O-003', P) === fp ? [] : evs(partitionOf('O-003', P)))].filter(([s]) => s !== 2n)
  t.same(byUnit.sort((a, b) => Number(a[0]) - Number(b[0])), [[1n, ['a1.opened']], [3n, ['s1.opened']], [4n, ['a1.acknowledged']], [6n, ['s1.resolved']]], 'unit events by unit, tagged with their record\'s sequence')
})

t.test('duplicates and older positions are ignored; the clock never goes back', async (t) => {
  const { rules, calls } = fakeRules()
  const replica = new FleetReplica({ rules, effects: new PartitionEffects(), partitions: P })
  replica.apply(entry(5, { k: 't', now: T0 + 10_000 }))
  replica.apply(entry(5, { k: 't', now: T0 + 20_000 }))
  replica.apply(entry(3, { k: 't', now: T0 + 30_000 }))
  t.same(calls, [['tick', T0 + 10_000]], 'a redelivered or older entry is not applied again')
  replica.apply(entry(6, { k: 't', now: T0 + 4000 }))
  replica.apply(entry(7, { k: 'f', fix: fix('P-017', T0, BASE, { receivedAt: T0 + 1000 }), format: 'native', transport: 'mqtt' }, 1))
  replica.apply(entry(8, { k: 's', unitId: 'P-017', at: T0, via: 'native', position: null, now: T0 + 2000 }, 1))
  replica.apply(entry(9, { k: 'ack', alertId: 'a', by: 'b', now: T0, request: 'r' }))
  replica.apply(entry(10, { k: 'resolve_sos', alertId: 'a', by: 'b', note: '', now: T0, request: 'r2' }))
  t.same(calls.slice(1).filter((c) => c[0] !== 'classify').map((c) => c.at(-1)), [T0 + 10_000, T0 + 10_000, T0 + 10_000, T0 + 10_000, T0 + 10_000], 'records with an earlier clock (another engine\'s skew) run at the replica\'s clock')
  t.equal(replica.clock(), T0 + 10_000)
  replica.apply(entry(11, { k: 't', now: T0 + 15_000 }))
  t.equal(replica.clock(), T0 + 15_000, 'a later record moves it on')
})

t.test('unreadable records are reported and skipped; resume sets the resume point and clock', async (t) => {
  const { rules, calls } = fakeRules()
  const bad: Array<[bigint, string]> = []
  const replica = new FleetReplica({ rules, effects: new PartitionEffects(), partitions: P, onUnreadable: (pos, why) => bad.push([pos, why]) })
  replica.resume(100n, T0)
  t.equal(replica.clock(), T0)
  replica.apply(entry(100, { k: 't', now: T0 + 1 }))
  replica.apply({ partition: -1, position: 101n, data: new TextEncoder().encode('{"k":"zz"}') })
  replica.apply({ partition: -1, position: 102n, data: new TextEncoder().encode('garbage') })
  replica.apply(entry(103, { k: 't', now: T0 + 5 }))
  t.same(bad, [[101n, 'unknown record kind "zz" (written by a newer engine? run one version across the cluster)'], [102n, 'not JSON']])
  t.same(calls, [['tick', T0 + 5]], 'the snapshot\'s entries are not applied again; unreadable ones skipped')
  t.equal(replica.position, 103n)
  const quiet = new FleetReplica({ rules, effects: new PartitionEffects(), partitions: P })
  quiet.apply({ partition: -1, position: 1n, data: new Uint8Array([1]) })
  t.equal(quiet.position, 1n, 'without callbacks too')
})

// ---------------------------------------------------------------------------------------------
// Equivalence: the single engine vs the replica, on a realistic multi-hour fleet.

const HOURS = 4
const DURATION_S = HOURS * 3600
const TICK_MS = 5000

function fleetDeployment() {
  const eastB = offsetM(BASE, 0, 4000)
  const raw = standardRaw({
    units: [
      ...[0, 1, 2, 3].map((i) => ({ id: `C-${i}`, kind: 'vehicle', zone: 'grid-a' })),
      { id: 'S-0', kind: 'vehicle', zone: 'grid-b', post: 'station-05' },
      { id: 'P-017', kind: 'vehicle', name: 'Patrol car 17', post: 'station-03', zone: 'grid-a' },
      { id: 'O-003', kind: 'officer', name: 'Officer 3', zone: 'grid-a', silent_after: '120s' },
      { id: 'P-020', kind: 'vehicle', post: 'station-05' },
    ],
    posts: [
      { id: 'station-03', name: 'Chengxi station', lat: BASE.lat, lon: BASE.lon, radius_m: 1500 },
      { id: 'station-05', name: 'Dongcheng station', lat: eastB.lat, lon: eastB.lon, radius_m: 1500 },
    ],
    zones: [
      { id: 'grid-a', name: 'Grid A', geometry: square(BASE, 1000), coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.8, response_radius_m: 600 } },
      { id: 'grid-b', name: 'Grid B', geometry: square(eastB, 1000), coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.8, response_radius_m: 600 } },
      { id: 'grid-c', name: 'Grid C', geometry: square(offsetM(BASE, 3000, 0), 600), coverage: { resolution: 9, max_interval: '20m', min_ratio: 0.5 } },
    ],
  })
  return compileDeployment(config(raw))
}

function fleetFixes() {
  const rand = rng(2026)
  const eastB = offsetM(BASE, 0, 4000)
  const dropouts = (): Array<[number, number]> => Array.from({ length: 2 }, () => {
    const from = Math.floor(rand() * (DURATION_S - 400))
    return [from, from + 30 + Math.floor(rand() * 300)] as [number, number]
  })
  const tracks = [[-500, -500], [-500, 500], [500, -500], [500, 500]].map(([n, e], i) => {
    const home = offsetM(BASE, n!, e!)
    // Two cars leave for grid-c at 90 min (response gap in grid-a, coverage in grid-c), one returns.
    const away = offsetM(BASE, 3000, e! / 2)
    const truth = i === 0 ? waypoints([[0, home], [5400, home], [5700, away], [9000, away], [9300, home]])
      : i === 1 ? waypoints([[0, home], [5400, home], [5700, away]]) : parked(home)
    return generateTrack({ seed: 100 + i, unitId: `C-${i}`, start: T0, durationS: DURATION_S, periodS: 10, truth, dropouts: dropouts() })
  })
  // S-0 sweeps grid-b, a lap every ~22 min, then parks at its centre at 2 h (coverage gap in grid-b).
  const loop = sweepLoop(eastB, 1000, 250)
  const sweep = waypoints(route(loop, 15, 0, 20))
  tracks.push(generateTrack({ seed: 200, unitId: 'S-0', start: T0, durationS: DURATION_S, periodS: 10, truth: (tS) => (tS < 7200 ? sweep(tS) : eastB), noise: { multipathRate: 0.02 } }))
  // P-017 leaves its post radius for 20 min twice (radius breach, zone exit).
  const far = offsetM(BASE, 2500, 0)
  tracks.push(generateTrack({ seed: 300, unitId: 'P-017', start: T0, durationS: DURATION_S, periodS: 5, truth: waypoints([[0, BASE], [3000, BASE], [3200, far], [4400, far], [4600, BASE], [10_000, BASE], [10_200, far], [11_400, far], [11_600, BASE]]) }))
  // O-003 on foot with long dropouts (unit_silent), P-020 parked near its post edge with a drifting clock.
  tracks.push(generateTrack({ seed: 400, unitId: 'O-003', start: T0, durationS: DURATION_S, periodS: 15, truth: parked(offsetM(BASE, 300, 200)), dropouts: [[2000, 2600], [8000, 9500]] }))
  tracks.push(generateTrack({ seed: 500, unitId: 'P-020', start: T0, durationS: DURATION_S, periodS: 20, truth: parked(offsetM(eastB, 1450, 0)), clockOffsetMs: -90_000, noise: { sigmaM: 40 } }))
  // An unknown unit (zone rules only).
  tracks.push(generateTrack({ seed: 600, unitId: 'X-900', start: T0, durationS: DURATION_S, periodS: 30, truth: parked(offsetM(BASE, -800, 800)) }))
  return mergeByArrival(...tracks)
}

/**
 * Drives engine A as the single engine does (drive(): classify, ingest at arrival, tick every 5 s)
 * and writes down, in the same order, the records a cluster would append. Operator commands (an
 * SOS, its acknowledgement and resolution, acknowledgements of open alerts) happen at ticks.
 */
class Recorder implements Drivable<AlertEvent> {
  readonly records: ClusterRecord[] = []
  /** Per checkpoint: how many records were written, and A's views then. */
  readonly checkpoints: Array<{ records: number; now: number; zones: unknown; units: unknown; open: unknown }> = []
  readonly commands: Array<[string, string | null]> = []
  private original: Fix | null = null
  private sosId: string | null = null
  constructor(private readonly a: RuleEngine) {}
  classify(f: Fix): number {
    this.original = { ...f }
    return this.a.classify(f)
  }
  ingest(f: Fix, now: number): AlertEvent[] {
    this.records.push({ k: 'f', fix: { ...(this.original as Fix), receivedAt: now }, format: 'native', transport: 'mqtt' })
    return this.a.ingest(f, now)
  }
  tick(now: number): AlertEvent[] {
    const out: AlertEvent[] = []
    const s = (now - T0) / 1000
    if (s === 3600) {
      const at = now - 1500
      this.records.push({ k: 's', unitId: 'P-020', at, via: 'jt808', position: null, now })
      const evs = this.a.sos('P-020', at, 'jt808', null, now)
      this.sosId = evs[0]?.alertId ?? null
      out.push(...evs)
    }
    if (s % 1800 === 900) {
      // Acknowledge the oldest open, unacknowledged alert (and one unknown id).
      const open = this.a.openAlerts().find((x) => x.state === 'opened')
      for (const alertId of [open?.id ?? 'none', 'unknown-alert']) {
        const request = `ack-${s}-${alertId}`
        this.records.push({ k: 'ack', alertId, by: 'ops:li', now, request })
        const e = this.a.acknowledge(alertId, 'ops:li', now)
        this.commands.push([request, e?.eventId ?? null])
        if (e !== null) out.push(e)
      }
    }
    if (s === 5400 && this.sosId !== null) {
      const request = 'resolve-sos'
      this.records.push({ k: 'resolve_sos', alertId: this.sosId, by: 'ops:li', note: 'button pressed by mistake', now, request })
      const e = this.a.resolveSos(this.sosId, 'ops:li', 'button pressed by mistake', now)
      this.commands.push([request, e?.eventId ?? null])
      if (e !== null) out.push(e)
    }
    this.records.push({ k: 't', now })
    out.push(...this.a.tick(now))
    if (s % 3600 === 0) this.checkpoints.push({ records: this.records.length, now, zones: this.a.zones(now), units: this.a.units(now), open: this.a.openAlerts() })
    return out
  }
}

t.test('equivalence: one RuleEngine vs the replica fed the same inputs as log records', async (t) => {
  const fixes = fleetFixes()
  const a = new RuleEngine(fleetDeployment(), { startedAt: T0 })
  const rec = new Recorder(a)
  const single = drive<AlertEvent>(rec, fixes, { start: T0, until: T0 + DURATION_S * 1000, tickMs: TICK_MS })

  const b = new RuleEngine(fleetDeployment(), { startedAt: T0 })
  const effects = new PartitionEffects()
  const commands: Array<[string, string | null]> = []
  const replica = new FleetReplica({ rules: b, effects, partitions: P, onCommand: (r, e) => commands.push([r, e?.eventId ?? null]), onUnreadable: (pos, why) => t.fail(`unreadable ${pos}: ${why}`) })
  const partitionsSeen = new Set<number>()
  let cp = 0
  rec.records.forEach((r, i) => {
    const partition = r.k === 'f' ? partitionOf(r.fix.unitId, P) : r.k === 's' ? partitionOf(r.unitId, P) : -1
    partitionsSeen.add(partition)
    replica.apply({ partition, position: BigInt(i + 1), data: encodeRecord(r) })
    const c = rec.checkpoints[cp]
    if (c !== undefined && c.records === i + 1) {
      cp++
      t.same({ zones: b.zones(c.now), units: b.units(c.now), open: b.openAlerts() }, { zones: c.zones, units: c.units, open: c.open }, `hour ${(c.now - T0) / 3_600_000}: zones (coverage, response), units and open alerts identical`)
    }
  })
  t.equal(cp, rec.checkpoints.length, 'every checkpoint compared')
  t.ok(partitionsSeen.size >= 4, `fixes of ${partitionsSeen.size - 1} partitions interleaved with control records`)

  // Alert events: identical, in the same order, per partition.
  const expected = new Map<number, AlertEvent[]>()
  for (const e of single) {
    const p = eventPartition(e, P)
    expected.set(p, [...(expected.get(p) ?? []), e])
  }
  const got = new Map<number, EffectEvent[]>()
  for (const p of effects.partitions()) {
    const evs = effects.eventsAfter(p, 0n).flatMap((x) => x.events)
    if (evs.length > 0) got.set(p, evs)
  }
  t.same([...got.keys()].sort(), [...expected.keys()].sort(), 'the same partitions have events')
  for (const [p, evs] of expected) {
    const mine = got.get(p) ?? []
    t.same(mine.map(effectEventId), evs.map((e) => e.eventId), `partition ${p}: the same ${evs.length} event ids, in order`)
    t.same(mine, evs, `partition ${p}: the same events, field for field`)
  }
  t.same(commands, rec.commands, 'the operator commands had the same outcomes')
  const end = T0 + DURATION_S * 1000
  t.same(b.zones(end), a.zones(end), 'final coverage and response figures per zone identical')
  t.equal(replica.clock(), end, 'the replica\'s clock is the last tick\'s')

  // Every fix's position row is pending in its unit's partition, in order.
  let rows = 0
  for (const p of effects.partitions()) rows += effects.rowsAfter(p, 0n, Number.MAX_SAFE_INTEGER).reduce((n, e) => n + e.rows.length, 0)
  const nFixes = rec.records.filter((r) => r.k === 'f').length
  t.equal(rows, nFixes, 'one position row per fix')

  const kinds = new Map<string, number>()
  for (const e of single) if (e.state === 'opened') kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1)
  for (const k of ['coverage_gap', 'response_gap', 'radius_breach', 'unit_silent', 'unit_sos']) t.ok((kinds.get(k) ?? 0) > 0, `the scenario opens ${k}`)
  t.ok(commands.some(([, e]) => e !== null && e.endsWith('.acknowledged')), 'an acknowledgement took effect')
  t.ok(commands.some(([, e]) => e !== null && e.endsWith('.resolved')), 'the SOS was resolved')
  const units = new Set(fixes.map((f) => f.fix.unitId)).size
  const zoneFigures = (a.zones(end) as Array<{ id: string; ratio: number; responseRatio: number | null }>).map((z) => `${z.id} ${z.ratio.toFixed(2)}/${z.responseRatio?.toFixed(2) ?? '-'}`).join(', ')
  t.comment(`scenario: ${units} units, ${HOURS} h, ${nFixes} fixes, ${rec.records.length - nFixes} control records, ${single.length} alert events (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')} opened), ${P} partitions; zones ratio/response at the end: ${zoneFigures}`)
})

t.test('incidents: commands, hotspots and tick effects applied in order, events and rows under their subjects\' partitions', async (t) => {
  const { rules } = fakeRules()
  const effects = new PartitionEffects()
  const calls: Array<[string, ...unknown[]]> = []
  const opened = { id: 'incident.I-1.opened', type: 'incident.opened', at: T0, subject: 'incident:I-1', summary: 's', data: {} }
  const planEv = { id: `gate.${T0}.activated`, type: 'plan.activated', at: T0, subject: 'plan:gate', summary: 's', data: { activationId: `gate.${T0}`, planId: 'gate', incidentId: null } }
  const missed = { ...planEv, id: `gate.${T0}.0.missed`, type: 'checkpoint.missed' }
  // A checkpoint whose subject falls in a partition of its own here (the assertions below list partitions whole).
  const cpSubject = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `plan:gate/checkpoint:${i}`).find((s) => ![partitionOf('incident:I-1', P), partitionOf('plan:gate', P)].includes(partitionOf(s, P)))!
  const missedAlert = makeEvent('checkpoint_missed', 'opened', { subject: cpSubject, alertId: 'al_cp' })
  const row = { id: 'I-1', type: 'robbery', priority: 3, ts: T0, lat: BASE.lat, lon: BASE.lon, address: '', description: '', zone: 'grid-2', source: 'api', createdAt: T0 }
  const outcomes: Array<[string, unknown]> = []
  const replica = new FleetReplica({
    rules, effects, partitions: P,
    incidents: {
      apply: (cmd, now) => {
        calls.push(['apply', cmd.op, now])
        if (cmd.op === 'create') return { outcome: { ok: true, value: [{ id: 'I-1', status: 'created' }] }, effects: { events: [opened], incidents: [row], planEvents: [], alerts: [] } }
        if (cmd.op === 'plan_on') return { outcome: { ok: true, value: 'activation' }, effects: { events: [planEv], incidents: [], planEvents: [planEv], alerts: [] } }
        return { outcome: { ok: false, error: 'level', message: 'no zone with id "x"' }, effects: { events: [], incidents: [], planEvents: [], alerts: [] } }
      },
      applyTick: (now) => { calls.push(['tick', now]); return { events: [missed], incidents: [], planEvents: [missed], alerts: [missedAlert] } },
      applyHotspots: (zones, at) => { calls.push(['hotspots', zones.length, at]) },
    },
    onIncidentCommand: (request, outcome) => outcomes.push([request, outcome]),
  })
  const zi = { id: 'I-1', type: 'robbery', priority: 3, ts: T0, lat: BASE.lat, lon: BASE.lon, address: '', description: '', zone: 'grid-2' }
  replica.apply(entry(1, { k: 'inc', cmd: { op: 'create', incidents: [zi], source: 'api', search: true, by: 'ops' }, now: T0 + 1000, request: 'r1' }))
  replica.apply(entry(2, { k: 'inc', cmd: { op: 'plan_on', planId: 'gate', by: 'ops', incidentId: null, centre: null }, now: T0 + 2000, request: 'r2' }))
  replica.apply(entry(3, { k: 'inc', cmd: { op: 'level', zoneId: 'x', level: 'high', reason: '', by: 'ops', expiresAt: null }, now: T0 + 2500, request: 'r3' }))
  replica.apply(entry(4, { k: 'hot', zones: [['grid-2', []]], at: T0 + 2600, now: T0 + 2700 }))
  replica.apply(entry(5, { k: 't', now: T0 + 3000 }))
  t.same(calls, [['apply', 'create', T0 + 1000], ['apply', 'plan_on', T0 + 2000], ['apply', 'level', T0 + 2500], ['hotspots', 1, T0 + 2600], ['tick', T0 + 3000]], 'each with its record\'s clock')
  t.same(outcomes.map((o) => o[0]), ['r1', 'r2', 'r3'])
  t.match(outcomes[2]![1], { ok: false, error: 'level' })
  const ip = partitionOf('incident:I-1', P)
  const pp = partitionOf('plan:gate', P)
  t.same(effects.eventsAfter(ip, 0n).map((e) => [e.seq, e.events.map(effectEventId)]), [[1n, ['incident.I-1.opened']]])
  t.same(effects.rowsAfter(ip, 0n, 100).map((e) => [e.seq, e.rows]), [[1n, [tableRow('i', incidentRow(row))]]], 'the incidents row, tagged, with its opened event\'s partition')
  t.same(effects.eventsAfter(pp, 0n).map((e) => [e.seq, e.events.map(effectEventId)]), [[2n, [planEv.id]], [5n, [missed.id]]], 'plan events in order under the plan\'s partition')
  t.same(effects.rowsAfter(pp, 0n, 100).map((e) => [e.seq, e.rows]), [[2n, [tableRow('e', planEventRow(planEv))]], [5n, [tableRow('e', planEventRow(missed))]]])
  const cp = partitionOf(cpSubject, P)
  t.ok(effects.eventsAfter(cp, 0n).some((e) => e.seq === 5n && e.events.some((x) => effectEventId(x) === 'al_cp.opened' && isAlertEffect(x))), 'the checkpoint_missed alert under its subject\'s partition, as an alert effect')

  // No incidents stage: the command is answered, never left waiting.
  const bare = new FleetReplica({ rules, effects: new PartitionEffects(), partitions: P, onIncidentCommand: (request, outcome) => outcomes.push([request, outcome]) })
  bare.apply(entry(1, { k: 'inc', cmd: { op: 'plan_off', planId: 'gate', by: 'ops' }, now: T0, request: 'r4' }))
  t.match(outcomes.at(-1), ['r4', { ok: false }])
})

t.test('patrol integrity: the replica detects what a single engine does, each signal as a row and an event of its unit\'s partition, the same on every engine', async (t) => {
  const DAY = 86_400_000
  const dayOf = (ts: number) => Math.floor(ts / DAY)
  const texts = integrityTexts('en', 'UTC')
  const detection = (u: UnitDays) => new IntegrityDetection({
    monitor: new IntegrityMonitor(DEFAULT_OPTIONS, { kindOf: (id) => u.kinds.get(id), dayOf, ...(u.pairs === undefined ? {} : { pairs: u.pairs }) }),
    dayOf,
    summary: (s) => texts.summary(s, s.unitId),
    zoneOf: () => 'g1',
  })
  // Fix time is the engines' clock here (received as measured); a tick each minute, on to 01:00 after the last day.
  const inputs = (u: UnitDays): ClusterRecord[] => {
    const out: ClusterRecord[] = []
    let clock = (u.fixes[0]?.ts ?? DAY0) - 60_000
    for (const f of u.fixes) {
      while (clock + 60_000 <= f.ts) out.push({ k: 't', now: (clock += 60_000) })
      out.push({ k: 'f', fix: { ...f, receivedAt: Math.max(f.ts, clock) }, format: 'osmand', transport: 'http' })
    }
    const end = (dayOf(clock) + 1) * DAY + 3_600_000
    while (clock < end) out.push({ k: 't', now: (clock += 60_000) })
    return out
  }
  const { rules } = fakeRules()
  const clean = { ...rules, classify: () => 0 } as unknown as RuleEngine
  let kinds = 0
  for (const scenario of SCENARIOS.filter((s) => !s.honest && s.limit !== true)) {
    const u = scenario.build(1)
    const records = inputs(u)
    // A single engine: its stage's detection fed the same fixes and ticks.
    const single = detection(u)
    const expected: Array<{ row: string; event: EffectEvent; p: number }> = []
    for (const r of records) {
      const now = r.k === 't' ? r.now : (r as { fix: Fix }).fix.receivedAt
      const signals = r.k === 't' ? single.tick(r.now) : single.observe((r as { fix: Fix }).fix)
      for (const s of signals) expected.push({ row: tableRow('g', integrityRow(now, s)), event: single.event(s), p: partitionOf(s.unitId, P) })
    }
    t.ok(expected.some((e) => (e.event as unknown as { data: { kind: string } }).data.kind === scenario.expect), `${scenario.name}: the single engine's detection catches it (${scenario.expect})`)
    // Two engines' replicas, each applying the log.
    const replicas = [0, 1].map(() => {
      const effects = new PartitionEffects()
      const integrity = detection(u)
      const replica = new FleetReplica({ rules: clean, effects, partitions: P, integrity })
      records.forEach((r, i) => replica.apply(entry(i + 1, r, r.k === 'f' ? partitionOf(r.fix.unitId, P) : -1)))
      return { effects, integrity }
    })
    const [a, b] = replicas
    const got: Array<{ row: string; event: EffectEvent; p: number }> = []
    for (let p = 0; p < P; p++) {
      const rows = a!.effects.rowsAfter(p, 0n, 10_000_000).flatMap((e) => e.rows.filter((r) => r.startsWith('g\t')))
      const events = a!.effects.eventsAfter(p, 0n).flatMap((e) => e.events)
      t.equal(rows.length, events.length, `partition ${p}: a row for every event`)
      events.forEach((event, i) => got.push({ row: rows[i]!, event, p }))
    }
    const byId = (x: { event: EffectEvent }, y: { event: EffectEvent }) => effectEventId(x.event).localeCompare(effectEventId(y.event))
    t.same(got.sort(byId), expected.sort(byId), `${scenario.name}: the same signals, rows and events, each in its unit's partition`)
    t.same(b!.effects.toJSON(), a!.effects.toJSON(), `${scenario.name}: another engine's replica records exactly the same`)
    const culprit = u.culprit!
    t.same(a!.integrity.signals(culprit, 0, Number.MAX_SAFE_INTEGER), single.signals(culprit, 0, Number.MAX_SAFE_INTEGER), 'the same kept signals for the API')
    kinds++
  }
  t.ok(kinds >= 5, `${kinds} dishonest scenarios`)
})

t.test('make-up patrols: the board in the replica; commands through the log; its events and patrol_tasks rows under the unit\'s partition; the board in the snapshot', async (t) => {
  const MIN = 60_000
  const C = { lat: 36.49, lon: 117.86 }
  const cells: StaleCell[] = gridDisk(latLngToCell(C.lat, C.lon, 9), 1).map((cell) => {
    const [lat, lon] = cellToLatLng(cell)
    return { cell, lat, lon, lastVisit: null }
  })
  const setup: PatrolTasksSetup = {
    board: {
      cluster: { linkRings: 2, maxCells: 30 },
      proposal: { speedKmh: { vehicle: 30, default: 20 }, detourFactor: 1.3, otherZonePenaltyS: 600, maxEtaS: 0 },
      task: { maxAccuracyM: 100, pathMaxGapMs: 120_000, pathMaxDistanceM: 2000, awayM: 500, abandonAfterMs: 10 * MIN, expireAfterMs: 120 * MIN },
      auto: new Map(),
      dismissMs: 30 * MIN,
      keepEnded: 10,
    },
    zones: new Set(['g1']),
    refreshEveryMs: 30_000,
  }
  const unitView = (id: string, lat: number): UnitView => ({
    id, name: id, callsign: null, kind: 'vehicle', known: true, post: null, zone: 'g1', silent: false, inBreach: false, outsideZone: false, distanceFromPostM: null, lastSeenAt: T0, clockOffsetMs: null,
    lastFix: { lat, lon: C.lon, ts: T0, accuracy: 5, speed: null, heading: null } as UnitView['lastFix'],
  })
  // The rules' views as the board reads them: g1's coverage gap open from T0, two live units.
  const { rules: base } = fakeRules()
  const rules = {
    ...base,
    classify: () => 0,
    openAlerts: () => [{ id: 'al_g1', kind: 'coverage_gap', subject: 'zone:g1', state: 'opened', openedAt: T0 } as unknown as AlertView],
    zoneCoverage: () => ({ zone: {} as never, staleCells: cells }),
    units: () => [unitView('near', C.lat - 0.005), unitView('far', C.lat - 0.03)],
    overduePriority: () => [],
  } as unknown as RuleEngine
  const board = () => replicatedBoard({ setup, rules, busy: () => new Set<string>() })
  const run = (records: ClusterRecord[], b = board(), from = 1) => {
    const effects = new PartitionEffects()
    const outcomes = new Map<string, unknown>()
    const replica = new FleetReplica({ rules, effects, partitions: P, tasks: b.replica, onTaskCommand: (request, outcome) => outcomes.set(request, outcome) })
    records.forEach((r, i) => replica.apply(entry(from + i, r, r.k === 'f' ? partitionOf(r.fix.unitId, P) : -1)))
    return { effects, outcomes, b }
  }
  const first = run([{ k: 't', now: T0 + 1000 }])
  const proposal = first.b.service.proposals()[0]!
  t.match(proposal, { zoneId: 'g1', unit: { id: 'near' } }, 'the tick record refreshed the board: proposed to the nearest unit')

  const visit = (i: number, at: number): ClusterRecord => ({ k: 'f', fix: fix('near', at, cells[i]!, { receivedAt: at, accuracy: 5 }), format: 'native', transport: 'mqtt' })
  const records: ClusterRecord[] = [
    { k: 't', now: T0 + 1000 },
    { k: 'pt', op: 'accept', id: 'makeup:nope', now: T0 + 2000, request: 'r-unknown' },
    { k: 'pt', op: 'accept', id: proposal.id, now: T0 + 3000, request: 'r-accept' },
    ...cells.map((_, i) => visit(i, T0 + 4000 + i * 20_000)),
  ]
  const a = run(records)
  const b = run(records)
  t.equal(a.outcomes.get('r-unknown'), 'unknown_proposal', 'a refusal comes back as the board\'s answer')
  t.match(a.outcomes.get('r-accept'), { spec: { unitId: 'near', zoneId: 'g1' } }, 'the accepted task comes back to the engine that sent the command')
  const p = partitionOf('near', P)
  const events = a.effects.eventsAfter(p, 0n).flatMap((e) => e.events)
  t.same(events.map((e) => (e as { type: string }).type), ['patrol_task.assigned', 'patrol_task.completed'], 'assigned, then completed by the visits, under the unit\'s partition')
  const rows = a.effects.rowsAfter(p, 0n, 1_000_000).flatMap((e) => e.rows.filter((r) => r.startsWith('t\t')))
  t.same(rows, events.map((e) => tableRow('t', patrolTaskRow(e as OutboundEvent))), 'a patrol_tasks row for each event')
  for (let q = 0; q < P; q++) if (q !== p) t.same(a.effects.eventsAfter(q, 0n), [], `nothing in partition ${q}`)
  t.same(b.effects.toJSON(), a.effects.toJSON(), 'another engine\'s replica records exactly the same')
  t.same(b.b.service.tasks(), a.b.service.tasks(), 'and holds the same tasks')

  // The board travels in the fleet snapshot: an engine restoring it continues where the others are.
  const restored = replicatedBoard({ setup, rules, busy: () => new Set<string>(), restored: JSON.parse(JSON.stringify(a.b.replica.snapshot())) })
  t.equal(a.b.service.tasks().length, 1)
  t.same(restored.service.tasks(), a.b.service.tasks(), 'the snapshot restores the tasks')
  const taskId = a.b.service.tasks()[0]!.id
  const cancelled = run([{ k: 'pt', op: 'cancel', id: taskId, now: T0 + 600_000, request: 'r-cancel' }], restored, records.length + 1)
  t.equal(cancelled.outcomes.get('r-cancel'), 'unknown_task', 'a command after the restore applies to the restored board (the task ended: nothing to cancel)')

  const none = run([{ k: 'pt', op: 'dismiss', id: proposal.id, now: T0, request: 'r-none' }], { service: undefined as never, replica: undefined as never })
  t.equal(none.outcomes.get('r-none'), null, 'without make-up patrols a command is answered null')
})

t.test('make-up patrols in the API of a cluster engine: reads are local, changes go through the log; null is refused as not ready', async (t) => {
  const sent: Array<[string, string, string | undefined]> = []
  const answers: Record<string, TaskOutcome> = { accept: 'unit_busy', dismiss: true, cancel: null }
  const service = { proposals: () => ['p'], tasks: () => ['t'] } as unknown as PatrolTaskService
  const desk = clusterTaskDesk(service, async (op, id, unitId) => { sent.push([op, id, unitId]); return answers[op]! })
  t.same(desk.proposals(), ['p'])
  t.same(desk.tasks(), ['t'])
  t.equal(await desk.accept('makeup:1', 0, 'far'), 'unit_busy')
  t.equal(await desk.dismiss('makeup:2', 0), true)
  await t.rejects(Promise.resolve(desk.cancel('task-1', 0)), { code: 'HEXP_ERR_NOT_READY' })
  t.same(sent, [['accept', 'makeup:1', 'far'], ['dismiss', 'makeup:2', undefined], ['cancel', 'task-1', undefined]])
})
