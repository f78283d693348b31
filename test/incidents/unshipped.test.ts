// The read model of incidents journaled but not yet in ClickHouse: first copy wins, filters and
// order like the store's query, ids leave when shipped (with an event), waits bounded.
import t from 'tap'
import { UnshippedIncidents } from '../../src/incidents/unshipped.js'
import type { IncidentRecord } from '../../src/incidents/incident-journal.js'

const rec = (id: string, ts: number, o: Partial<IncidentRecord> = {}): IncidentRecord => ({ id, type: 'theft', priority: 3, ts, lat: 1, lon: 2, address: '', description: '', zone: 'g1', source: 'api', createdAt: ts + 1, ...o })

t.test('holds, filters, orders like the store; first copy wins', async (t) => {
  const u = new UnshippedIncidents()
  u.add(rec('B', 20))
  u.add(rec('A', 20, { type: 'robbery' }))
  u.add(rec('C', 10, { zone: '' }))
  u.add(rec('A', 99))
  t.equal(u.size, 3)
  t.same(u.get('A'), { id: 'A', type: 'robbery', priority: 3, ts: 20, lat: 1, lon: 2, address: '', description: '', zone: 'g1' }, 'the first copy, without source and createdAt')
  t.equal(u.get('Z'), null)
  t.same(u.query({ from: 0, to: 100, limit: 10 }).map((r) => r.id), ['A', 'B', 'C'], 'newest first, then id')
  t.same(u.query({ from: 0, to: 100, limit: 1 }).map((r) => r.id), ['A'])
  t.same(u.query({ from: 15, to: 100, limit: 10 }).map((r) => r.id), ['A', 'B'])
  t.same(u.query({ from: 0, to: 15, limit: 10 }).map((r) => r.id), ['C'])
  t.same(u.query({ from: 0, to: 100, type: 'robbery', limit: 10 }).map((r) => r.id), ['A'])
  t.same(u.query({ from: 0, to: 100, zone: 'g1', limit: 10 }).map((r) => r.id), ['A', 'B'])
  t.same(u.query({ from: 0, to: 100, id: 'B', limit: 10 }).map((r) => r.id), ['B'])
  t.same(u.query({ from: 0, to: 100, type: '', zone: '', id: '', limit: 10 }).length, 3, 'empty filters match all')
  t.same(u.zonedSince(15), [{ id: 'B', zoneId: 'g1', ts: 20 }, { id: 'A', zoneId: 'g1', ts: 20 }], 'zoned ones in the window')
  for (const id of ['Z', 'X', 'Y']) u.add(rec(id, 50))
  t.same(u.query({ from: 50, to: 50, limit: 10 }).map((r) => r.id), ['X', 'Y', 'Z'], 'same time: by id, whatever the order of arrival')
  u.drop(['C', 'nope'])
  t.notOk(u.has('C'))
})

t.test('shipped ids leave, with an event; waits resolve or time out', async (t) => {
  const u = new UnshippedIncidents()
  u.add(rec('A', 1))
  u.add(rec('B', 2))
  const events: number[] = []
  u.on('shipped', (n: number) => events.push(n))
  t.equal(await u.whenShipped(['Z'], 10), true, 'nothing held: at once')
  t.equal(await u.whenShipped(['A'], 20), false, 'timed out')
  const both = u.whenShipped(['A', 'B'], 5000)
  u.shipped(['A', 'X'])
  u.shipped(['X'])
  t.same(events, [1], 'only ids it held count; none: no event')
  u.shipped(['B'])
  t.equal(await both, true)
  t.same(events, [1, 1])
  t.equal(u.size, 0)
})
