// The `places` and `geocoder` config keys: defaults, closed objects, bad entries refused with a
// message naming the key, the geocoder's key resolved like every secret (and never echoed), and
// the gazetteer compiled at boot from places, posts, zones and fixed checkpoints.
import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { bootConfig } from '../../src/boot.js'
import { placeEntries } from '../../src/incidents/place-sources.js'

const square = [[[117.84, 36.47], [117.88, 36.47], [117.88, 36.51], [117.84, 36.51], [117.84, 36.47]]]

t.test('defaults: no places, no geocoder', async (t) => {
  const c = validateConfig({})
  t.same(c.places, [])
  t.same({ ...c.geocoder }, { provider: 'none', timeout: 3000, cache_ttl: 3_600_000, cache_size: 1000 })
  const one = validateConfig({ places: [{ name: '人民广场', lat: 36.49, lon: 117.86 }] })
  t.same({ ...one.places[0] }, { name: '人民广场', aliases: [], lat: 36.49, lon: 117.86, kind: 'landmark' })
})

t.test('bad places are refused with a message naming the key', async (t) => {
  const bad = (places: unknown[]) => () => validateConfig({ places })
  t.throws(bad([{ name: '广场', lat: 136.49, lon: 117.86 }]), /places\.0\.lat: Expected number to be less or equal to 90/)
  t.throws(bad([{ name: '', lat: 36.49, lon: 117.86 }]), /places\.0\.name: Expected string length greater or equal to 1/)
  t.throws(bad([{ name: '广场', lon: 117.86 }]), /places\.0\.lat: Expected required property/)
  t.throws(bad([{ name: '广场', lat: 36.49, lon: 117.86, kind: 'castle' }]), /places\.0\.kind/)
  t.throws(bad([{ name: '广场', lat: 36.49, lon: 117.86, alias: ['x'] }]), /places\.0\.alias: unknown key/)
  t.throws(bad([{ name: '广场', lat: 36.49, lon: 117.86, aliases: [''] }]), /places\.0\.aliases\.0/)
  t.throws(() => validateConfig({ geocoder: { provider: 'google' } }), /geocoder\.provider/)
  t.throws(() => validateConfig({ geocoder: { provider: 'amap', key: 'k', url: 'ftp://x' } }), /geocoder\.url/)
  t.throws(() => validateConfig({ geocoder: { provider: 'amap', secret: 'k' } }), /geocoder\.secret: unknown key/)
  t.throws(() => validateConfig({ geocoder: { cache_ttl: 'an hour' } }), /geocoder\.cache_ttl/)
  t.throws(() => validateConfig({ geocoder: { cache_size: 0 } }), /geocoder\.cache_size/)
  t.throws(() => validateConfig({ geocoder: { cache_size: 1.5 } }), /geocoder\.cache_size/)
  t.match(validateConfig({ geocoder: { cache_ttl: '30m', cache_size: 50 } }).geocoder, { cache_ttl: 1_800_000, cache_size: 50 }, 'the cache: a duration and a count')
  t.equal(validateConfig({ geocoder: { cache_ttl: 0 } }).geocoder.cache_ttl, 0, 'cache_ttl 0 (the cache off) is accepted')
})

t.test('the geocoder key: from key_env or key, required by a provider, never echoed', async (t) => {
  const c = validateConfig({ geocoder: { provider: 'amap', key_env: 'HEXP_AMAP', city: '淄博', timeout: '1500ms' } }, undefined, { HEXP_AMAP: 'amap-key-123' })
  t.same({ ...c.geocoder }, { provider: 'amap', key: 'amap-key-123', city: '淄博', timeout: 1500, cache_ttl: 3_600_000, cache_size: 1000 }, 'resolved: key_env is gone')
  t.throws(() => validateConfig({ geocoder: { provider: 'amap', key_env: 'HEXP_AMAP' } }, undefined, {}), /geocoder\.key_env: environment variable HEXP_AMAP is not set/)
  t.throws(() => validateConfig({ geocoder: { provider: 'tianditu' } }), /geocoder\.key_env: geocoder\.provider is tianditu, which needs the provider's key/)
  t.throws(() => validateConfig({ geocoder: { provider: 'amap', key: 'a', key_env: 'B' } }), /geocoder: give key or key_env, not both/)
  t.equal(validateConfig({ geocoder: { key: 'unused' } }).geocoder.key, 'unused', 'provider none: a key is kept, unused')
  let err = ''
  try {
    validateConfig({ geocoder: { key: 42 } })
  } catch (e) {
    err = (e as Error).message
  }
  t.match(err, /geocoder\.key: Expected string/)
  t.notMatch(err, /got 42/, 'a secret\'s value is not echoed')
})

t.test('the gazetteer at boot: places, then posts, zones, fixed checkpoints', async (t) => {
  const { stages, config } = bootConfig({
    places: [{ name: '火车站', name_en: 'Railway station', aliases: ['高铁站'], lat: 36.4801, lon: 117.8402, kind: 'transport' }],
    posts: [{ id: 'st-1', name: '东关派出所', name_en: 'Dongguan station', lat: 36.5, lon: 117.8, radius_m: 1200 }, { id: 'st-2', lat: 36.51, lon: 117.81, radius_m: 500 }],
    zones: [{ id: 'g1', name: '一号网格', geometry: { type: 'Polygon', coordinates: square } }, { id: 'g2', name_en: 'Grid 2', geometry: { type: 'Polygon', coordinates: square } }],
    plans: [
      { id: 'a', checkpoints: [{ name: '北门', lat: 36.49, lon: 117.86, nearest: 1 }] },
      { id: 'b', checkpoints: [{ name: '北门', lat: 36.49, lon: 117.86, nearest: 1 }, { name: '南门', name_en: 'South gate', lat: 36.48, lon: 117.86, nearest: 1 }] },
      { id: 'c', positions: 'scene', checkpoints: [{ name: '北出口', north_m: 800, nearest: 1 }] },
    ],
  })
  const entries = placeEntries(config)
  t.same(entries.map((e) => [e.name, e.source, e.kind]), [
    ['火车站', 'config', 'transport'],
    ['东关派出所', 'post', 'station'], ['st-2', 'post', 'station'],
    ['一号网格', 'zone', 'zone'], ['Grid 2', 'zone', 'zone'],
    ['北门', 'checkpoint', 'checkpoint'], ['南门', 'checkpoint', 'checkpoint'],
  ], 'a checkpoint repeated by two plans is one place; a scene-relative one has no position')
  t.match(entries[3], { lat: 36.49, lon: 117.86, aliases: ['g1'] }, 'a zone at a point inside it, found by its id too')
  t.equal(stages.places.size, entries.length)
  t.match(stages.places.search('高铁'), [{ name: '火车站', nameEn: 'Railway station' }])
  t.match(stages.places.search('dongguan'), [{ name: '东关派出所', source: 'post' }])
  t.match(stages.places.search('south gate'), [{ name: '南门', nameEn: 'South gate' }])
})
