// A missed checkpoint is an alert (checkpoint_missed) in the rule engine's book: the service
// opens it when the plan board reports the miss, resolves it when the checkpoint is manned late or
// the plan stands down, hands every transition to alerts() (single engine) or to the effects
// (cluster mode, identical on every engine); acknowledged like any alert; mended after a restart
// whose plans and alert book disagree.
import t from 'tap'
import { compileIncidents } from '../../src/incidents/compile.js'
import { IncidentService } from '../../src/incidents/service.js'
import type { IncidentStore } from '../../src/incidents/incident-store.js'
import type { OutboundEvent } from '../../src/delivery/outbound-event.js'
import { UnshippedIncidents } from '../../src/incidents/unshipped.js'
import { incidentJournal } from '../../src/journal/record.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import { alertIdOf } from '../../src/rules/alert-book.js'
import { captureLogger, tempDir } from '../helpers/harness.js'
import { BASE, T0, config, feed, fix, offset, standardRaw } from '../rules/helpers.js'

const plans = [{ id: 'gate', name: 'Gate plan', checkpoints: [
  { name: 'North', lat: BASE.lat, lon: BASE.lon, units: ['P-017'], radius_m: 50, arrive_within: '5m' },
  { name: 'South', ...offset(BASE, -2000, 0), units: ['P-020'], radius_m: 50, arrive_within: '10m' },
] }]

function setup(dir = tempDir(), rules?: RuleEngine) {
  const cfg = config(standardRaw({ plans }))
  const dep = compileDeployment(cfg)
  const engine = rules ?? new RuleEngine(dep, { startedAt: T0 })
  const events: OutboundEvent[] = []
  const alerts: AlertEvent[] = []
  const { logger } = captureLogger()
  const now = { t: T0 }
  const svc = new IncidentService({
    setup: compileIncidents(cfg), dep, rules: engine, store: () => null as IncidentStore | null, dir, now: () => now.t, logger,
    publish: (e) => events.push(e), alerts: (evs) => alerts.push(...evs), journal: incidentJournal(() => undefined), unshipped: new UnshippedIncidents(),
  })
  return { svc, rules: engine, events, alerts, now, dir, dep }
}

/** Ticks the service every 30 s up to `until`, P-017 reporting from `at` (null: silent). */
function run(f: ReturnType<typeof setup>, until: number, at: { lat: number; lon: number } | null = null) {
  for (; f.now.t < until;) {
    f.now.t += 30_000
    if (at !== null) feed(f.rules, fix('P-017', f.now.t, at))
    f.rules.tick(f.now.t)
    f.svc.tick(f.now.t)
  }
}

t.test('a miss opens checkpoint_missed; a late arrival resolves it as manned; the plain event stays', async (t) => {
  const f = setup()
  await f.svc.activate('gate', { by: 'sgt.li', incidentId: 'I-9', centre: null })
  const activatedAt = T0
  run(f, T0 + 5 * 60_000, offset(BASE, 1000, 0))
  t.same(f.alerts, [], 'nothing before the deadline')
  run(f, T0 + 6 * 60_000, offset(BASE, 1000, 0))
  t.equal(f.alerts.length, 1)
  const opened = f.alerts[0]!
  const subject = 'plan:gate/checkpoint:0'
  t.match(opened, {
    kind: 'checkpoint_missed', state: 'opened', type: 'checkpoint_missed.opened', subject,
    planId: 'gate', planName: 'Gate plan', activationId: `gate.${activatedAt}`, incidentId: 'I-9',
    checkpoint: { index: 0, name: 'North', lat: BASE.lat, lon: BASE.lon, radiusM: 50, deadline: T0 + 5 * 60_000 }, responsible: ['P-017'],
    summary: 'Checkpoint North of plan Gate plan not manned by 14:05:00Z (P-017)',
  })
  t.equal(opened.alertId, alertIdOf('checkpoint_missed', subject, opened.at), 'deterministic id: kind, subject, the tick\'s clock')
  t.match(f.events.find((e) => e.type === 'checkpoint.missed'), { data: { alertId: opened.alertId } }, 'checkpoint.missed is still published as a plain event, naming its alert')
  t.match(f.rules.openAlerts().filter((a) => a.kind === 'checkpoint_missed'), [{ id: opened.alertId, kind: 'checkpoint_missed', subject, state: 'opened' }], 'listed with the rules\' alerts')
  // Acknowledged like any alert.
  const ack = f.rules.acknowledge(opened.alertId, 'sgt.wang', f.now.t, 'sending P-020')
  t.match(ack, { state: 'acknowledged', acknowledgedBy: 'sgt.wang', ackNote: 'sending P-020', checkpoint: { name: 'North' } })
  // Manned late: resolved, with who and when.
  run(f, f.now.t + 2 * 60_000, BASE)
  const resolved = f.alerts.filter((a) => a.state === 'resolved')
  t.equal(resolved.length, 1)
  t.match(resolved[0], { alertId: opened.alertId, kind: 'checkpoint_missed', subject, reachedBy: 'P-017', acknowledgedBy: 'sgt.wang', summary: /^Checkpoint North of plan Gate plan manned late by P-017 at 14:0\d:\d\dZ$/ })
  t.ok(typeof resolved[0]!.reachedAt === 'number')
  t.ok(f.events.some((e) => e.type === 'checkpoint.reached' && e.data.late === true))
  t.same(f.rules.openAlerts().filter((a) => a.kind === 'checkpoint_missed'), [])
  // Not opened again while the plan stays on.
  run(f, f.now.t + 10 * 60_000, BASE)
  t.equal(f.alerts.filter((a) => a.subject === subject).length, 2)
})

