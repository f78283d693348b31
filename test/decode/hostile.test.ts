// Hostile and malformed input: every case must end in a reject (or fix), never an exception or a stall.
import t from 'tap'
import { createDecoder } from '../../src/decode/decoder.js'
import type { DecodeResult } from '../../src/decode/fix.js'

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0)
const decode = createDecoder({
  subscriptions: [
    { topic: 'fleet/+/position', format: 'native' },
    { topic: 'owntracks/+/+', format: 'owntracks' },
  ],
  maxPayloadBytes: 262_144,
  maxFutureSkewMs: 120_000,
  maxAgeMs: 7 * 86_400_000,
  maxBatchElements: 10_000,
  rejectPayloadBytes: 128,
  h3Resolution: 9,
  rejectNullIsland: true,
})
const TOPIC = 'fleet/P-017/position'
const OT = 'owntracks/jane/phone'
const run = (body: string | Buffer, topic = TOPIC): DecodeResult => decode(topic, typeof body === 'string' ? Buffer.from(body) : body, NOW)
const reasons = (r: DecodeResult) => r.rejects.map((x) => x.reason)

t.test('__proto__ keys do not pollute prototypes or supply fields', async (t) => {
  const body = `{"__proto__":{"lat":1,"lon":2,"ts":${NOW},"polluted":true},"constructor":{"prototype":{"polluted":true}}}`
  const r = run(body)
  t.same(reasons(r), ['missing_field'])
  t.match(r.rejects[0]!.detail, /ts is missing/)
  t.equal(({} as Record<string, unknown>).polluted, undefined)
  t.equal((Object.prototype as Record<string, unknown>).polluted, undefined)
  // With real fields beside them, the extra keys are ignored.
  const ok = run(`{"__proto__":{"lat":80},"constructor":1,"ts":${NOW},"lat":1,"lon":2}`)
  t.equal(ok.fixes[0]?.lat, 1)
  t.equal(ok.fixes[0]?.unitId, 'P-017')
  const batch = run(`[{"__proto__":{"x":1},"ts":${NOW},"lat":1,"lon":2},{"__proto__":null}]`)
  t.equal(batch.fixes.length, 1)
  t.same(reasons(batch), ['missing_field'])
  t.match(batch.rejects[0]!.payload, /__proto__/, 'the element JSON keeps the own __proto__ key')
  const ot = run(`{"__proto__":{"_type":"location"},"tst":${NOW / 1000},"lat":1,"lon":2}`, OT)
  t.same(reasons(ot), ['missing_field'])
})

t.test('a polluted Object.prototype cannot supply a missing field', async (t) => {
  const proto = Object.prototype as Record<string, unknown>
  proto.lat = 10
  proto._type = 'location'
  proto.ts = NOW
  try {
    t.match(run(`{"ts":${NOW},"lon":2}`).rejects[0]?.detail, /lat is missing/)
    t.match(run(`{"lat":1,"lon":2}`).rejects[0]?.detail, /ts is missing/)
    t.match(run(`{"tst":${NOW / 1000},"lat":1,"lon":2}`, OT).rejects[0]?.detail, /_type is missing/)
  } finally {
    delete proto.lat
    delete proto._type
    delete proto.ts
  }
})

t.test('deeply nested JSON (100k levels) is rejected without a crash', async (t) => {
  const arrays = '['.repeat(100_000) + ']'.repeat(100_000)
  let r = run(arrays)
  t.same(reasons(r), ['not_an_object'])
  t.equal(r.rejects[0]!.payload, '<element nested too deeply to serialize>')
  r = run('{"a":'.repeat(40_000) + '1' + '}'.repeat(40_000))
  t.same(reasons(r), ['missing_field'])
  t.equal(r.rejects[0]!.payload, '{"a":'.repeat(26).slice(0, 128), 'the first 128 bytes of the payload')
  r = run(`{"ts":${NOW},"lat":1,"lon":2,"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`)
  t.equal(r.fixes.length, 1, 'deep nesting in an ignored field is harmless')
  r = run(`[{"ts":${NOW},"lat":1,"lon":2},{"lat":"x","deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}]`)
  t.equal(r.fixes.length, 1)
  t.same(reasons(r), ['missing_field'], 'ts is checked first')
  t.equal(r.rejects[0]!.payload, '<element nested too deeply to serialize>')
  r = run('['.repeat(100_000), OT)
  t.same(reasons(r), ['invalid_json'])
  r = run('['.repeat(100_000) + ']'.repeat(100_000), OT)
  t.same(reasons(r), ['not_an_object'])
})

t.test('oversized payloads are not parsed; only a prefix is kept', async (t) => {
  const huge = `{"ts":${NOW},"lat":1,"lon":2,"pad":"${'x'.repeat(300_000)}"}`
  const r = run(huge)
  t.same(reasons(r), ['payload_too_large'])
  t.match(r.rejects[0]!.detail, /is \d+ bytes, more than the 262144 allowed/)
  t.equal(r.rejects[0]!.payload, huge.slice(0, 128))
  t.equal(run(Buffer.alloc(262_145, 0x20)).rejects[0]!.reason, 'payload_too_large')
  const exact = `{"ts":${NOW},"lat":1,"lon":2,"pad":"`
  const fits = exact + 'y'.repeat(262_144 - exact.length - 2) + '"}'
  t.equal(Buffer.byteLength(fits), 262_144)
  t.equal(run(fits).fixes.length, 1, 'exactly at the limit is parsed')
})

