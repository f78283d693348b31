import t from 'tap'
import { createTopicRouter, isValidUnitId, subscriptionSpecs } from '../../src/decode/topic-router.js'
import { validateConfig } from '../../src/config/load.js'
import { createDecoder, decoderOptionsFromConfig } from '../../src/decode/decoder.js'
import { HexpatrolError } from '../../src/errors.js'

const defaults = [
  { topic: 'fleet/+/position', format: 'native' as const },
  { topic: 'owntracks/+/+', format: 'owntracks' as const },
]

t.test('default subscriptions: native unit from +, owntracks user-device', async (t) => {
  const route = createTopicRouter(defaults)
  t.same(route('fleet/P-017/position'), { format: 'native', unitId: 'P-017' })
  t.same(route('owntracks/jane/phone'), { format: 'owntracks', unitId: 'jane-phone' })
  t.equal(route('fleet/P-017/status'), null)
  t.equal(route('fleet/P-017/position/extra'), null)
  t.equal(route('owntracks/jane/phone/event'), null, 'OwnTracks event subtopics are not location topics')
  t.equal(route('owntracks/jane'), null)
  t.equal(route('other/x/position'), null)
  t.equal(route(''), null)
})

t.test('literal levels are matched literally, not as regex', async (t) => {
  const route = createTopicRouter([{ topic: 'a.b/+/pos(1)', format: 'native' }])
  t.same(route('a.b/u1/pos(1)'), { format: 'native', unitId: 'u1' })
  t.equal(route('axb/u1/pos(1)'), null)
  t.equal(route('a.b/u1/pos1'), null)
})

t.test('empty + level names no unit', async (t) => {
  const route = createTopicRouter(defaults)
  t.same(route('fleet//position'), { format: 'native', unitId: '' })
  t.same(route('owntracks//phone'), { format: 'owntracks', unitId: '' })
  t.same(route('owntracks/jane/'), { format: 'owntracks', unitId: '' })
})

t.test('# joins the remaining levels with -', async (t) => {
  const route = createTopicRouter([{ topic: 'gps/#', format: 'native' }])
  t.same(route('gps/region-1/P-017'), { format: 'native', unitId: 'region-1-P-017' })
  t.same(route('gps/P-017'), { format: 'native', unitId: 'P-017' })
  t.same(route('gps'), { format: 'native', unitId: '' }, '# matches the parent level, naming nothing')
  t.equal(route('gpsx/a'), null)
})

t.test('+ and # together', async (t) => {
  const route = createTopicRouter([{ topic: 'org/+/units/#', format: 'native' }])
  t.same(route('org/north/units/a/b'), { format: 'native', unitId: 'north-a-b' })
  t.same(route('org/north/units'), { format: 'native', unitId: 'north' })
  t.same(route('org/north/units/'), { format: 'native', unitId: 'north' })
})

t.test('wildcards at the first level do not match $ topics (MQTT 4.7.2)', async (t) => {
  const plus = createTopicRouter([{ topic: '+/position', format: 'native' }])
  t.same(plus('P1/position'), { format: 'native', unitId: 'P1' })
  t.equal(plus('$SYS/position'), null)
  const hash = createTopicRouter([{ topic: '#', format: 'native' }])
  t.same(hash('a/b'), { format: 'native', unitId: 'a-b' })
  t.equal(hash('$SYS/broker/uptime'), null)
})

t.test('shared subscriptions route by the filter after $share/<group>/', async (t) => {
  const route = createTopicRouter([{ topic: '$share/hexpatrol/fleet/+/position', format: 'native' }])
  t.same(route('fleet/P-1/position'), { format: 'native', unitId: 'P-1' })
})

t.test('first matching subscription wins', async (t) => {
  const route = createTopicRouter([
    { topic: 'fleet/+/position', format: 'native' },
    { topic: 'fleet/#', format: 'owntracks' },
  ])
  t.same(route('fleet/a/position'), { format: 'native', unitId: 'a' })
  t.same(route('fleet/a/other'), { format: 'owntracks', unitId: 'a-other' })
})

