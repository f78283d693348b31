// Emergency plans at run time with a fake journal, search and positions (the rule engine as the
// alert book): plan events journaled then published (also when the journal fails or waits), the
// state files written and loaded, `nearest: N` units picked through the search, definitions
// created, replaced and deleted (refused while active), a missed checkpoint raised as an alert and
// resolved on stand-down, and cluster mode: commands to the log, applied ones collected as effects.
import t from 'tap'
import { EmergencyPlans, type EmergencyPlansDeps } from '../../src/incidents/emergency-plans.js'
import { noEffects, type IncidentCommand, type IncidentEffects } from '../../src/incidents/commands.js'
import { compileIncidents } from '../../src/incidents/compile.js'
import type { UnitPosition } from '../../src/incidents/plans.js'
import { StateFiles } from '../../src/incidents/state-files.js'
import type { Proposal } from '../../src/incidents/resource-search.js'
import type { OutboundEvent } from '../../src/delivery/outbound-event.js'
import { DEFAULT_INCIDENT_TEXTS } from '../../src/i18n/incident-texts.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { captureLogger, tempDir } from '../helpers/harness.js'
import { BASE, T0, config, standardRaw } from '../rules/helpers.js'

const plans = [
  { id: 'gate', checkpoints: [{ name: 'Gate', lat: BASE.lat, lon: BASE.lon, units: ['P-017'], radius_m: 50, arrive_within: '60s' }] },
  { id: 'near', checkpoints: [{ name: 'A', lat: BASE.lat, lon: BASE.lon, units: ['P-017'], nearest: 1 }, { name: 'B', lat: BASE.lat, lon: BASE.lon, units: [] as string[], nearest: 1 }] },
]
const cfg = config(standardRaw({ plans }))

function setup(dir = tempDir(), o: Partial<EmergencyPlansDeps> = {}, journal: EmergencyPlansDeps['journal']['planEvents'] = () => undefined) {
  const { logger, logs } = captureLogger()
  const rules = new RuleEngine(compileDeployment(cfg), { startedAt: T0 })
  const published: OutboundEvent[] = []
  const journaled: OutboundEvent[] = []
  const raised: AlertEvent[] = []
  const asked: Array<{ k: number; exclude: string[] }> = []
  const tracked: Array<Promise<unknown>> = []
  const positions = new Map<string, UnitPosition>()
  const now = { t: T0 }
  const effects: { sink: IncidentEffects | null } = { sink: null }
  const p = new EmergencyPlans({
    setup: compileIncidents(cfg),
    alertBook: rules,
    texts: DEFAULT_INCIDENT_TEXTS,
    files: new StateFiles({ dir, logger, persist: true }),
    journal: { planEvents: (events) => { journaled.push(...events); return journal(events) } },
    now: () => now.t,
    logger,
    publish: (e) => published.push(e),
    raise: (alerts) => raised.push(...alerts),
    search: (_lat, _lon, _now, k, exclude) => {
      const ex = [...exclude]
      asked.push({ k, exclude: ex })
      return ['P-020', 'O-003'].filter((u) => !ex.includes(u)).slice(0, k).map((unitId) => ({ unitId }) as Proposal)
    },
    positions: () => positions,
    track: (x) => { tracked.push(x); return x },
    effects: () => effects.sink,
    ...o,
  })
  return { p, published, journaled, raised, asked, tracked, positions, now, effects, logs, dir }
}

t.test('activation, tracking and stand-down: journaled then published, persisted, a missed checkpoint raised and resolved', async (t) => {
  const s = setup()
  t.same(s.p.specs().map((x) => x.id), ['gate', 'near'])
  t.equal(await s.p.activate('nope', { by: 'x', incidentId: null, centre: null }), null)
  const a = await s.p.activate('gate', { by: 'sgt.wang', incidentId: 'R-1', centre: null })
  t.match(a, { planId: 'gate', by: 'sgt.wang', incidentId: 'R-1' })
  t.same(s.journaled.map((e) => e.type), ['plan.activated'])
  t.same(s.published.map((e) => e.type), ['plan.activated'])
  t.same(s.asked, [], 'no nearest checkpoint: no search')
  s.positions.set('P-017', { lat: BASE.lat, lon: BASE.lon + 0.01, ts: T0, kind: 'vehicle' })
  t.match(s.p.status('gate'), { checkpoints: [{ state: 'pending', units: [{ unitId: 'P-017', live: true }] }] })
  s.now.t = T0 + 61_000
  s.p.tick(s.now.t)
  t.same(s.published.map((e) => e.type), ['plan.activated', 'checkpoint.missed'])
  t.match(s.raised, [{ type: 'checkpoint_missed.opened' }], 'the missed checkpoint is an alert')
  const copy = setup(s.dir)
  copy.p.load()
  t.ok(copy.p.board.get('gate'), 'plans.json loaded')
  await s.p.deactivate('gate', 'sgt.wang')
  t.same(s.published.map((e) => e.type), ['plan.activated', 'checkpoint.missed', 'plan.deactivated'])
  t.match(s.raised, [{ type: 'checkpoint_missed.opened' }, { type: 'checkpoint_missed.resolved' }], 'resolved on stand-down')
  s.p.tick(s.now.t)
  t.equal(s.published.length, 3, 'no active plan: the tick does nothing')
})

