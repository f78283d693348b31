// The incidents config: defaults, plans with posts expanded, and every dangling reference named.
import t from 'tap'
import { compileIncidents } from '../../src/incidents/compile.js'
import { config, standardRaw, BASE } from '../rules/helpers.js'
import { bootConfig } from '../../src/boot.js'

t.test('defaults: ladder, base levels, search and hotspot settings', async (t) => {
  const s = compileIncidents(config(standardRaw()))
  t.same(s.ladder.map((l) => l.name), ['normal', 'enhanced', 'high', 'emergency'])
  t.match(s.ladder[2], { rank: 2, maxIntervalMs: 900_000, minRatio: 0.85, hotspotIntervalMs: 480_000 })
  t.notOk('maxIntervalMs' in s.ladder[0]!)
  t.same([...s.baseLevels], [['grid-2', 'normal']])
  t.match(s.search, { k: 5, detourFactor: 1.3, maxDistanceM: 0 })
  t.match(s.hotspots, { enabled: true, resolution: 9, windowMs: 90 * 86_400_000, topPerZone: 5, maxIntervalMs: 900_000 })
  t.match(s.rate, { threshold: 0, suggestLevel: 'enhanced', autoApply: false })
  t.equal(s.plans.size, 0)
})

t.test('plans: absolute and scene positions, posts expanded to their units', async (t) => {
  const s = compileIncidents(config(standardRaw({
    patrol_levels: { zones: { 'grid-2': 'high' } },
    plans: [
      { id: 'fixed', checkpoints: [{ name: 'Gate', lat: BASE.lat, lon: BASE.lon, units: ['O-003'], posts: ['station-03'] }] },
      { id: 'ring', name: 'Ring', positions: 'scene', dwell: '20s', checkpoints: [{ name: 'N', north_m: 500, units: ['P-017'], arrive_within: '3m', radius_m: 80 }, { name: 'Here', lat: 1, lon: 2, units: ['P-017'] }] },
    ],
  })))
  t.same([...s.baseLevels], [['grid-2', 'high']])
  t.same(s.plans.get('fixed'), { id: 'fixed', name: 'fixed', positions: 'absolute', dwellMs: 30_000, checkpoints: [{ name: 'Gate', lat: BASE.lat, lon: BASE.lon, units: ['O-003', 'P-017', 'P-020'], arriveWithinMs: 300_000, radiusM: 100 }] })
  t.same(s.plans.get('ring')!.checkpoints[0], { name: 'N', northM: 500, eastM: 0, units: ['P-017'], arriveWithinMs: 180_000, radiusM: 80 })
  t.match(s.plans.get('ring')!.checkpoints[1], { lat: 1, lon: 2 })
})

t.test('plan and checkpoint names: name in the engine\'s locale, nameEn as configured (like zones)', async (t) => {
  const plans = [{ id: 'robbery-ring', name: '抢劫案外围封控', name_en: 'Robbery ring', checkpoints: [{ name: '东桥', name_en: 'East bridge', lat: 1, lon: 2, units: ['P-017'] }, { name: '北口', lat: 1, lon: 2, units: ['P-017'] }] }]
  const zh = compileIncidents(config(standardRaw({ locale: 'zh-CN', plans }))).plans.get('robbery-ring')!
  t.match(zh, { name: '抢劫案外围封控', nameEn: 'Robbery ring', checkpoints: [{ name: '东桥', nameEn: 'East bridge' }, { name: '北口' }] })
  t.notOk('nameEn' in zh.checkpoints[1]!)
  const en = compileIncidents(config(standardRaw({ locale: 'en', plans }))).plans.get('robbery-ring')!
  t.match(en, { name: 'Robbery ring', nameEn: 'Robbery ring', checkpoints: [{ name: 'East bridge', nameEn: 'East bridge' }, { name: '北口' }] })
  const bare = compileIncidents(config(standardRaw({ plans: [{ id: 'x', checkpoints: [{ name: 'A', lat: 1, lon: 2, units: ['P-017'] }] }] }))).plans.get('x')!
  t.notOk('nameEn' in bare, 'none configured: no nameEn')
})

t.test('dangling references stop start-up with the key named', async (t) => {
  const cp = { name: 'c', lat: 1, lon: 2, units: ['P-017'] }
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ patrol_levels: { ladder: [{ name: 'a' }, { name: 'a' }] } }, /patrol_levels.ladder: level "a" appears twice/],
    [{ patrol_levels: { zones: { nope: 'normal' } } }, /patrol_levels.zones.nope: no zone with id "nope"/],
    [{ patrol_levels: { zones: { 'grid-2': 'red' } } }, /patrol_levels.zones.grid-2: no patrol level "red"/],
    [{ incidents: { rate: { threshold: 3, suggest_level: 'red' } } }, /incidents.rate.suggest_level: no patrol level "red"/],
    [{ plans: [{ id: 'p', checkpoints: [cp] }, { id: 'p', checkpoints: [cp] }] }, /plans: id "p" appears twice/],
    [{ plans: [{ id: 'p', checkpoints: [{ name: 'c', north_m: 5, units: ['P-017'] }] }] }, /plans.p.checkpoints.0: give lat and lon/],
    [{ plans: [{ id: 'p', positions: 'scene', checkpoints: [{ name: 'c', units: ['P-017'] }] }] }, /plans.p.checkpoints.0: give north_m\/east_m/],
    [{ plans: [{ id: 'p', checkpoints: [{ ...cp, units: ['X'] }] }] }, /plans.p.checkpoints.0.units: no unit with id "X"/],
    [{ plans: [{ id: 'p', checkpoints: [{ ...cp, posts: ['X'] }] }] }, /plans.p.checkpoints.0.posts: no post with id "X"/],
    [{ plans: [{ id: 'p', checkpoints: [{ ...cp, units: [] }] }] }, /plans.p.checkpoints.0: no responsible unit/],
  ]
  for (const [over, re] of cases) t.throws(() => bootConfig(standardRaw(over)), { code: 'HEXP_ERR_CONFIG', message: re })
})