t.test('huge strings inside the limit are handled', async (t) => {
  const r = run(`{"ts":"${'9'.repeat(200_000)}","lat":1,"lon":2}`)
  t.same(reasons(r), ['invalid_ts'])
  t.ok(r.rejects[0]!.detail.length < 300, 'detail does not echo the string')
  t.equal(r.rejects[0]!.payload, `{"ts":"${'9'.repeat(121)}`, 'the first 128 bytes of the payload')
  const u = run(`{"unit":"${'u'.repeat(200_000)}","ts":${NOW},"lat":1,"lon":2}`)
  t.same(reasons(u), ['unit_mismatch'])
  t.ok(u.rejects[0]!.detail.length < 300)
})

t.test('numbers as strings are wrong_type, not coerced', async (t) => {
  const r = run(`{"ts":"${NOW}","lat":"1","lon":"2"}`)
  t.same(reasons(r), ['invalid_ts'], 'a numeric ts string is not ISO-8601')
  t.same(reasons(run(`{"ts":${NOW},"lat":"1","lon":"2"}`)), ['wrong_type'])
  t.same(reasons(run(`{"_type":"location","tst":"${NOW / 1000}","lat":1,"lon":2}`, OT)), ['wrong_type'])
})

t.test('nulls everywhere', async (t) => {
  t.same(reasons(run('null')), ['not_an_object'])
  t.same(reasons(run('{"ts":null,"lat":null,"lon":null}')), ['missing_field'])
  t.same(reasons(run('[null,null]')), ['not_an_object', 'not_an_object'])
  t.same(reasons(run('{"_type":null}', OT)), ['missing_field'])
})

t.test('empty, whitespace and truncated payloads', async (t) => {
  let r = run('')
  t.same(reasons(r), ['invalid_json'])
  t.match(r.rejects[0]!.detail, /empty/)
  t.equal(r.rejects[0]!.payload, '')
  t.same(reasons(run('   ')), ['invalid_json'])
  r = run(`{"ts":${NOW},"lat":1,`)
  t.same(reasons(r), ['invalid_json'])
  t.match(r.rejects[0]!.detail, /^payload is not valid JSON: /)
  t.same(reasons(run('{"a":1}{"b":2}')), ['invalid_json'])
  t.same(reasons(run("{'ts':1}")), ['invalid_json'])
  t.same(reasons(run('\ufeff{"ts":1}')), ['invalid_json'], 'a BOM is not JSON')
})

t.test('binary garbage and invalid UTF-8', async (t) => {
  const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256))
  let r = run(garbage)
  t.same(reasons(r), ['invalid_json'])
  t.ok(Buffer.byteLength(r.rejects[0]!.payload) <= 128)
  t.ok(Buffer.byteLength(r.rejects[0]!.payload) > 100, 'nearly all of the 128 bytes kept (invalid bytes become U+FFFD)')
  // Valid JSON structure with an invalid byte inside a string: rejected rather than silently repaired.
  const bad = Buffer.concat([Buffer.from(`{"ts":${NOW},"lat":1,"lon":2,"note":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])
  r = run(bad)
  t.same(reasons(r), ['invalid_json'])
  t.match(r.rejects[0]!.detail, /not valid UTF-8/)
  t.same(reasons(run(Buffer.from([0xed, 0xa0, 0x80]))), ['invalid_json'], 'encoded surrogate')
  t.same(reasons(run(Buffer.from([0x00, 0x00, 0x00]))), ['invalid_json'], 'NUL bytes')
  // Valid multi-byte UTF-8 is fine.
  t.equal(run(`{"ts":${NOW},"lat":1,"lon":2,"note":"巡逻 🚓"}`).fixes.length, 1)
})

t.test('hostile topics', async (t) => {
  const longTopic = 'fleet/' + 'x'.repeat(100_000) + '/position'
  let r = run(`{"ts":${NOW},"lat":1,"lon":2}`, longTopic)
  t.same(reasons(r), ['invalid_unit'])
  t.equal(r.rejects[0]!.unitId, '')
  t.equal(r.rejects[0]!.topic, longTopic.slice(0, 128), 'stored topic is truncated to 128 bytes')
  t.ok(r.rejects[0]!.detail.length < 400)
  r = run('{}', 'nowhere/' + 'y'.repeat(100_000))
  t.same(reasons(r), ['unknown_topic'])
  t.equal(r.rejects[0]!.topic, ('nowhere/' + 'y'.repeat(100_000)).slice(0, 128))
  t.same(reasons(run('{}', 'fleet/a b/position')), ['invalid_unit'])
  t.same(reasons(run('{}', 'fleet/ünit/position')), ['invalid_unit'])
  t.same(reasons(run('{}', 'fleet/\u0000/position')), ['invalid_unit'])
})