t.test('standing the plan down resolves its open checkpoint alerts (reason plan_deactivated)', async (t) => {
  const f = setup()
  await f.svc.activate('gate', { by: 'sgt.li', incidentId: null, centre: null })
  run(f, T0 + 11 * 60_000)
  t.same(f.alerts.map((a) => [a.subject, a.state]), [['plan:gate/checkpoint:0', 'opened'], ['plan:gate/checkpoint:1', 'opened']])
  f.now.t += 1000
  await f.svc.deactivate('gate', 'sgt.li')
  const resolved = f.alerts.slice(2)
  t.same(resolved.map((a) => [a.subject, a.state, a.reason, a.deactivatedBy]), [
    ['plan:gate/checkpoint:0', 'resolved', 'plan_deactivated', 'sgt.li'],
    ['plan:gate/checkpoint:1', 'resolved', 'plan_deactivated', 'sgt.li'],
  ])
  t.equal(resolved[0]!.summary, 'Checkpoint North of plan Gate plan was never manned: the plan was stood down by sgt.li')
  t.same(f.rules.openAlerts().filter((a) => a.kind === 'checkpoint_missed'), [])
  // Activated again: a new miss is a new alert (a new id).
  await f.svc.activate('gate', { by: 'sgt.li', incidentId: null, centre: null })
  run(f, f.now.t + 6 * 60_000)
  const again = f.alerts.slice(4)
  t.equal(again.length, 1)
  t.not(again[0]!.alertId, f.alerts[0]!.alertId)
})

t.test('after a restart, the alerts are brought in line with the restored plans', async (t) => {
  const f = setup()
  await f.svc.activate('gate', { by: 'sgt.li', incidentId: null, centre: null })
  run(f, T0 + 6 * 60_000)
  t.equal(f.alerts.length, 1)
  // The alert book was saved before the miss (a crash in between): the restart opens it at the miss.
  const snapBefore = new RuleEngine(f.dep, { startedAt: T0 })
  const g = setup(f.dir, snapBefore)
  g.now.t = f.now.t + 5000
  g.svc.reconcileAlerts()
  t.match(g.alerts, [{ kind: 'checkpoint_missed', state: 'opened', subject: 'plan:gate/checkpoint:0', at: f.alerts[0]!.at, alertId: f.alerts[0]!.alertId }], 'the same alert as before the crash')
  g.svc.reconcileAlerts()
  t.equal(g.alerts.length, 1, 'once')
  // The plan was stood down but the book was not saved: the restart resolves the alert (config_changed).
  const h = setup(tempDir(), RuleEngine.restore(f.dep, f.rules.snapshot(), { startedAt: T0 }))
  h.svc.reconcileAlerts()
  t.match(h.alerts, [{ kind: 'checkpoint_missed', state: 'resolved', reason: 'config_changed', summary: /resolved because the configuration changed$/ }])
})

t.test('cluster mode: every engine opens the same alert on the same tick, as effects (never through alerts())', async (t) => {
  const cfg = config(standardRaw({ plans }))
  const dep = compileDeployment(cfg)
  const engines = [0, 1].map(() => {
    const rules = new RuleEngine(dep, { startedAt: T0 })
    const { logger } = captureLogger()
    const direct: AlertEvent[] = []
    const svc = new IncidentService({
      setup: compileIncidents(cfg), dep, rules, store: () => null, dir: tempDir(), now: () => T0, logger, publish: () => undefined, alerts: (e) => direct.push(...e),
      journal: incidentJournal(() => undefined), unshipped: new UnshippedIncidents(),
      cluster: { command: async () => ({ ok: true, value: null }), hotspots: async () => undefined, leads: () => false },
    })
    return { svc, rules, direct }
  })
  const out = engines.map((e) => {
    const on = e.svc.apply({ op: 'plan_on', planId: 'gate', by: 'sgt.li', incidentId: null, centre: null }, T0)
    const alerts: AlertEvent[] = [...on.effects.alerts]
    for (let at = T0 + 60_000; at <= T0 + 11 * 60_000; at += 60_000) alerts.push(...e.svc.applyTick(at).alerts)
    alerts.push(...e.svc.apply({ op: 'plan_off', planId: 'gate', by: 'sgt.li' }, T0 + 12 * 60_000).effects.alerts)
    return alerts
  })
  t.same(out[0]!.map((a) => a.type), ['checkpoint_missed.opened', 'checkpoint_missed.opened', 'checkpoint_missed.resolved', 'checkpoint_missed.resolved'])
  t.same(out[0], out[1], 'identical transitions (ids, times, summaries) on every engine')
  t.same(engines.map((e) => e.direct.length), [0, 0], 'nothing delivered directly: the partitions\' owners deliver')
  t.same(engines[0]!.rules.snapshot(), engines[1]!.rules.snapshot())
})
