// Merging the offline and online places: an online place with an offline place's (normalised) name
// within 300 m is dropped, the offline one kept; a different name or a farther point keeps both;
// the limit holds, and a dropped duplicate's offline twin is always listed.
import t from 'tap'
import { DUPLICATE_RADIUS_M, mergePlaces, samePlace } from '../../src/incidents/merge-places.js'
import { Gazetteer, type PlaceEntry } from '../../src/incidents/places.js'
import { metresPerDegree } from '../../src/geo/distance.js'
import type { Place } from '../../src/wire/places.js'

const LAT = 36.49
const LON = 117.86
const { perLat } = metresPerDegree(LAT)
const north = (m: number) => LAT + m / perLat
const entry = (name: string, extra: Partial<PlaceEntry> = {}): PlaceEntry => ({ name, aliases: [], kind: 'landmark', lat: LAT, lon: LON, source: 'config', ...extra })
const online = (name: string, metresNorth = 0): Place => ({ name, kind: '兴趣点', lat: north(metresNorth), lon: LON, source: 'amap' })

const g = new Gazetteer([
  entry('人民广场', { aliases: ['人广'], nameEn: 'People\'s Square' }),
  entry('人民广场东门', { lat: north(2000) }),
  entry('东关派出所', { source: 'post', kind: 'station', aliases: ['st-1'], lat: north(5000) }),
])
const names = (p: Place) => g.names(p)

t.test('samePlace: a same normalised name (name, English name or alias) within 300 m', async (t) => {
  const [square] = g.search('人民广场', 1) as [Place]
  t.ok(samePlace(online('人民广场'), square, names(square)))
  t.ok(samePlace(online('人民 广场！', DUPLICATE_RADIUS_M - 1), square, names(square)), 'normalised, 299 m away')
  t.ok(samePlace(online('PEOPLE\'S SQUARE', 100), square, names(square)), 'its English name')
  t.ok(samePlace(online('人广', 100), square, names(square)), 'an alias')
  t.notOk(samePlace(online('人民广场', DUPLICATE_RADIUS_M + 1), square, names(square)), '301 m away: another place')
  t.notOk(samePlace(online('淄博市人民广场'), square, names(square)), 'another name')
  t.same(g.names(online('人民广场')), [], 'a place the gazetteer did not answer has no names')
})

t.test('mergePlaces: the duplicate dropped, the offline place kept with its source', async (t) => {
  const offline = g.search('人民广场', 8)
  t.equal(offline.length, 2)
  const merged = mergePlaces(offline, [online('人民广场', 120), online('淄博市人民广场', 50), online('人民广场东门', 900)], 8, names)
  t.same(merged.map((p) => [p.name, p.source]), [['人民广场', 'config'], ['人民广场东门', 'config'], ['淄博市人民广场', 'amap'], ['人民广场东门', 'amap']], 'different name, or same name 1.1 km from the offline one: both stay')
  t.same(mergePlaces(offline, [], 8, names), offline, 'no online places')
  t.same(mergePlaces([], [online('人民广场')], 8, names).map((p) => p.source), ['amap'], 'no offline places')
  const station = g.search('st-1', 8)
  t.same(mergePlaces(station, [online('东关派出所', 5030)], 8, names).map((p) => p.source), ['post'], 'a post found by its id: its geocoded twin dropped')
})

t.test('mergePlaces: the limit, online places at the end, an offline twin always listed', async (t) => {
  const offline = g.search('人民广场', 8)
  t.same(mergePlaces(offline, [online('x'), online('y'), online('z')], 2, names).map((p) => p.name), ['x', 'y'], 'the online places keep their slots')
  t.same(mergePlaces(offline, [online('x')], 2, names).map((p) => p.name), ['人民广场', 'x'])
  // Limit 2 with two online places would leave no offline slot: the offline twin takes its online
  // twin's slot, so the place is listed once, not lost.
  t.same(mergePlaces(offline, [online('人民广场'), online('x')], 2, names).map((p) => [p.name, p.source]), [['人民广场', 'config'], ['x', 'amap']], 'the twin dropped, its offline place listed')
  t.same(mergePlaces(offline, [online('x'), online('人民广场东门', 2000)], 1, names).map((p) => p.name), ['x'], 'limit 1: the first online place')
  t.same(mergePlaces(offline, [online('人民广场东门', 2000), online('x')], 2, names).map((p) => [p.name, p.source]), [['人民广场东门', 'config'], ['x', 'amap']], 'the second offline place listed in its twin\'s slot, ahead of the first')
  t.same(mergePlaces(offline, [online('人民广场'), online('人民广场', 10)], 3, names).map((p) => [p.name, p.source]), [['人民广场', 'config'], ['人民广场东门', 'config']], 'two twins of one place: it is listed once, the freed slot goes to the next offline place')
  t.same(mergePlaces(offline, [online('人民广场东门', 2000), online('人民广场')], 2, names).map((p) => [p.name, p.source]), [['人民广场', 'config'], ['人民广场东门', 'config']], 'two twins: both offline places listed in their slots')
})
