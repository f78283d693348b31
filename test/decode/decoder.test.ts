import t from 'tap'
import { createDecoder, decoderOptionsFromConfig, type DecoderOptions } from '../../src/decode/decoder.js'
import { validateConfig } from '../../src/config/load.js'
import { HexpatrolError } from '../../src/errors.js'

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0)

t.test('options from the default config', async (t) => {
  const o = decoderOptionsFromConfig(validateConfig({}))
  t.same(o, {
    subscriptions: [
      { topic: 'fleet/+/position', format: 'native', unitFrom: 'all_levels' },
      { topic: 'owntracks/+/+', format: 'owntracks', unitFrom: 'first_level' },
    ],
    maxPayloadBytes: 262_144,
    maxFutureSkewMs: 120_000,
    maxAgeMs: 7 * 86_400_000,
    maxBatchElements: 10_000,
    rejectPayloadBytes: 2048,
    h3Resolution: 9,
    rejectNullIsland: true,
  })
  t.equal(decoderOptionsFromConfig(validateConfig({ validation: { reject_null_island: false } })).rejectNullIsland, false, 'validation.reject_null_island switches the rule off')
  const d = createDecoder(o)
  t.equal(d('fleet/P1/position', Buffer.from(`{"ts":${NOW},"lat":1,"lon":2}`), NOW).fixes[0]?.h3.length, 15)
  t.equal(d('owntracks/a/b', Buffer.from(`{"_type":"location","tst":${NOW / 1000},"lat":1,"lon":2}`), NOW).fixes[0]?.unitId, 'a', 'an OwnTracks phone is its user')
})

t.test('options from a custom config', async (t) => {
  const config = validateConfig({
    mqtt: { subscriptions: [{ topic: 'gps/#', format: 'owntracks' }], max_payload_bytes: 4096 },
    validation: { max_future_skew: '5s', max_age: '1h', max_batch_elements: 5, reject_payload_bytes: 100 },
    h3: { resolution: 11 },
  })
  t.same(decoderOptionsFromConfig(config), {
    subscriptions: [{ topic: 'gps/#', format: 'owntracks', unitFrom: 'first_level' }],
    maxPayloadBytes: 4096,
    maxFutureSkewMs: 5000,
    maxAgeMs: 3_600_000,
    maxBatchElements: 5,
    rejectPayloadBytes: 100,
    h3Resolution: 11,
    rejectNullIsland: true,
  })
})

t.test('bad options fail at construction, not per message', async (t) => {
  const good: DecoderOptions = {
    subscriptions: [{ topic: 'fleet/+/position', format: 'native' }],
    maxPayloadBytes: 1024, maxFutureSkewMs: 0, maxAgeMs: 1000, maxBatchElements: 1, rejectPayloadBytes: 64, h3Resolution: 0, rejectNullIsland: true,
  }
  t.same(createDecoder(good)('fleet/P-1/position', Buffer.from('{"ts":1,"lat":36.49,"lon":117.86}'), 500).fixes.length, 1, 'good options decode')
  const cases: Array<[Partial<DecoderOptions>, RegExp]> = [
    [{ maxPayloadBytes: 0 }, /maxPayloadBytes must be a positive integer/],
    [{ maxBatchElements: 1.5 }, /maxBatchElements/],
    [{ rejectPayloadBytes: Number.NaN }, /rejectPayloadBytes/],
    [{ maxFutureSkewMs: -1 }, /maxFutureSkewMs must be a non-negative/],
    [{ maxAgeMs: Number.NaN }, /maxAgeMs/],
    [{ h3Resolution: 16 }, /h3Resolution must be an integer from 0 to 15/],
    [{ h3Resolution: -1 }, /h3Resolution/],
    [{ h3Resolution: 2.5 }, /h3Resolution/],
    [{ subscriptions: [{ topic: 'fleet/#/x', format: 'native' }] }, /topic filter "fleet\/#\/x"/],
  ]
  for (const [patch, re] of cases) {
    try {
      createDecoder({ ...good, ...patch })
      t.fail(`accepted ${JSON.stringify(patch)}`)
    } catch (err) {
      t.ok(err instanceof HexpatrolError)
      t.equal((err as HexpatrolError).code, 'HEXP_ERR_CONFIG')
      t.match((err as Error).message, re)
    }
  }
})

t.test('unknown topics and invalid units are rejected before the payload is read', async (t) => {
  const d = createDecoder(decoderOptionsFromConfig(validateConfig({})))
  let r = d('fleet/P1/status', Buffer.from('not json'), NOW)
  t.same(r, {
    format: 'unknown',
    fixes: [],
    rejects: [{ receivedAt: NOW, topic: 'fleet/P1/status', unitId: '', reason: 'unknown_topic', detail: 'no subscription matches topic "fleet/P1/status"', payload: 'not json' }],
    ignored: null,
  })
  r = d('fleet//position', Buffer.from('{}'), NOW)
  t.equal(r.rejects[0]!.reason, 'invalid_unit')
  t.equal(r.rejects[0]!.unitId, '')
  t.equal(r.rejects[0]!.topic, 'fleet//position')
  t.equal(d('fleet/' + 'a'.repeat(65) + '/position', Buffer.from('{}'), NOW).rejects[0]!.reason, 'invalid_unit')
  t.equal(d('fleet/' + 'a'.repeat(64) + '/position', Buffer.from(`{"ts":${NOW},"lat":1,"lon":2}`), NOW).fixes.length, 1)
})

t.test('a decoder keeps no state between messages', async (t) => {
  const d = createDecoder(decoderOptionsFromConfig(validateConfig({})))
  const bad = d('fleet/P1/position', Buffer.from('{"ts":1,"lat":1,"lon":2}'), NOW)
  t.equal(bad.rejects[0]!.reason, 'ts_too_old')
  const good = d('fleet/P1/position', Buffer.from(`{"ts":${NOW},"lat":1,"lon":2}`), NOW)
  t.equal(good.fixes.length, 1)
  t.equal(good.rejects.length, 0)
  t.not(bad.rejects, good.rejects, 'results never share arrays')
})
