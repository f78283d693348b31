// A plan sent through the API is checked and compiled by the config's own schema and compiler:
// same shape and units (durations, metres, posts expanded), refusals naming the field.
import t from 'tap'
import { compileIncidents } from '../../src/incidents/compile.js'
import { parsePlanBody } from '../../src/incidents/plan-body.js'
import { PlanError } from '../../src/incidents/plans.js'
import { config, standardRaw } from '../rules/helpers.js'

const ctx = compileIncidents(config(standardRaw())).planContext
const refusal = (body: unknown, id?: string): string => {
  try {
    parsePlanBody(body, ctx, id)
  } catch (err) {
    if (err instanceof PlanError && err.code === 'bad_request') return err.message
    throw err
  }
  throw new Error('accepted')
}

t.test('a body compiles like a config entry: defaults, durations, posts expanded, nearest kept', async (t) => {
  const spec = parsePlanBody({
    id: 'ring', name: '外围封控', name_en: 'Outer ring', positions: 'scene', dwell: '20s',
    checkpoints: [
      { name: 'North', name_en: 'North gate', north_m: 300, posts: ['station-03'], arrive_within: '4m' },
      { name: 'East', east_m: 250, nearest: 2, radius_m: 60 },
    ],
  }, ctx)
  t.same(spec, {
    id: 'ring', name: 'Outer ring', nameEn: 'Outer ring', positions: 'scene', dwellMs: 20_000,
    checkpoints: [
      { name: 'North gate', nameEn: 'North gate', northM: 300, eastM: 0, units: ['P-017', 'P-020'], arriveWithinMs: 240_000, radiusM: 100 },
      { name: 'East', northM: 0, eastM: 250, units: [], nearest: 2, arriveWithinMs: 300_000, radiusM: 60 },
    ],
  }, 'locale en: English names (nameEn kept as configured); the config\'s defaults')
  const zh = parsePlanBody({ id: 'ring', name: '外围封控', name_en: 'Outer ring', checkpoints: [{ name: '东桥', name_en: 'East bridge', lat: 1, lon: 2, units: ['P-017'] }, { name: '北口', lat: 1, lon: 2, units: ['P-017'] }] }, { ...ctx, locale: 'zh-CN' })
  t.match(zh, { name: '外围封控', nameEn: 'Outer ring', checkpoints: [{ name: '东桥', nameEn: 'East bridge' }, { name: '北口' }] }, 'locale zh-CN: the Chinese names, the English ones beside them')
  t.notOk('nameEn' in zh.checkpoints[1]!, 'no nameEn where none is configured')
  t.same(compileIncidents(config(standardRaw({ plans: [{ id: 'x', checkpoints: [{ name: 'A', lat: 36.49, lon: 117.86, nearest: 3 }] }] }))).plans.get('x')?.checkpoints[0], { name: 'A', lat: 36.49, lon: 117.86, units: [], nearest: 3, arriveWithinMs: 300_000, radiusM: 100 }, 'nearest in the YAML too')
})

t.test('refusals name the field', async (t) => {
  t.match(refusal([]), /must be a plan object/)
  t.match(refusal({ id: 'p', checkpoints: [] }), /^checkpoints: /)
  t.match(refusal({ checkpoints: [{ name: 'A', lat: 1, lon: 2, units: ['P-017'] }] }), /^id: /)
  t.match(refusal({ id: 'p', checkpoints: [{ name: 'A', lat: 1, lon: 2, units: ['P-017'], colour: 'red' }] }), /^checkpoints\.0\.colour: unknown key/)
  t.match(refusal({ id: 'p', checkpoints: [{ name: 'A', lat: 91, lon: 2, units: ['P-017'] }] }), /^checkpoints\.0\.lat: .*\(got 91\)/)
  t.match(refusal({ id: 'p', checkpoints: [{ name: 'A', lat: 1, lon: 2, units: ['P-017'], arrive_within: 'soon' }] }), /^checkpoints\.0\.arrive_within: /)
  t.match(refusal({ id: 'p', checkpoints: [{ name: 'A', lat: 1, lon: 2, nearest: 0 }] }), /^checkpoints\.0\.nearest: /)
  t.equal(refusal({ id: 'p', checkpoints: [{ name: 'A', lat: 1, lon: 2, units: ['P-999'] }] }), 'checkpoints.0.units: no unit with id "P-999"')
  t.equal(refusal({ id: 'p', checkpoints: [{ name: 'A', lat: 1, lon: 2, posts: ['nope'] }] }), 'checkpoints.0.posts: no post with id "nope"')
  t.equal(refusal({ id: 'p', checkpoints: [{ name: 'A', lat: 1, lon: 2 }] }), 'checkpoints.0: no responsible unit (give units, posts with units, or nearest: N)')
  t.equal(refusal({ id: 'p', checkpoints: [{ name: 'A', north_m: 10, units: ['P-017'] }] }), 'checkpoints.0: give lat and lon (the plan\'s positions are absolute)')
  t.match(refusal({ id: 'q', checkpoints: [{ name: 'A', lat: 1, lon: 2, units: ['P-017'] }] }, 'p'), /^id: the body names plan "q" but the URL names p/)
})

t.test('PUT: the URL names the plan; the body may leave its id out', async (t) => {
  t.equal(parsePlanBody({ checkpoints: [{ name: 'A', lat: 1, lon: 2, units: ['P-017'] }] }, ctx, 'p').id, 'p')
  t.equal(parsePlanBody({ id: 'p', checkpoints: [{ name: 'A', lat: 1, lon: 2, units: ['P-017'] }] }, ctx, 'p').id, 'p')
})
