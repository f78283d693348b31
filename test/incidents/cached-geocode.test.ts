// The geocoder behind its cache and single-flight gate, with a counting fake geocoder and a fake
// clock: a stored answer sends no request, an expired one does, failures are never stored,
// identical lookups in flight share one request (its success or its failure), and queries that
// normalise alike share an entry only within one city.
import t from 'tap'
import { cachedGeocode } from '../../src/incidents/cached-geocode.js'
import { GeocodeCache } from '../../src/incidents/geocode-cache.js'
import type { GeocodeResult } from '../../src/incidents/geocoder.js'
import type { Place } from '../../src/wire/places.js'

const place = (name: string): Place => ({ name, kind: 'address', lat: 36.49, lon: 117.86, source: 'amap' })

function fake(answer: (q: string) => GeocodeResult = (q) => ({ ok: true, places: [place(q)] })) {
  const asked: string[] = []
  const waiting: Array<() => void> = []
  let hold = false
  const geocode = async (q: string): Promise<GeocodeResult> => {
    asked.push(q)
    if (hold) await new Promise<void>((resolve) => waiting.push(resolve))
    return answer(q)
  }
  return { geocode, asked, hold: (on: boolean) => { hold = on }, release: () => { for (const r of waiting.splice(0)) r() } }
}
const setup = (ttlMs = 60_000, size = 100) => {
  let at = 0
  const cache = new GeocodeCache({ ttlMs, size, now: () => at })
  return { cache, advance: (ms: number) => { at += ms } }
}

t.test('a second identical lookup is answered from the cache; an expired one asks again', async (t) => {
  const f = fake()
  const { cache, advance } = setup()
  const geo = cachedGeocode(f.geocode, cache, '淄博')
  t.same(await geo('人民广场'), { ok: true, places: [place('人民广场')], via: 'sent' })
  t.same(await geo(' 人民广场！'), { ok: true, places: [place('人民广场')], via: 'cache' }, 'normalised alike: the stored answer')
  t.same(f.asked, ['人民广场'], 'one request')
  advance(60_000)
  t.same((await geo('人民广场')).via, 'sent', 'expired: asked again')
  t.equal(f.asked.length, 2)
  const a = await geo('人民广场')
  const b = await geo('人民广场')
  t.not(a.ok && a.places, b.ok && b.places, 'each answer its own list')
})

t.test('failures are never stored', async (t) => {
  let fail = true
  const f = fake((q) => fail ? { ok: false, reason: 'timed out after 3000 ms' } : { ok: true, places: [place(q)] })
  const { cache } = setup()
  const geo = cachedGeocode(f.geocode, cache)
  t.same(await geo('火车站'), { ok: false, reason: 'timed out after 3000 ms', via: 'sent' })
  t.same(await geo('火车站'), { ok: false, reason: 'timed out after 3000 ms', via: 'sent' }, 'asked again')
  t.equal(cache.size, 0)
  fail = false
  t.equal((await geo('火车站')).via, 'sent')
  t.equal((await geo('火车站')).via, 'cache', 'the first success is stored')
  t.equal(f.asked.length, 3)
})

t.test('the city is part of the key', async (t) => {
  const f = fake()
  const { cache } = setup()
  const zibo = cachedGeocode(f.geocode, cache, '淄博')
  const jinan = cachedGeocode(f.geocode, cache, '济南')
  await zibo('火车站')
  t.equal((await jinan('火车站')).via, 'sent', 'another city: another request')
  t.equal((await zibo('火车站')).via, 'cache')
  t.equal((await zibo('火车站东广场')).via, 'sent', 'another query')
  t.equal(f.asked.length, 3)
})

t.test('identical lookups in flight share one request', async (t) => {
  const f = fake()
  const { cache } = setup()
  const geo = cachedGeocode(f.geocode, cache)
  f.hold(true)
  const first = geo('人民医院')
  const second = geo('人民医院 ')
  const other = geo('人民广场')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(f.asked, ['人民医院', '人民广场'], 'one request per distinct query')
  f.release()
  t.same(await first, { ok: true, places: [place('人民医院')], via: 'sent' })
  t.same(await second, { ok: true, places: [place('人民医院')], via: 'shared' })
  t.equal((await other).via, 'sent')
  t.not((await first).ok && (await first as { places: Place[] }).places, (await second as { places: Place[] }).places, 'each its own list')
  f.hold(false)
  t.equal((await geo('人民医院')).via, 'cache', 'and the answer is stored')
  t.equal(f.asked.length, 2)
})

t.test('a shared failure: every waiter gets it, none is stored, the next lookup asks again', async (t) => {
  const f = fake(() => ({ ok: false, reason: 'HTTP 500' }))
  const geo = cachedGeocode(f.geocode, setup().cache)
  f.hold(true)
  const lookups = [geo('派出所'), geo('派出所'), geo('派出所')]
  await new Promise((resolve) => setImmediate(resolve))
  f.release()
  t.same(await Promise.all(lookups), [
    { ok: false, reason: 'HTTP 500', via: 'sent' },
    { ok: false, reason: 'HTTP 500', via: 'shared' },
    { ok: false, reason: 'HTTP 500', via: 'shared' },
  ])
  f.hold(false)
  t.equal((await geo('派出所')).via, 'sent', 'nothing in flight, nothing stored')
  t.equal(f.asked.length, 2)
})

t.test('a geocoder that throws leaves nothing in flight', async (t) => {
  let calls = 0
  const geo = cachedGeocode(async () => {
    calls++
    throw new Error('bug')
  }, setup().cache)
  await t.rejects(geo('x'), /bug/)
  await t.rejects(geo('x'), /bug/)
  t.equal(calls, 2, 'the second lookup sent its own request')
})

t.test('cache disabled (TTL 0): every lookup not in flight is sent', async (t) => {
  const f = fake()
  const geo = cachedGeocode(f.geocode, setup(0).cache)
  await geo('a')
  t.equal((await geo('a')).via, 'sent')
  t.equal(f.asked.length, 2)
})
