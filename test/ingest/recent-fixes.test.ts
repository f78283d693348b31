import t from 'tap'
import { pino } from 'pino'
import { RecentFixes, fixKey, seedRecentFixes } from '../../src/ingest/recent-fixes.js'

t.test('remembers recent fixes, evicting the oldest beyond capacity', async (t) => {
  const r = new RecentFixes(3)
  t.ok(r.add(fixKey('a', 1, 36.5, 117.8)))
  t.notOk(r.add(fixKey('a', 1, 36.5, 117.8)), 'a re-delivery is recognised')
  t.ok(r.add(fixKey('a', 1, 36.6, 117.8)), 'same time, other position: a different fix')
  r.add('k3')
  r.add('k4')
  t.equal(r.size, 3)
  t.ok(r.add(fixKey('a', 1, 36.5, 117.8)), 'the oldest key was evicted')
})

t.test('seeds from the journal\'s recent records, skipping other tables and garbage', async (t) => {
  const rec = Buffer.from([
    'p\t{"unit_id":"P-1","ts":1000,"lat":36.5,"lon":117.8,"h3":"1"}',
    'r\t{"reason":"invalid_json"}',
    'p\t{not json',
    'p\t{"unit_id":"P-1","ts":"1000","lat":36.5,"lon":117.8}',
    'p\t{"unit_id":"P-2","ts":2000,"lat":36.5,"lon":117.8}',
    '',
  ].join('\n'))
  const lines: string[] = []
  const r = seedRecentFixes({ recentRecords: () => [rec] }, pino({}, { write: (l: string) => lines.push(l) }), 10)
  t.equal(r.size, 2, 'two distinct fixes; the malformed rows match nothing')
  t.notOk(r.add(fixKey('P-1', 1000, 36.5, 117.8)))
  t.ok(r.has(fixKey('P-2', 2000, 36.5, 117.8)))
  t.match(lines.join(''), /"fixes":2.*Remembering recently accepted fixes/)
  const quiet: string[] = []
  t.equal(seedRecentFixes({ recentRecords: () => [] }, pino({}, { write: (l: string) => quiet.push(l) })).size, 0)
  t.same(quiet, [], 'nothing to remember, nothing logged')
})

t.test('evicts in insertion order across many wraps of its capacity (a re-delivery does not refresh a key)', async (t) => {
  const cap = 50
  const r = new RecentFixes(cap)
  for (let i = 0; i < 10 * cap + 7; i++) {
    t.ok(r.add(`k${i}`))
    if (i % 3 === 0) t.notOk(r.add(`k${i}`), 'a repeat is recognised and not stored twice')
  }
  t.equal(r.size, cap)
  const last = 10 * cap + 6
  t.ok(r.has(`k${last}`) && r.has(`k${last - cap + 1}`), 'the newest capacity keys are kept')
  t.notOk(r.has(`k${last - cap}`), 'the one before them was evicted')
  t.ok(r.add(`k${last - cap}`), 'and is new again')
  t.notOk(r.has(`k${last - cap + 1}`), 'which evicted the oldest kept key')
})

t.test('stays fast at capacity: eviction does not walk the Set\'s deleted entries', async (t) => {
  const cap = 20_000
  const r = new RecentFixes(cap)
  for (let i = 0; i < cap; i++) r.add(`w${i}`)
  const started = performance.now()
  for (let i = 0; i < 10 * cap; i++) r.add(`x${i}`)
  const ms = performance.now() - started
  // Through the Set's iterator this took seconds (every add skipped the deleted entries); a ring takes tens of ms.
  t.ok(ms < 2000, `200,000 adds at capacity in ${Math.round(ms)} ms`)
})
