import t from 'tap'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { initialSilent, isSilentAt, observeSilent, tickSilent } from '../../src/rules/silent-unit.js'
import { BASE, T0, config, feed, fix, offset, standardRaw, types } from './helpers.js'

t.test('state machine: measured on arrival time, from when tracking began', async (t) => {
  const s = initialSilent(T0)
  t.equal(tickSilent(s, T0 + 179_999, 180_000), null)
  t.notOk(isSilentAt(s, T0 + 179_999, 180_000))
  t.equal(tickSilent(s, T0 + 180_000, 180_000), 'opened', 'never seen: measured from when tracking began')
  t.equal(tickSilent(s, T0 + 190_000, 180_000), null, 'opened once')
  t.ok(isSilentAt(s, T0 + 190_000, 180_000))
  t.equal(observeSilent(s, T0 - 60_000, T0 + 200_000), 'resolved', 'any arrival resolves, whatever its device time')
  t.equal(s.lastTs, T0 - 60_000)
  t.equal(s.lastSeenAt, T0 + 200_000)
  t.equal(observeSilent(s, T0 - 70_000, T0 + 199_000), null)
  t.equal(s.lastTs, T0 - 60_000, 'keeps the latest fix time')
  t.equal(s.lastSeenAt, T0 + 200_000, 'keeps the latest arrival')
  t.equal(tickSilent(s, T0 + 379_999, 180_000), null)
  t.equal(tickSilent(s, T0 + 380_000, 180_000), 'opened', 'measured from the last arrival')
})

t.test('engine: configured units go silent by their own or the default silent_after; a fresh fix resolves', async (t) => {
  const e = new RuleEngine(compileDeployment(config(standardRaw())), { startedAt: T0 })
  t.same(e.tick(T0 + 119_000), [])
  const a = e.tick(T0 + 120_000)
  t.same(types(a), ['unit_silent.opened'], 'O-003 has silent_after 120s')
  t.equal(a[0]?.subject, 'unit:O-003')
  t.equal(a[0]?.lastFixAt, null)
  t.match(a[0]?.summary, /^Officer 3 \(O-003\) has sent no fix since hexpatrol started tracking it at 14:00:00Z \(2 min\)$/)
  t.equal(a[0]?.position, undefined)
  const b = e.tick(T0 + 180_000)
  t.same(b.map((x) => x.subject), ['unit:P-017', 'unit:P-020'])
  const r = feed(e, fix('O-003', T0 + 185_000, BASE), T0 + 186_000)
  t.same(types(r), ['unit_silent.resolved'])
  t.equal(r[0]?.at, T0 + 186_000, 'resolved at arrival (engine clock)')
  t.equal(r[0]?.alertId, a[0]?.alertId)
  t.equal(r[0]?.lastFixAt, T0 + 185_000)
  t.match(r[0]?.summary, /^Officer 3 \(O-003\) is reporting again \(fix received at 14:03:06Z\)$/)
  t.equal(e.unit('O-003', T0 + 186_000)?.silent, false)
  t.equal(e.unit('P-017', T0 + 186_000)?.silent, true)
  // Goes quiet again: silent 120 s after its last arrival, with the fix in the alert.
  t.same(e.tick(T0 + 305_999), [])
  const again = e.tick(T0 + 306_000)
  t.same(again.map((x) => x.type), ['unit_silent.opened'])
  t.equal(again[0]?.lastFixAt, T0 + 185_000)
  t.same(again[0]?.position?.ts, T0 + 185_000)
  t.match(again[0]?.summary, /has sent no fix for 2 min, last received at 14:03:06Z/)
})

t.test('unknown units get no unit_silent (only zone-wide rules apply to them)', async (t) => {
  const e = new RuleEngine(compileDeployment(config(standardRaw({ units: [] }))), { startedAt: T0 })
  t.same(e.tick(T0 + 1_000_000), [], 'nobody configured, nobody silent')
  feed(e, fix('X-9', T0 + 1_000_000, offset(BASE, 10, 10)))
  t.equal(e.unit('X-9', T0 + 1_000_000)?.known, false)
  t.equal(e.unit('X-9', T0 + 1_000_000)?.kind, 'unknown')
  t.same(e.tick(T0 + 1_180_000), [], 'quiet for silent_after: no alert for an unknown unit')
  t.equal(e.unit('X-9', T0 + 1_180_000)?.silent, true, 'but the view says it is not live')
})

t.test('a delayed fix resolves at its arrival, not at its (older) fix time', async (t) => {
  const e = new RuleEngine(compileDeployment(config(standardRaw())), { startedAt: T0 })
  const o = e.tick(T0 + 120_000)
  const r = feed(e, fix('O-003', T0 + 100_000, BASE, { receivedAt: T0 + 125_000 }), T0 + 125_000)
  t.same(types(r), ['unit_silent.resolved'])
  t.equal(r[0]?.at, T0 + 125_000)
  t.ok((r[0]?.at as number) >= (o[0]?.openedAt as number))
})
