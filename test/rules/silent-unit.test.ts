import t from 'tap'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { initialSilent, isSilentAt, observeSilent, tickSilent } from '../../src/rules/silent-unit.js'
import { BASE, T0, config, feed, fix, offset, standardRaw, types } from './helpers.js'

t.test('state machine', async (t) => {
  const s = initialSilent()
  t.equal(tickSilent(s, T0 + 179_999, 180_000, T0), null)
  t.notOk(isSilentAt(s, T0 + 179_999, 180_000, T0))
  t.equal(tickSilent(s, T0 + 180_000, 180_000, T0), 'opened', 'never seen: measured from start')
  t.equal(tickSilent(s, T0 + 190_000, 180_000, T0), null, 'opened once')
  t.ok(isSilentAt(s, T0 + 190_000, 180_000, T0))
  t.equal(observeSilent(s, T0 - 60_000, T0 + 200_000, 180_000), null, 'an old fix (flushed buffer) does not resolve')
  t.equal(s.lastTs, T0 - 60_000)
  t.equal(observeSilent(s, T0 - 70_000, T0 + 200_000, 180_000), null)
  t.equal(s.lastTs, T0 - 60_000, 'keeps the latest fix time')
  t.equal(observeSilent(s, T0 + 195_000, T0 + 200_000, 180_000), 'resolved')
  t.equal(observeSilent(s, T0 + 196_000, T0 + 200_000, 180_000), null)
  t.equal(tickSilent(s, T0 + 375_999, 180_000, T0), null)
  t.equal(tickSilent(s, T0 + 376_000, 180_000, T0), 'opened', 'measured from the last fix')
})

t.test('engine: configured units go silent by their own or the default silent_after; a fresh fix resolves', async (t) => {
  const e = new RuleEngine(compileDeployment(config(standardRaw())), { startedAt: T0 })
  t.same(e.tick(T0 + 119_000), [])
  const a = e.tick(T0 + 120_000)
  t.same(types(a), ['unit_silent.opened'], 'O-003 has silent_after 120s')
  t.equal(a[0]?.subject, 'unit:O-003')
  t.equal(a[0]?.lastFixAt, null)
  t.match(a[0]?.summary, /^Officer 3 \(O-003\) has sent no fix since hexpatrol started at 14:00:00Z \(2 min\)$/)
  t.equal(a[0]?.position, undefined)
  const b = e.tick(T0 + 180_000)
  t.same(b.map((x) => x.subject), ['unit:P-017', 'unit:P-020'])
  const r = feed(e, fix('O-003', T0 + 185_000, BASE), T0 + 186_000)
  t.same(types(r), ['unit_silent.resolved'])
  t.equal(r[0]?.at, T0 + 185_000)
  t.equal(r[0]?.alertId, a[0]?.alertId)
  t.equal(r[0]?.lastFixAt, T0 + 185_000)
  t.match(r[0]?.summary, /^Officer 3 \(O-003\) is reporting again \(fix at 14:03:05Z\)$/)
  t.equal(e.unit('O-003', T0 + 186_000)?.silent, false)
  t.equal(e.unit('P-017', T0 + 186_000)?.silent, true)
  // Goes quiet again: silent 120 s after its last fix, with the fix in the alert.
  const again = e.tick(T0 + 305_000)
  t.same(again.map((x) => x.type), ['unit_silent.opened'])
  t.equal(again[0]?.lastFixAt, T0 + 185_000)
  t.same(again[0]?.position?.ts, T0 + 185_000)
  t.match(again[0]?.summary, /has sent no fix for 2 min, last at 14:03:05Z/)
})

t.test('unknown units are tracked from their first fix with the default silent_after', async (t) => {
  const e = new RuleEngine(compileDeployment(config(standardRaw({ units: [] }))), { startedAt: T0 })
  t.same(e.tick(T0 + 1_000_000), [], 'nobody configured, nobody silent')
  feed(e, fix('X-9', T0 + 1_000_000, offset(BASE, 10, 10)))
  t.equal(e.unit('X-9', T0 + 1_000_000)?.known, false)
  t.equal(e.unit('X-9', T0 + 1_000_000)?.kind, 'unknown')
  t.same(e.tick(T0 + 1_179_000), [])
  const s = e.tick(T0 + 1_180_000)
  t.same(types(s), ['unit_silent.opened'])
  t.equal(s[0]?.unitName, 'X-9')
  t.match(s[0]?.summary, /^X-9 has sent no fix for 3 min/)
})

t.test('a delayed fix resolves no earlier than the alert opened', async (t) => {
  const e = new RuleEngine(compileDeployment(config(standardRaw())), { startedAt: T0 })
  const o = e.tick(T0 + 120_000)
  const r = feed(e, fix('O-003', T0 + 100_000, BASE, { receivedAt: T0 + 125_000 }), T0 + 125_000)
  t.same(types(r), ['unit_silent.resolved'])
  t.equal(r[0]?.at, o[0]?.openedAt)
})