t.test('no subscriptions: nothing routes', async (t) => {
  t.equal(createTopicRouter([])('fleet/a/position'), null)
})

t.test('malformed filters stop start-up with a config error', async (t) => {
  const bad = (topic: string, re: RegExp) => {
    try {
      createTopicRouter([{ topic, format: 'native' }])
      t.fail(`${topic} accepted`)
    } catch (err) {
      t.ok(err instanceof HexpatrolError, topic)
      t.equal((err as HexpatrolError).code, 'HEXP_ERR_CONFIG')
      t.match((err as Error).message, re)
    }
  }
  bad('fleet/#/position', /'#' before its last level/)
  bad('fleet/a+/position', /wildcard inside the level "a\+"/)
  bad('fleet/#x', /wildcard inside/)
  bad('fleet/position', /no '\+' or '#'/)
})

t.test('unit id charset and length', async (t) => {
  t.ok(isValidUnitId('P-017'))
  t.ok(isValidUnitId('unit_1.a:b-c'))
  t.ok(isValidUnitId('x'.repeat(64)))
  t.notOk(isValidUnitId('x'.repeat(65)))
  t.notOk(isValidUnitId(''))
  t.notOk(isValidUnitId('a b'))
  t.notOk(isValidUnitId('ünit'))
  t.notOk(isValidUnitId('a\nb'))
  t.notOk(isValidUnitId('a/b'))
})

t.test('unit_from: first_level names the unit by the first wildcard level (the login an external ACL binds with %u)', async (t) => {
  const r = createTopicRouter([
    { topic: 'owntracks/+/+', format: 'owntracks', unitFrom: 'first_level' },
    { topic: 'tenants/+/#', format: 'native', unitFrom: 'first_level' },
    { topic: 'fleet/#', format: 'native', unitFrom: 'first_level' },
  ])
  t.same(r('owntracks/P/002'), { format: 'owntracks', unitId: 'P' }, 'P publishing owntracks/P/002 is P, never P-002')
  t.same(r('owntracks/P-002/phone'), { format: 'owntracks', unitId: 'P-002' })
  t.same(r('owntracks//phone'), { format: 'owntracks', unitId: '' }, 'an empty level still names no unit')
  t.same(r('tenants/a/b/c'), { format: 'native', unitId: 'a' })
  t.same(r('fleet/x/y'), { format: 'native', unitId: 'x' }, 'under #, the first remaining level')
})

t.test('subscriptionSpecs: OwnTracks by its <user> level on every broker (one phone, one unit over MQTT and HTTP), native by all levels, unless configured', async (t) => {
  const subs = [{ topic: 'fleet/+/position', format: 'native' as const }, { topic: 'owntracks/+/+', format: 'owntracks' as const }]
  t.same(subscriptionSpecs({ subscriptions: subs }).map((s) => s.unitFrom), ['all_levels', 'first_level'])
  t.same(subscriptionSpecs({ subscriptions: [{ ...subs[1]!, unit_from: 'all_levels' }] }).map((s) => s.unitFrom), ['all_levels'], 'explicit wins')
  const loc = Buffer.from(JSON.stringify({ _type: 'location', tst: 1764500000, lat: 36.49, lon: 117.86 }))
  for (const mqtt of [{ url: 'mqtt://127.0.0.1:1883' }, {}]) {
    const decode = createDecoder(decoderOptionsFromConfig(validateConfig({ mqtt }, undefined, {})))
    t.equal(decode('owntracks/P/002', loc, 1764500000_000).fixes[0]?.unitId, 'P', `the engine on ${mqtt.url === undefined ? 'the embedded' : 'an external'} broker`)
  }
  t.throws(() => validateConfig({ mqtt: { subscriptions: [{ topic: 'a/+', format: 'native', unit_from: 'last' }] } }, undefined, {}), { code: 'HEXP_ERR_CONFIG' })
})
