// Names in the configured locale: the deployment reads name_en in English (units, posts, zones,
// priority cells), keeps name in Chinese, and the views carry nameEn for the live map in English.
// The sample deployment is in Chinese with English names beside.
import t from 'tap'
import { compileDeployment, displayName } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { loadConfig } from '../../src/config/load.js'
import { BASE, T0, config, square, standardRaw } from '../rules/helpers.js'

const raw = (locale: string) => standardRaw({
  locale,
  units: [{ id: 'P-017', kind: 'vehicle', name: '巡逻车 17 号', name_en: 'Patrol car 17', post: 'station-03', zone: 'grid-2' }, { id: 'P-020', kind: 'vehicle', name: '巡逻车 20 号' }],
  posts: [{ id: 'station-03', name: '城西派出所', name_en: 'Chengxi station', lat: BASE.lat, lon: BASE.lon, radius_m: 1500 }],
  zones: [{ id: 'grid-2', name: '2 号网格', name_en: 'Grid 2', geometry: square(BASE, 1000), coverage: { priority_cells: [{ lat: BASE.lat, lon: BASE.lon, name: '中心小学', name_en: 'Central school' }] } }],
})

t.test('display names by locale', async (t) => {
  t.equal(displayName('中', 'en', 'en'), 'en')
  t.equal(displayName('中', undefined, 'en'), '中')
  t.equal(displayName('中', 'en', 'zh-CN'), '中')
  t.equal(displayName(undefined, undefined, 'zh-CN'), undefined)
  const en = compileDeployment(config(raw('en')))
  t.equal(en.units.get('P-017')!.name, 'Patrol car 17')
  t.equal(en.units.get('P-020')!.name, '巡逻车 20 号', 'no name_en: the name')
  t.equal(en.posts.get('station-03')!.name, 'Chengxi station')
  t.equal(en.zones[0]!.name, 'Grid 2')
  t.equal(en.zones[0]!.coverage.priority[0]!.name, 'Central school')
  const zh = compileDeployment(config(raw('zh-CN')))
  t.equal(zh.units.get('P-017')!.name, '巡逻车 17 号')
  t.equal(zh.units.get('P-017')!.nameEn, 'Patrol car 17')
  t.equal(zh.units.get('P-020')!.nameEn, undefined)
  t.equal(zh.posts.get('station-03')!.name, '城西派出所')
  t.equal(zh.posts.get('station-03')!.nameEn, 'Chengxi station')
  t.equal(zh.zones[0]!.name, '2 号网格')
  t.equal(zh.zones[0]!.coverage.priority[0]!.name, '中心小学')
})

t.test('the views carry nameEn for the live map in English', async (t) => {
  const e = new RuleEngine(compileDeployment(config(raw('zh-CN'))), { startedAt: T0 })
  const units = e.units(T0)
  t.match(units.find((u) => u.id === 'P-017'), { name: '巡逻车 17 号', nameEn: 'Patrol car 17' })
  t.notOk('nameEn' in units.find((u) => u.id === 'P-020')!)
  t.match(e.zones(T0)[0], { name: '2 号网格', nameEn: 'Grid 2' })
})

t.test('the sample deployment: Chinese names, English beside, locale zh-CN', async (t) => {
  const { config: c } = loadConfig({ path: 'config/hexpatrol.yaml', env: {} })
  t.equal(c.locale, 'zh-CN')
  for (const x of [...c.units, ...c.posts, ...c.zones]) {
    t.match(x.name, /[\u4e00-\u9fff]/, `${x.id} has a Chinese name`)
    t.match(x.name_en, /^[ -~]+$/, `${x.id} has an English one`)
  }
  t.equal(loadConfig({ path: 'config/hexpatrol.yaml', env: { HEXPATROL_LOCALE: 'en' } }).config.locale, 'en', 'HEXPATROL_LOCALE overrides it')
  t.throws(() => loadConfig({ path: 'config/hexpatrol.yaml', env: { HEXPATROL_LOCALE: 'fr' } }), /locale/)
})
