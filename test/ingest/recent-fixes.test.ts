import t from 'tap'
import { pino } from 'pino'
import { RecentFixes, fixHash, fixKey, seedRecentFixes } from '../../src/ingest/recent-fixes.js'

t.test('remembers recent fixes, evicting the oldest beyond capacity', async (t) => {
  const r = new RecentFixes(3)
  t.ok(r.add('a', 1, 36.5, 117.8))
  t.notOk(r.add('a', 1, 36.5, 117.8), 'a re-delivery is recognised')
  t.ok(r.add('a', 1, 36.6, 117.8), 'same time, other position: a different fix')
  t.ok(r.add('a', 1, 36.5, 117.9), 'other longitude: a different fix')
  t.ok(r.add('b', 1, 36.5, 117.8), 'other unit: a different fix')
  t.equal(r.size, 3)
  t.notOk(r.has('a', 1, 36.5, 117.8), 'the oldest fix was evicted')
  t.ok(r.add('a', 1, 36.5, 117.8), 'and is new again')
  t.ok(r.has('b', 1, 36.5, 117.8))
})

t.test('a position of 0 and of -0 is the same fix, as their text is', async (t) => {
  const r = new RecentFixes(10)
  t.equal(fixHash('u', 5, 0, 117), fixHash('u', 5, -0, 117))
  t.equal(fixKey('u', 5, 0, 117), fixKey('u', 5, -0, 117))
  t.ok(r.add('u', 5, -0, 117))
  t.notOk(r.add('u', 5, 0, 117))
  t.ok(r.has('u', 5, 0, 117))
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
  t.notOk(r.add('P-1', 1000, 36.5, 117.8))
  t.ok(r.has('P-2', 2000, 36.5, 117.8))
  t.match(lines.join(''), /"fixes":2.*Remembering recently accepted fixes/)
  const quiet: string[] = []
  t.equal(seedRecentFixes({ recentRecords: () => [] }, pino({}, { write: (l: string) => quiet.push(l) })).size, 0)
  t.same(quiet, [], 'nothing to remember, nothing logged')
})

t.test('evicts in insertion order across many wraps of its capacity (a re-delivery does not refresh a fix)', async (t) => {
  const cap = 50
  const r = new RecentFixes(cap)
  for (let i = 0; i < 10 * cap + 7; i++) {
    t.ok(r.add(`k${i}`, i, 36, 117))
    if (i % 3 === 0) t.notOk(r.add(`k${i}`, i, 36, 117), 'a repeat is recognised and not stored twice')
  }
  t.equal(r.size, cap)
  const last = 10 * cap + 6
  t.ok(r.has(`k${last}`, last, 36, 117) && r.has(`k${last - cap + 1}`, last - cap + 1, 36, 117), 'the newest capacity fixes are kept')
  t.notOk(r.has(`k${last - cap}`, last - cap, 36, 117), 'the one before them was evicted')
  t.ok(r.add(`k${last - cap}`, last - cap, 36, 117), 'and is new again')
  t.notOk(r.has(`k${last - cap + 1}`, last - cap + 1, 36, 117), 'which evicted the oldest kept fix')
})

/** The filter as it was written first, a Set of fixKey strings with a ring: the reference. */
class Reference {
  private readonly keys = new Set<string>()
  private readonly ring: Array<string | undefined>
  private next = 0
  constructor(capacity: number) {
    this.ring = new Array<string | undefined>(capacity).fill(undefined)
  }
  has(k: string): boolean {
    return this.keys.has(k)
  }
  add(k: string): boolean {
    if (this.keys.has(k)) return false
    const oldest = this.ring[this.next]
    if (oldest !== undefined) this.keys.delete(oldest)
    this.ring[this.next] = k
    this.next = (this.next + 1) % this.ring.length
    this.keys.add(k)
    return true
  }
  get size(): number {
    return this.keys.size
  }
}

t.test('answers as the Set of strings did, over long random runs with many repeats and collisions', async (t) => {
  // A seeded generator: the run is the same every time, and a failure names its step.
  let seed = 12345
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return (seed >>> 8) % n
  }
  for (const cap of [1, 2, 3, 7, 64, 1000]) {
    const r = new RecentFixes(cap)
    const ref = new Reference(cap)
    let mismatches = 0
    let repeats = 0
    for (let step = 0; step < 60_000; step++) {
      // Few distinct values per field: most fixes repeat one seen a little earlier, some long gone.
      const unit = `U-${rand(4)}`
      const ts = 1_796_600_000_000 + rand(cap + 8) * 1000
      const lat = 36.4 + rand(3) * 1e-5
      const lon = rand(10) === 0 ? -0 : 117.7 + rand(2) * 1e-5
      const key = fixKey(unit, ts, lat, lon)
      if (rand(3) === 0) {
        if (r.has(unit, ts, lat, lon) !== ref.has(key)) mismatches++
      } else {
        const added = r.add(unit, ts, lat, lon)
        if (added !== ref.add(key)) mismatches++
        if (!added) repeats++
      }
      if (r.size !== ref.size) mismatches++
    }
    t.equal(mismatches, 0, `capacity ${cap}: every answer and size as the reference (${repeats} repeats recognised)`)
    t.ok(repeats > 100, `capacity ${cap}: the run exercised repeats (${repeats})`)
  }
})

t.test('stays fast at capacity', async (t) => {
  const cap = 20_000
  const r = new RecentFixes(cap)
  for (let i = 0; i < cap; i++) r.add(`w${i % 300}`, i, 36.5, 117.8)
  const started = performance.now()
  for (let i = 0; i < 10 * cap; i++) r.add(`x${i % 300}`, i, 36.5 + i * 1e-7, 117.8)
  const ms = performance.now() - started
  // Through a Set's iterator eviction took seconds (every add skipped the deleted entries); the ring takes tens of ms.
  t.ok(ms < 2000, `200,000 adds at capacity in ${Math.round(ms)} ms`)
  t.equal(r.size, cap)
})
