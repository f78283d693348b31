// The incidents stage in cluster mode, without NATS: every change is a command "appended" to a fake
// log that applies it to every engine's service in one order, with the record's clock. Engines
// that applied the same commands hold the same levels, plans, rate window, recent incidents and
// hotspots (snapshot() identical), return the same effects (events and rows) and give their rule
// engines the same coverage overrides; refusals come back as the direct call's errors; nothing is
// published or written to files; a snapshot restores into a fresh service. Dispatch (assign,
// close) goes the same way.
import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { compileIncidents } from '../../src/incidents/compile.js'
import { IncidentService, type IncidentsLog } from '../../src/incidents/service.js'
import { commandProblem, type IncidentCommand, type IncidentEffects, type IncidentOutcome } from '../../src/incidents/commands.js'
import type { IncidentStore } from '../../src/incidents/incident-store.js'
import { LevelError } from '../../src/incidents/levels.js'
import { PlanError } from '../../src/incidents/plans.js'
import { UnshippedIncidents } from '../../src/incidents/unshipped.js'
import type { OutboundEvent } from '../../src/delivery/outbound-event.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { captureLogger, tempDir } from '../helpers/harness.js'
import { BASE, T0, config, feed, fix, offset, standardRaw } from '../rules/helpers.js'

const store = {
  existing: async () => new Set<string>(),
  hotspotScores: async () => [{ cell: '8f2830828052d25', score: 4, count: 3 }],
  query: async () => [],
  get: async () => null,
  zonedSince: async () => [],
} as unknown as IncidentStore

const plans = [{ id: 'gate', checkpoints: [{ name: 'Gate', lat: BASE.lat, lon: BASE.lon, units: ['P-017'], radius_m: 50, arrive_within: '5m' }] }]
const raw = standardRaw({ plans, incidents: { rate: { threshold: 2, suggest_level: 'high', auto_apply: true }, hotspots: { enabled: true } } })

/** A fake cluster of `n` engines on one log: commands are applied to every engine in order. */
function cluster(n: number, r: Record<string, unknown> = raw) {
  const cfg = config(r)
  const dep = compileDeployment(cfg)
  const clock = { t: T0 }
  const published: OutboundEvent[] = []
  const effects: IncidentEffects[][] = []
  const engines: Array<{ svc: IncidentService; rules: RuleEngine; dir: string }> = []
  const hotspotRecords: Array<{ zones: unknown; at: number }> = []
  const apply = (self: number, cmd: IncidentCommand): IncidentOutcome => {
    // The record goes through JSON, as in the log.
    const rec = JSON.parse(JSON.stringify(cmd)) as IncidentCommand
    let mine: IncidentOutcome | undefined
    engines.forEach((e, i) => {
      const r = e.svc.apply(rec, clock.t)
      effects[i]!.push(r.effects)
      if (i === self) mine = r.outcome
    })
    return mine!
  }
  const make = (i: number) => {
    const rules = new RuleEngine(dep, { startedAt: T0 })
    const dir = tempDir()
    const log: IncidentsLog = {
      command: async (cmd) => apply(i, cmd),
      hotspots: async (zones, at) => {
        hotspotRecords.push({ zones, at })
        for (const e of engines) e.svc.applyHotspots(JSON.parse(JSON.stringify(zones)), at)
      },
      leads: () => false,
    }
    const svc = new IncidentService({ setup: compileIncidents(cfg), dep, rules, store: () => store, dir: join(dir, 'incidents'), now: () => clock.t, logger: captureLogger().logger, publish: (e) => published.push(e), journal: { incidents: () => { throw new Error('not in cluster mode') }, planEvents: () => { throw new Error('not in cluster mode') } }, unshipped: new UnshippedIncidents(), cluster: log })
    return { svc, rules, dir }
  }
  for (let i = 0; i < n; i++) {
    effects.push([])
    engines.push(make(i))
  }
  const tick = (now: number) => engines.map((e, i) => {
    const fx = e.svc.applyTick(now)
    effects[i]!.push(fx)
    return fx
  })
  return { engines, effects, clock, published, tick, make, hotspotRecords, cfg }
}

