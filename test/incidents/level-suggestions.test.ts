// Open level suggestions: one per zone, superseded by a newer one, closed once (accepted,
// dismissed, reached), late clicks told apart (closed vs unknown), a round trip through toJSON().
import t from 'tap'
import { LevelSuggestions, SuggestionError, type LevelSuggestion } from '../../src/incidents/level-suggestions.js'

const T = 1_000_000
const sug = (zoneId: string, at: number, to = 'high'): LevelSuggestion => ({ id: `patrol_level.suggested.${zoneId}.${at}`, zoneId, from: 'normal', to, incidents: 3, windowMs: 3_600_000, at })

t.test('one open per zone, oldest first; a newer one supersedes the older', async (t) => {
  const s = new LevelSuggestions()
  t.equal(s.add(sug('g2', T)), null)
  t.equal(s.add(sug('g1', T + 1)), null)
  t.same(s.list().map((x) => x.zoneId), ['g2', 'g1'])
  const old = s.add(sug('g2', T + 5))
  t.match(old, { id: sug('g2', T).id, status: 'superseded', closedBy: 'hexpatrol', closedAt: T + 5 })
  t.same(s.list().map((x) => x.id), [sug('g1', T + 1).id, sug('g2', T + 5).id])
  t.equal(s.add(sug('g2', T + 5)), null, 'the same suggestion again supersedes nothing')
  t.throws(() => s.get(sug('g2', T).id), { code: 'closed', message: /already closed \(superseded by hexpatrol\)/ }, 'a superseded one is closed')
  t.ok(new SuggestionError('closed', 'x') instanceof Error)
})

t.test('accepted and dismissed close once; unknown ids are not found', async (t) => {
  const s = new LevelSuggestions()
  s.add(sug('g1', T))
  s.add(sug('g2', T))
  t.match(s.resolve(sug('g1', T).id, 'accepted', 'sgt.wang', null, T + 10), { status: 'accepted', closedBy: 'sgt.wang', closedAt: T + 10, reason: null, zoneId: 'g1', to: 'high' })
  t.match(s.resolve(sug('g2', T).id, 'dismissed', 'sgt.li', 'a fair, not a crime wave', T + 11), { status: 'dismissed', reason: 'a fair, not a crime wave' })
  t.same(s.list(), [])
  t.throws(() => s.resolve(sug('g1', T).id, 'dismissed', 'x', null, T + 12), { code: 'closed' })
  t.throws(() => s.get('nope'), { code: 'not_found', message: 'no suggestion nope' })
})

t.test('settle closes those whose zone reached the suggested level', async (t) => {
  const s = new LevelSuggestions()
  s.add(sug('g1', T))
  s.add(sug('g2', T, 'emergency'))
  const closed = s.settle((x) => x.to === 'high', T + 3)
  t.same(closed.map((c) => [c.zoneId, c.status, c.closedBy]), [['g1', 'reached', 'hexpatrol']])
  t.same(s.list().map((x) => x.zoneId), ['g2'])
  t.same(s.settle(() => false, T + 4), [])
})

t.test('toJSON/restore: open and closed kept, bad entries and refused zones dropped; closed ones bounded', async (t) => {
  const s = new LevelSuggestions()
  s.add(sug('g1', T))
  s.add(sug('g2', T))
  s.add(sug('g3', T))
  s.resolve(sug('g1', T).id, 'dismissed', 'x', 'no', T + 1)
  const json = JSON.parse(JSON.stringify(s.toJSON())) as { open: unknown[]; closed: unknown[] }
  json.open.push({ id: 'bad' }, 42)
  json.closed.push({ ...sug('g9', T), status: 'eaten', closedAt: 1, closedBy: 'x' })
  const r = new LevelSuggestions()
  r.restore(json, (x) => x.zoneId !== 'g3')
  t.same(r.list().map((x) => x.zoneId), ['g2'])
  t.throws(() => r.get(sug('g1', T).id), { code: 'closed' })
  t.throws(() => r.get(sug('g9', T).id), { code: 'not_found' }, 'an unknown status is dropped')
  const all = new LevelSuggestions()
  all.restore(json)
  t.same(all.list().map((x) => x.zoneId), ['g2', 'g3'], 'without a filter every readable zone is kept')
  r.restore(null)
  t.same(r.list(), [])
  r.restore({ version: 2, open: [sug('g1', T)] })
  t.same(r.list(), [], 'another version is not read')
  const many = new LevelSuggestions()
  for (let i = 0; i < 250; i++) {
    many.add(sug('g1', T + i))
    many.resolve(sug('g1', T + i).id, 'dismissed', 'x', null, T + i)
  }
  t.equal(many.toJSON().closed.length, 200)
  t.throws(() => many.get(sug('g1', T).id), { code: 'not_found' }, 'the oldest closed ones are forgotten')
  t.throws(() => many.get(sug('g1', T + 249).id), { code: 'closed' })
})
