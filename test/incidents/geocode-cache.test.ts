// The geocoder's answer cache on a fake clock: a hit, expiry at the TTL, least-recently-used
// eviction at the bound, disabled by a TTL of 0, and keys by city and normalised query.
import t from 'tap'
import { GeocodeCache, cacheKey } from '../../src/incidents/geocode-cache.js'
import { MAX_QUERY_CHARS } from '../../src/incidents/places.js'
import type { Place } from '../../src/wire/places.js'

const place = (name: string): Place => ({ name, kind: 'address', lat: 36.49, lon: 117.86, source: 'amap' })
const clock = () => {
  let at = 1_000_000
  return { now: () => at, advance: (ms: number) => { at += ms } }
}

t.test('a stored answer is served until its TTL, then dropped', async (t) => {
  const c = clock()
  const cache = new GeocodeCache({ ttlMs: 60_000, size: 10, now: c.now })
  t.ok(cache.enabled)
  t.equal(cache.get('k'), undefined, 'nothing stored')
  cache.set('k', [place('人民广场')])
  t.same(cache.get('k'), [place('人民广场')], 'a hit')
  c.advance(59_999)
  t.same(cache.get('k'), [place('人民广场')], 'still fresh 1 ms before the TTL')
  c.advance(1)
  t.equal(cache.get('k'), undefined, 'expired at the TTL')
  t.equal(cache.size, 0, 'the expired entry is dropped')
  cache.set('empty', [])
  t.same(cache.get('empty'), [], 'an answer with no places is an answer too')
})

t.test('the TTL counts from storing, not from the last hit', async (t) => {
  const c = clock()
  const cache = new GeocodeCache({ ttlMs: 1000, size: 10, now: c.now })
  cache.set('k', [place('a')])
  c.advance(600)
  t.ok(cache.get('k'))
  c.advance(600)
  t.equal(cache.get('k'), undefined)
  cache.set('k', [place('b')])
  c.advance(600)
  t.same(cache.get('k'), [place('b')], 'stored again: a fresh TTL')
})

t.test('at the bound the least recently used goes first', async (t) => {
  const c = clock()
  const cache = new GeocodeCache({ ttlMs: 60_000, size: 3, now: c.now })
  for (const k of ['a', 'b', 'c']) cache.set(k, [place(k)])
  t.ok(cache.get('a'), 'a used: b is now the least recently used')
  cache.set('d', [place('d')])
  t.equal(cache.size, 3, 'bounded')
  t.equal(cache.get('b'), undefined, 'b evicted')
  t.ok(cache.get('a') && cache.get('c') && cache.get('d'), 'the rest kept')
  cache.set('c', [place('c2')])
  cache.set('e', [place('e')])
  t.equal(cache.get('a'), undefined, 'a, now the least recently used, evicted')
  t.same(cache.get('c'), [place('c2')], 'storing again replaces and refreshes')
  t.equal(cache.size, 3)
})

t.test('a TTL of 0 keeps nothing', async (t) => {
  const cache = new GeocodeCache({ ttlMs: 0, size: 100, now: () => 0 })
  t.notOk(cache.enabled)
  cache.set('k', [place('a')])
  t.equal(cache.get('k'), undefined)
  t.equal(cache.size, 0)
  t.notOk(new GeocodeCache({ ttlMs: 1000, size: 0, now: () => 0 }).enabled, 'nor a size of 0')
})

t.test('keys: the query normalised like the gazetteer, and the city', async (t) => {
  t.equal(cacheKey('人民广场'), cacheKey(' 人民广场（东门）'.replace('（东门）', '')), 'spaces do not matter')
  t.equal(cacheKey('ＰＥＯＰＬＥ\'S Square'), cacheKey('peoples square'), 'full-width, case and punctuation do not matter')
  t.not(cacheKey('人民广场'), cacheKey('人民广场东门'), 'different places')
  t.not(cacheKey('人民广场', '淄博'), cacheKey('人民广场', '济南'), 'different cities')
  t.not(cacheKey('人民广场', '淄博'), cacheKey('人民广场'), 'a city or none')
  t.equal(cacheKey('火车站', '0533'), cacheKey('火车站 ', '0533'))
  t.equal(cacheKey('a'.repeat(MAX_QUERY_CHARS) + 'b'), cacheKey('a'.repeat(MAX_QUERY_CHARS)), 'only the characters a lookup considers')
})