t.test('nearest: N picked through the search, fixed and already picked units excluded', async (t) => {
  const s = setup()
  const a = await s.p.activate('near', { by: 'x', incidentId: null, centre: null })
  t.same(s.asked, [{ k: 1, exclude: ['P-017'] }, { k: 1, exclude: ['P-017', 'P-020'] }])
  t.same(a?.checkpoints.map((c) => c.picked), [['P-020'], ['O-003']])
})

t.test('definitions: created, replaced and deleted (refused while active), persisted', async (t) => {
  const s = setup()
  const body = { name: 'Ring', checkpoints: [{ name: 'C', lat: BASE.lat, lon: BASE.lon, units: ['P-020'] }] }
  t.match(await s.p.define(body, 'create', 'sgt.wang', 'ring'), { planId: 'ring', version: 1, by: 'sgt.wang' })
  t.match(await s.p.define(body, 'replace', 'sgt.li', 'ring'), { planId: 'ring', version: 2 })
  await s.p.activate('ring', { by: 'x', incidentId: null, centre: null })
  await t.rejects(s.p.define(body, 'replace', 'x', 'ring'), { code: 'conflict' })
  await t.rejects(s.p.remove('ring', 'x'), { code: 'conflict' })
  await s.p.deactivate('ring', 'x')
  t.match(await s.p.remove('ring', 'sgt.li'), { planId: 'ring', by: 'sgt.li' })
  t.equal(s.p.catalogue.get('ring'), undefined)
  const copy = setup(s.dir)
  copy.p.load()
  t.same(copy.p.catalogue.versions('ring').length, 3, 'plan-defs.json loaded')
})

t.test('a journal that fails or waits: logged and delivered; published once appended (tracked)', async (t) => {
  const thrown = setup(tempDir(), {}, () => { throw new Error('EIO') })
  await thrown.p.activate('gate', { by: 'x', incidentId: null, centre: null })
  t.same(thrown.published.map((e) => e.type), ['plan.activated'])
  t.match(thrown.logs.at(-1), { level: 50, err: 'EIO' })
  const rejected = setup(tempDir(), {}, () => Promise.reject(new Error('journal is closed')))
  await rejected.p.activate('gate', { by: 'x', incidentId: null, centre: null })
  t.same(rejected.published.map((e) => e.type), ['plan.activated'])
  t.match(rejected.logs.at(-1), { level: 50, err: 'journal is closed' })
  let release = () => {}
  const waits = setup(tempDir(), {}, () => new Promise<void>((resolve) => { release = resolve }))
  const pending = waits.p.activate('gate', { by: 'x', incidentId: null, centre: null })
  await new Promise((r) => setImmediate(r))
  t.same(waits.published, [], 'not before the append')
  t.equal(waits.tracked.length, 1)
  release()
  await pending
  t.same(waits.published.map((e) => e.type), ['plan.activated'])
})

t.test('cluster mode: changes go to the log; applied ones are collected as effects, not published', async (t) => {
  const sent: IncidentCommand[] = []
  const s = setup(tempDir(), { toLog: async (cmd) => { sent.push(cmd); return 'applied' } })
  t.equal(await s.p.activate('near', { by: 'x', incidentId: null, centre: null }) as unknown, 'applied')
  t.equal(await s.p.deactivate('gate', 'x') as unknown, 'applied')
  t.equal(await s.p.define({ checkpoints: [{ name: 'C', lat: BASE.lat, lon: BASE.lon, units: ['P-020'] }] }, 'create', 'x', 'ring') as unknown, 'applied')
  t.equal(await s.p.remove('ring', 'x') as unknown, 'applied')
  t.same(sent.map((c) => c.op), ['plan_on', 'plan_off', 'plan_define', 'plan_delete'])
  t.match(sent[0], { op: 'plan_on', planId: 'near', picked: [['P-020'], ['O-003']] }, 'the picked units travel in the command')
  t.throws(() => s.p.applyOn({ op: 'plan_on', planId: 'gone', by: 'x', incidentId: null, centre: null }, T0), { code: 'not_found' })
  const sink = s.effects.sink = noEffects()
  t.match(s.p.applyOn({ op: 'plan_on', planId: 'gate', by: 'x', incidentId: null, centre: null }, T0 + 5), { activatedAt: T0 + 5 })
  s.p.tick(T0 + 70_000)
  t.match(s.p.applyOff({ op: 'plan_off', planId: 'gate', by: 'x' }, T0 + 80_000), { planId: 'gate' })
  t.same(sink.events.map((e) => e.type), ['plan.activated', 'checkpoint.missed', 'plan.deactivated'])
  t.same(sink.planEvents, sink.events, 'plan events are rows too')
  t.same(s.published, [], 'nothing published')
  t.same(s.journaled, [], 'nothing journaled')
  t.same(s.raised.map((a) => a.type), ['checkpoint_missed.opened', 'checkpoint_missed.resolved'])
  t.match(s.p.applyDefine({ op: 'plan_delete', planId: 'near', by: 'x' }, T0 + 90_000), { planId: 'near' })
})
