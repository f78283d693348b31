import t from 'tap'
import { RecentFixes, fixKey } from '../../src/ingest/recent-fixes.js'

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

t.test('seeds from journal records, skipping other tables and garbage', async (t) => {
  const r = new RecentFixes(100)
  const rec = Buffer.from([
    'p\t{"unit_id":"P-1","ts":1000,"lat":36.5,"lon":117.8,"h3":"1"}',
    'r\t{"reason":"invalid_json"}',
    'p\t{not json',
    'p\t{"unit_id":"P-1","ts":1000,"lat":36.5,"lon":117.8}',
    '',
  ].join('\n'))
  t.equal(r.seedFromRecords([rec]), 1, 'one distinct fix')
  t.notOk(r.add(fixKey('P-1', 1000, 36.5, 117.8)))
})
