// The offline gazetteer: Chinese and English queries, the ranking (exact > prefix > substring >
// characters in order, shorter names first on ties), aliases, normalisation and the bounds.
import t from 'tap'
import { Gazetteer, MAX_LIMIT, MAX_QUERY_CHARS, RANK, normalise, rankName, type PlaceEntry } from '../../src/incidents/places.js'

const at = { lat: 36.49, lon: 117.86 }
const place = (name: string, extra: Partial<PlaceEntry> = {}): PlaceEntry => ({ name, aliases: [], kind: 'landmark', ...at, source: 'config', ...extra })

const g = new Gazetteer([
  place('人民广场', { nameEn: 'People\'s Square', aliases: ['人广'] }),
  place('人民广场东门', { nameEn: 'People\'s Square east gate' }),
  place('人民医院', { nameEn: 'People\'s Hospital', kind: 'hospital' }),
  place('火车站', { nameEn: 'Railway station', aliases: ['高铁站', 'railway'], kind: 'transport' }),
  place('东关派出所', { source: 'post', kind: 'station', aliases: ['station-03'] }),
  place('新华路菜市场', { nameEn: 'Xinhua Road market', kind: 'market' }),
])

t.test('normalise: NFKC, lower case, no spaces or punctuation', async (t) => {
  t.equal(normalise('  People\'s  Square '), 'peoplessquare')
  t.equal(normalise('人民广场（东门）'), '人民广场东门', 'full-width brackets are punctuation')
  t.equal(normalise('ＡＢＣ１２３'), 'abc123', 'full-width letters and digits become half-width')
  t.equal(normalise('火车站·北广场'), '火车站北广场')
  t.equal(normalise(' ，。！'), '')
})

t.test('rankName: exact, prefix, substring, in order, none', async (t) => {
  t.equal(rankName('人民广场', '人民广场'), RANK.exact)
  t.equal(rankName('人民广场东门', '人民广场'), RANK.prefix)
  t.equal(rankName('人民广场东门', '广场'), RANK.substring)
  t.equal(rankName('人民广场东门', '人广东'), RANK.inOrder)
  t.equal(rankName('人民广场', '广人'), null, 'out of order')
  t.equal(rankName('人民', '人民广场'), null, 'longer than the name')
})

t.test('Chinese queries rank exact > prefix > substring > in order, shorter first', async (t) => {
  t.same(g.search('人民广场').map((p) => p.name), ['人民广场', '人民广场东门'], 'exact first, then the prefix')
  t.same(g.search('人民').map((p) => p.name), ['人民广场', '人民医院', '人民广场东门'], 'all prefixes: the shorter names first (equal lengths in the entries\' order)')
  t.same(g.search('东门').map((p) => p.name), ['人民广场东门'], 'a substring')
  t.same(g.search('人广东').map((p) => p.name), ['人民广场东门'], 'characters in order')
  t.same(g.search('人广').map((p) => p.name).slice(0, 1), ['人民广场'], 'an alias matches exactly, ahead of in-order matches')
  t.same(g.search('派出所').map((p) => p.source), ['post'])
  t.same(g.search('高铁站').map((p) => p.name), ['火车站'], 'by alias')
  t.same(g.search('菜市场').map((p) => p.kind), ['market'])
  t.same(g.search('机场'), [], 'no match')
})

t.test('English queries: case, spaces and punctuation do not matter', async (t) => {
  t.same(g.search('peoples square').map((p) => p.name), ['人民广场', '人民广场东门'])
  t.same(g.search('RAILWAY').map((p) => p.name), ['火车站'], 'the alias is exact, the English name a prefix: one place, once')
  t.same(g.search('station-03').map((p) => p.name), ['东关派出所'], 'an id alias')
  t.same(g.search('hospital').map((p) => p.nameEn), ['People\'s Hospital'])
  t.match(g.search('xinhua')[0], { name: '新华路菜市场', nameEn: 'Xinhua Road market', kind: 'market', lat: 36.49, lon: 117.86, source: 'config' })
  t.notOk('aliases' in (g.search('xinhua')[0] as object), 'aliases stay in the index')
})

t.test('bounds: the limit (default 8, at most 20), the query length, empty queries', async (t) => {
  const many = new Gazetteer(Array.from({ length: 30 }, (_, i) => place(`站${String(i).padStart(2, '0')}`)))
  t.equal(many.size, 30)
  t.equal(many.search('站').length, 8, 'default 8')
  t.equal(many.search('站', 3).length, 3)
  t.equal(many.search('站', 100).length, MAX_LIMIT, 'at most 20')
  t.equal(many.search('站', 0).length, 1, 'at least 1')
  t.same(many.search('站', 2).map((p) => p.name), ['站00', '站01'], 'ties keep the entries\' order')
  t.same(g.search('  '), [], 'nothing to look for')
  t.same(g.search('！？'), [])
  t.same(g.search('人民广场' + 'x'.repeat(MAX_QUERY_CHARS)).map((p) => p.name), [], 'only the first characters count (and these match nothing)')
  t.same(g.search('人民广场' + ' '.repeat(MAX_QUERY_CHARS)).map((p) => p.name), ['人民广场', '人民广场东门'], 'a long tail cut off')
})