const robbery = (id: string, ts = T0) => ({ id, type: 'robbery', lat: BASE.lat, lon: BASE.lon, time: ts })

t.test('an incident created on one engine is known to every engine, with the same effects', async (t) => {
  const c = cluster(2)
  const [a, b] = c.engines as [typeof c.engines[0], typeof c.engines[0]]
  for (const e of c.engines) feed(e.rules, fix('P-017', T0 - 1000, offset(BASE, 200, 0), { receivedAt: T0 - 1000 }))
  const r = await a.svc.add([robbery('I-1'), { id: 5 }], { source: 'api', search: true, by: 'ops:li' })
  t.match(r, [{ id: 'I-1', status: 'created', zone: 'grid-2', resources: [{ unitId: 'P-017' }] }, { status: 'rejected' }], 'results in the request\'s order')
  t.match(await b.svc.incident('I-1'), { id: 'I-1', zone: 'grid-2' }, 'engine B holds it')
  t.same((await b.svc.query({ from: 0, to: T0 + 1, limit: 10 })).rows.map((x) => x.id), ['I-1'])
  t.same(c.effects[0], c.effects[1], 'both engines caused the same effects')
  t.same(c.effects[0]![0]!.events.map((e) => e.id), ['incident.I-1.opened'])
  t.match(c.effects[0]![0]!.incidents, [{ id: 'I-1', source: 'api', createdAt: T0, zone: 'grid-2' }])
  t.same(c.published, [], 'nothing is published by the engines themselves')
  t.same((await b.svc.add([robbery('I-1')], { source: 'api', search: true, by: 'x' })).map((x) => x.status), ['exists'], 're-sent on the other engine: exists')

  // The second incident within the window crosses the rate threshold: the suggestion and the
  // automatic level change happen on every engine alike.
  c.clock.t = T0 + 60_000
  await b.svc.add([robbery('I-2', T0 + 30_000)], { source: 'api', search: false, by: 'x' })
  const types = c.effects[0]!.at(-1)!.events.map((e) => e.type)
  t.same(types, ['patrol_level.suggested', 'patrol_level.changed'])
  t.same(c.effects[0], c.effects[1])
  t.equal(a.svc.levels.view('grid-2', c.clock.t).level, 'high')
  t.same(a.svc.snapshot(), b.svc.snapshot(), 'the same replicated state')
  t.notOk(existsSync(join(a.dir, 'incidents', 'levels.json')), 'no state file in cluster mode')
})

t.test('levels and plans through the log: the same state and coverage overrides everywhere; refusals are the direct call\'s errors', async (t) => {
  const c = cluster(2)
  const [a, b] = c.engines as [typeof c.engines[0], typeof c.engines[0]]
  const change = await a.svc.setLevel('grid-2', 'emergency', { reason: 'riot', by: 'ops:li', expiresAt: T0 + 600_000 })
  t.match(change, { zoneId: 'grid-2', from: 'normal', to: 'emergency', at: T0 })
  t.equal(b.svc.levels.view('grid-2', T0).level, 'emergency', 'engine B has the level')
  t.same(a.rules.snapshot(), b.rules.snapshot())
  const refused = await Promise.resolve(a.svc.setLevel('nowhere', 'high', { reason: 'x', by: 'y', expiresAt: null })).catch((err: unknown) => err)
  t.ok(refused instanceof LevelError, 'a LevelError, as the direct call throws (the API maps it to 404)')
  t.match(refused, { message: 'no zone with id "nowhere"' })
  await t.rejects(Promise.resolve(b.svc.setLevel('grid-2', 'purple', { reason: 'x', by: 'y', expiresAt: null })), /no patrol level "purple"/)

  const act = await a.svc.activate('gate', { by: 'ops:li', incidentId: null, centre: null })
  t.match(act, { planId: 'gate', activationId: `gate.${T0}` })
  t.ok(b.svc.board.get('gate') !== undefined, 'active on engine B')
  const conflict = await b.svc.activate('gate', { by: 'x', incidentId: null, centre: null }).catch((err: unknown) => err)
  t.ok(conflict instanceof PlanError, 'already active: a PlanError, from either engine')
  t.match(conflict, { code: 'conflict', message: 'plan gate is already active' })
  t.equal(await b.svc.activate('nope', { by: 'x', incidentId: null, centre: null }), null, 'an unknown plan is not sent')
  const activated = c.effects[0]!.at(-2)!
  t.same(activated.planEvents.map((e) => e.type), ['plan.activated'], 'a plan event is a row…')
  t.same(activated.events.map((e) => e.type), ['plan.activated'], '…and an event')

  // Plan timers and level expiries run on tick records.
  const fx = c.tick(T0 + 601_000)
  t.same(fx[0], fx[1], 'the same tick effects')
  t.same(fx[0]!.planEvents.map((e) => e.type), ['checkpoint.missed'])
  t.same(fx[0]!.events.map((e) => e.type).sort(), ['checkpoint.missed', 'patrol_level.changed'])
  t.equal(b.svc.levels.view('grid-2', T0 + 601_000).level, 'normal', 'expired everywhere')

  const off = await b.svc.deactivate('gate', 'ops:wang')
  t.match(off, { planId: 'gate' })
  t.equal(a.svc.board.get('gate'), undefined)
  await t.rejects(a.svc.deactivate('gate', 'x'), { code: 'conflict' })
  t.same(a.svc.snapshot(), b.svc.snapshot())
})

