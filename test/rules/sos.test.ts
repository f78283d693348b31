// unit_sos: opened at once by the unit itself (no dwell, with or without a position), once while
// open, never closed by the device or by a changed deployment, resolved only by an operator with
// a note; kept across a snapshot and restore.
import t from 'tap'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { BASE, T0, config, feed, fix, standardRaw, types } from './helpers.js'

const dep = () => compileDeployment(config(standardRaw()))
const POS = { lat: BASE.lat, lon: BASE.lon, ts: T0, accuracy: null, h3: '8928308280fffff' }

t.test('opens at once, once; resolves only by an operator with a note', async (t) => {
  const e = new RuleEngine(dep(), { startedAt: T0 })
  const [opened, ...more] = e.sos('P-020', T0, 'jt808', POS, T0 + 50)
  t.same(more, [])
  t.match(opened, { kind: 'unit_sos', state: 'opened', subject: 'unit:P-020', at: T0, openedAt: T0, unitId: 'P-020', via: 'jt808', position: POS })
  t.match(opened!.summary, /^SOS from .*P-020.* \(jt808\) at 14:00:00Z$/)
  t.same(e.sos('P-020', T0 + 1000, 'jt808', POS, T0 + 1000), [], 'a repeat while open changes nothing')
  t.same(types(feed(e, fix('P-020', T0 + 2000, BASE))).filter((x) => x.startsWith('unit_sos')), [], 'fixes never close it')
  t.same(types(e.tick(T0 + 3_600_000)).filter((x) => x.startsWith('unit_sos')), [], 'nor does time')
  t.same(e.reconcile(T0 + 3_600_000), [], 'nor a changed deployment')
  t.equal(e.resolveSos('al_nope', 'sgt.wang', 'x', T0), null, 'unknown alert')
  const ack = e.acknowledge(opened!.alertId, 'sgt.wang', T0 + 60_000)
  t.equal(ack?.state, 'acknowledged')
  const res = e.resolveSos(opened!.alertId, 'sgt.wang', 'false alarm, driver pressed it by mistake', T0 + 120_000)
  t.match(res, { kind: 'unit_sos', state: 'resolved', alertId: opened!.alertId, resolvedBy: 'sgt.wang', note: 'false alarm, driver pressed it by mistake', acknowledgedBy: 'sgt.wang', via: 'jt808', position: POS })
  t.match(res!.summary, /resolved by sgt\.wang: false alarm/)
  t.equal(e.resolveSos(opened!.alertId, 'sgt.wang', 'again', T0 + 130_000), null, 'resolved once')
  const second = e.sos('P-020', T0 + 200_000, 'osmand', null, T0 + 200_000)
  t.equal(second.length, 1, 'a new SOS after the resolution opens a new alert')
  t.not(second[0]!.alertId, opened!.alertId)
  t.equal(second[0]!.position, undefined, 'no position: none in the event')
  t.match(e.resolveSos(second[0]!.alertId, 'duty', 'on scene', T0 + 100_000), { at: T0 + 200_000 }, 'never resolved before it opened')
})

t.test('only SOS alerts are resolved this way; kept across a restart; unknown units', async (t) => {
  const e = new RuleEngine(dep(), { startedAt: T0 })
  const silent = e.tick(T0 + 3_600_000).find((x) => x.kind === 'unit_silent')
  t.ok(silent)
  t.equal(e.resolveSos(silent!.alertId, 'duty', 'no', T0 + 3_600_000), null, 'not an SOS')
  const [sos] = e.sos('P-020', T0, 'native', POS, T0)
  const back = RuleEngine.restore(dep(), e.snapshot(), { startedAt: T0 + 10_000 })
  t.equal(back.getAlert(sos!.alertId)?.state, 'opened')
  t.same(back.reconcile(T0 + 10_000).filter((x) => x.kind === 'unit_sos'), [])
  t.equal(back.resolveSos(sos!.alertId, 'duty', 'ok', T0 + 20_000)?.state, 'resolved')
  const strict = new RuleEngine(compileDeployment(config(standardRaw({ rules: { allowed_lateness: '0s', max_unknown_units: 0 } }))), { startedAt: T0 })
  t.same(strict.sos('ghost', T0, 'jt808', null, T0), [], 'a unit beyond rules.max_unknown_units raises nothing')
})
