// Patrol level ladder: set, no-op, expiry back to base, errors, persistence round trip.
import t from 'tap'
import { LevelError, PatrolLevels, type LevelSpec } from '../../src/incidents/levels.js'

const ladder: LevelSpec[] = [{ name: 'normal', rank: 0 }, { name: 'high', rank: 1, maxIntervalMs: 600_000 }, { name: 'emergency', rank: 2 }]
const T = 1_000_000
const mk = () => new PatrolLevels(ladder, new Map([['g1', 'normal'], ['g2', 'high']]))

t.test('base levels, a change, the same change again, and back to base', async (t) => {
  const l = mk()
  t.equal(l.effective('g1', T).name, 'normal')
  t.equal(l.effective('g2', T).name, 'high')
  t.ok(l.has('g1'))
  t.notOk(l.has('nope'))
  t.equal(l.spec('high')!.maxIntervalMs, 600_000)
  t.same(l.levels().map((x) => x.name), ['normal', 'high', 'emergency'])
  const c = l.set('g1', 'high', { reason: 'robbery', by: 'duty-officer', expiresAt: null }, T)
  t.same(c, { zoneId: 'g1', from: 'normal', to: 'high', reason: 'robbery', by: 'duty-officer', at: T, expiresAt: null, cause: 'set' })
  t.equal(l.effective('g1', T + 1).name, 'high')
  t.equal(l.set('g1', 'high', { reason: 'again', by: 'x', expiresAt: null }, T + 1), null, 'no change')
  const back = l.set('g1', 'normal', { reason: 'calm', by: 'x', expiresAt: null }, T + 2)
  t.equal(back!.to, 'normal')
  t.same(l.toJSON().overrides, [], 'back to base without expiry removes the override')
  t.same(l.views(T + 3).map((v) => v.level), ['normal', 'high'])
})

t.test('expiry returns the zone to its base level by itself', async (t) => {
  const l = mk()
  l.set('g1', 'emergency', { reason: 'robbery', by: 'cmd', expiresAt: T + 1000 }, T)
  t.equal(l.view('g1', T + 999).level, 'emergency')
  t.equal(l.effective('g1', T + 1000).name, 'normal', 'effective ignores an expired override before expire() runs')
  t.same(l.expire(T + 500), [])
  const ch = l.expire(T + 1000)
  t.equal(ch.length, 1)
  t.match(ch[0], { zoneId: 'g1', from: 'emergency', to: 'normal', at: T + 1000, cause: 'expired', by: 'hexpatrol' })
  t.match(ch[0]!.reason, /expired \(set by cmd: robbery\)/)
  t.same(l.expire(T + 2000), [])
  // A temporary override at the base level itself expires silently.
  l.set('g2', 'high', { reason: 'keep', by: 'cmd', expiresAt: T + 3000 }, T + 2000)
  t.same(l.expire(T + 4000), [])
})

t.test('errors name what is wrong', async (t) => {
  const l = mk()
  t.throws(() => l.set('nope', 'high', { reason: 'r', by: 'b', expiresAt: null }, T), new LevelError('no zone with id "nope"'))
  t.throws(() => l.set('g1', 'purple', { reason: 'r', by: 'b', expiresAt: null }, T), /no patrol level "purple" \(ladder: normal, high, emergency\)/)
  t.throws(() => l.set('g1', 'high', { reason: 'r', by: 'b', expiresAt: T }, T), /expiry is in the past/)
})

t.test('persists and restores; drops unknown zones, levels and junk', async (t) => {
  const l = mk()
  l.set('g1', 'emergency', { reason: 'r', by: 'b', expiresAt: T + 5000 }, T)
  const json = JSON.parse(JSON.stringify(l.toJSON())) as { overrides: unknown[] }
  json.overrides.push({ zoneId: 'gone', level: 'high' }, { zoneId: 'g2', level: 'purple' }, null)
  const r = mk()
  r.restore(json)
  t.same(r.view('g1', T + 1), l.view('g1', T + 1))
  t.equal(r.view('g2', T).override, null)
  r.restore(null)
  r.restore({ version: 2 })
  const n = mk()
  n.restore({ version: 1, overrides: [{ zoneId: 'g1', level: 'high', reason: 1, by: 2, at: '3' }] })
  t.same(n.view('g1', T).override, { level: 'high', reason: '1', by: '2', at: 3, expiresAt: null })
})