t.test('hotspots: the recomputation goes through the log; the snapshot restores into a fresh service', async (t) => {
  const c = cluster(2)
  const [a, b] = c.engines as [typeof c.engines[0], typeof c.engines[0]]
  t.equal(await a.svc.recomputeHotspots(), true)
  t.equal(c.hotspotRecords.length, 1, 'one hotspots record')
  t.same(a.svc.hotspotList(), b.svc.hotspotList())
  t.equal(b.svc.hotspotsAt, T0)
  await a.svc.setLevel('grid-2', 'high', { reason: 'x', by: 'y', expiresAt: null })
  await a.svc.activate('gate', { by: 'ops:li', incidentId: null, centre: null })
  await a.svc.add([robbery('I-9')], { source: 'api', search: true, by: 'x' })

  const fresh = c.make(2)
  fresh.svc.restoreState(JSON.parse(JSON.stringify(a.svc.snapshot())))
  t.same(fresh.svc.snapshot(), a.svc.snapshot(), 'the snapshot round trips')
  t.match(await fresh.svc.incident('I-9'), { id: 'I-9' })
  t.ok(fresh.svc.board.get('gate') !== undefined)
  t.equal(fresh.svc.levels.view('grid-2', T0).level, 'high')
  t.same(fresh.svc.hotspotList(), a.svc.hotspotList())
  fresh.svc.restoreState(null)
  fresh.svc.restoreState({ v: 2 })
  t.pass('an absent or newer snapshot part is ignored')
})

t.test('recent incidents are forgotten after an hour of record time (ClickHouse answers for them)', async (t) => {
  const c = cluster(1)
  const a = c.engines[0]!
  await a.svc.add([robbery('OLD')], { source: 'api', search: false, by: 'x' })
  c.clock.t = T0 + 3_600_001
  await a.svc.add([robbery('NEW', c.clock.t)], { source: 'api', search: false, by: 'x' })
  t.equal(await a.svc.incident('OLD'), null, 'read from the store now')
  t.match(await a.svc.incident('NEW'), { id: 'NEW' })
})

t.test('level suggestions through the log: accepted and dismissed on every engine alike; refusals as the direct call\'s; in the snapshot', async (t) => {
  const c = cluster(2, standardRaw({ incidents: { rate: { threshold: 2, suggest_level: 'high' } } }))
  const [a, b] = c.engines as [typeof c.engines[0], typeof c.engines[0]]
  await a.svc.add([robbery('S-1'), robbery('S-2')], { source: 'api', search: false, by: 'x' })
  const id = `patrol_level.suggested.grid-2.${T0}`
  t.same(b.svc.suggestions.list().map((s) => s.id), [id], 'open on the other engine too')
  const r = await b.svc.acceptSuggestion(id, { by: 'ops:li', expiresAt: T0 + 3_600_000 })
  t.match(r, { suggestion: { id, status: 'accepted', closedBy: 'ops:li' }, change: { zoneId: 'grid-2', to: 'high', by: 'ops:li', expiresAt: T0 + 3_600_000 } })
  t.equal(a.svc.levels.view('grid-2', T0).level, 'high', 'the level changed on every engine')
  t.same(a.svc.suggestions.list(), [])
  await t.rejects(async () => a.svc.acceptSuggestion(id, { by: 'x', expiresAt: null }), { code: 'closed' })
  await t.rejects(async () => a.svc.dismissSuggestion('nope', { by: 'x', reason: null }), { code: 'not_found' })
  t.same(c.effects[0], c.effects[1])
  t.same(a.svc.snapshot(), b.svc.snapshot())

  // Back to normal, the rate falls and rises again: a second suggestion, dismissed.
  await a.svc.setLevel('grid-2', 'normal', { reason: 'calm', by: 'x', expiresAt: null })
  c.clock.t = T0 + 2 * 86_400_000
  await a.svc.add([robbery('S-3', c.clock.t), robbery('S-4', c.clock.t)], { source: 'api', search: false, by: 'x' })
  const second = `patrol_level.suggested.grid-2.${c.clock.t}`
  t.match(await a.svc.dismissSuggestion(second, { by: 'ops:wu', reason: 'a fair' }), { status: 'dismissed', reason: 'a fair' })
  t.same(c.effects[1]!.at(-1)!.events.map((e) => [e.type, e.id]), [['patrol_level.suggestion_dismissed', `${second}.dismissed`]])
  t.same(c.published, [])
  t.same(a.svc.snapshot(), b.svc.snapshot())
  const fresh = c.make(2)
  fresh.svc.restoreState(JSON.parse(JSON.stringify(a.svc.snapshot())))
  t.same(fresh.svc.snapshot(), a.svc.snapshot(), 'suggestions travel in the snapshot')
  t.throws(() => fresh.svc.suggestions.get(second), { code: 'closed' })
})

t.test('plan definitions through the log: every engine holds the same versions; nearest units picked once, where the request came in', async (t) => {
  const c = cluster(2)
  const [a, b] = c.engines as [typeof c.engines[0], typeof c.engines[0]]
  // Only engine A sees P-017: the pick is made there and travels in the command.
  feed(a.rules, fix('P-017', T0 - 1000, offset(BASE, 100, 0), { receivedAt: T0 - 1000 }))
  const ring = { id: 'ring', positions: 'scene', checkpoints: [{ name: 'North', north_m: 100, nearest: 1 }] }
  t.match(await a.svc.definePlan(ring, 'create', 'ops:li'), { planId: 'ring', version: 1, by: 'ops:li', at: T0 })
  t.equal(b.svc.plans.get('ring')?.checkpoints[0]?.nearest, 1, 'engine B has the plan')
  await t.rejects(b.svc.definePlan(ring, 'create', 'x'), { code: 'conflict' }, 'refused alike from either engine')
  await t.rejects(b.svc.deletePlan('nope', 'x'), { code: 'not_found' })
  await t.rejects(b.svc.definePlan({ ...ring, dwell: 'x' }, 'create', 'x'), { code: 'bad_request' }, 'a bad body is refused before the log')
  const act = await a.svc.activate('ring', { by: 'ops:li', incidentId: null, centre: BASE })
  t.same(act?.checkpoints[0]?.picked, ['P-017'])
  t.same(b.svc.board.get('ring')?.checkpoints[0]?.units, ['P-017'], 'engine B applied the same pick')
  await t.rejects(b.svc.deletePlan('ring', 'x'), { code: 'conflict' }, 'no deletion while active, on any engine')
  await b.svc.deactivate('ring', 'x')
  t.match(await b.svc.definePlan({ name: 'Ring 2', checkpoints: [{ name: 'N', lat: BASE.lat, lon: BASE.lon, units: ['P-017'] }] }, 'replace', 'ops:wang', 'ring'), { version: 2 })
  t.match(await a.svc.deletePlan('gate', 'ops:wang'), { planId: 'gate', version: 2, spec: null })
  t.same(a.svc.snapshot(), b.svc.snapshot(), 'the same definitions everywhere')
  t.notOk(existsSync(join(a.dir, 'incidents', 'plan-defs.json')), 'no state file in cluster mode')
  const fresh = c.make(2)
  fresh.svc.restoreState(JSON.parse(JSON.stringify(a.svc.snapshot())))
  t.same(fresh.svc.planSpecs().map((p) => [p.id, p.name]), [['ring', 'Ring 2']], 'the versions travel in the snapshot')
  t.same(fresh.svc.plans.versions('ring').map((v) => v.version), [1, 2])
})

t.test('dispatch through the log: assignments and closes on every engine, the same events; refusals as DispatchErrors; in the snapshot', async (t) => {
  const c = cluster(2)
  const [a, b] = c.engines as [typeof c.engines[0], typeof c.engines[0]]
  for (const e of c.engines) feed(e.rules, fix('P-017', T0 - 1000, offset(BASE, 200, 0), { receivedAt: T0 - 1000 }))
  await a.svc.add([robbery('I-1')], { source: 'api', search: true, by: 'x' })
  c.clock.t = T0 + 5000
  const r = await b.svc.assign('I-1', ['P-017'], { by: 'ops:li', note: 'go' })
  t.match(r, { added: [{ unitId: 'P-017', by: 'ops:li', at: T0 + 5000, distanceM: 200 }] })
  t.same(a.svc.dispatchOf('I-1'), b.svc.dispatchOf('I-1'), 'engine A holds the assignment')
  const fx = c.effects[0]!.at(-1)!
  t.same(fx.events.map((e) => e.id), ['incident.I-1.assigned.0'])
  t.match(fx.events[0]!.data, { incidentId: 'I-1', zoneId: 'grid-2', units: [{ unitId: 'P-017', distanceM: 200 }] })
  t.same(c.effects[0], c.effects[1], 'the same effects on both')
  t.same(a.svc.search(BASE.lat, BASE.lon, c.clock.t).map((p) => p.unitId), [], 'committed on every engine')
  t.equal(await a.svc.assign('nope', ['P-017'], { by: 'x', note: '' }), null, 'an unknown incident is not sent')
  await t.rejects(a.svc.assign('I-1', ['X-1'], { by: 'x', note: '' }), { name: 'Error', code: 'bad_request', message: /X-1 is not registered/ })
  const closed = await a.svc.close('I-1', 'handled', 'ops:wang')
  t.match(closed, { status: 'closed', outcome: 'handled', closedBy: 'ops:wang', closedAt: T0 + 5000 })
  t.equal(b.svc.dispatchOf('I-1').status, 'closed')
  t.same(c.effects[1]!.at(-1)!.events.map((e) => e.id), ['incident.I-1.closed'])
  await t.rejects(b.svc.close('I-1', 'again', 'x'), { code: 'conflict' })
  t.same(c.published, [])
  t.notOk(existsSync(join(a.dir, 'incidents', 'dispatch.json')), 'no state file in cluster mode')
  const fresh = c.make(2)
  fresh.svc.restoreState(JSON.parse(JSON.stringify(a.svc.snapshot())))
  t.same(fresh.svc.dispatchOf('I-1'), a.svc.dispatchOf('I-1'), 'the snapshot carries the dispatch state')
  t.equal(commandProblem({ op: 'assign', incident: { id: 'I', lat: 1, lon: 2, zone: null }, units: ['P'], by: 'b', note: '' }), null)
  t.equal(commandProblem({ op: 'close', incident: { id: 'I', lat: 1, lon: 2, zone: 'z' }, outcome: 'o', by: 'b' }), null)
  t.match(commandProblem({ op: 'assign', incident: { id: 'I' }, units: ['P'], by: 'b', note: '' }), /assignment without/)
  t.match(commandProblem({ op: 'close', incident: { id: 'I', lat: 1, lon: 2, zone: null }, by: 'b' }), /close without/)
})
