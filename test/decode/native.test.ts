import t from 'tap'
import { latLngToCell } from 'h3-js'
import { createDecoder, type DecoderOptions } from '../../src/decode/decoder.js'
import type { DecodeResult } from '../../src/decode/fix.js'

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0)
const opts: DecoderOptions = {
  subscriptions: [{ topic: 'fleet/+/position', format: 'native' }],
  maxPayloadBytes: 262_144,
  maxFutureSkewMs: 120_000,
  maxAgeMs: 7 * 86_400_000,
  maxBatchElements: 100,
  rejectPayloadBytes: 256,
  h3Resolution: 9,
  rejectNullIsland: true,
}
const decode = createDecoder(opts)
const TOPIC = 'fleet/P-017/position'
const run = (body: unknown, topic = TOPIC): DecodeResult => decode(topic, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), NOW)
const base = { ts: NOW - 1000, lat: 36.49, lon: 117.86 }

/** The subtest object type (the last overload of t.test takes only the callback). */
type T = Parameters<Parameters<typeof t.test>[0]>[0]

function rejectOf(t: T, r: DecodeResult, reason: string, field?: RegExp): void {
  t.equal(r.fixes.length, 0, 'no fix')
  t.equal(r.rejects.length, 1, 'one reject')
  const rej = r.rejects[0]!
  t.equal(rej.reason, reason)
  if (field !== undefined) t.match(rej.detail, field, 'detail names the field')
  t.equal(rej.topic, TOPIC)
  t.equal(rej.unitId, 'P-017')
  t.equal(rej.receivedAt, NOW)
}

t.test('a full native fix', async (t) => {
  const r = run({ unit: 'P-017', ts: NOW - 5000, lat: 36.49, lon: 117.86, speed: 12.5, heading: 270, accuracy: 4, altitude: 120.5, battery: 88, seq: 42, extra: { x: 1 } })
  t.same(r, {
    format: 'native',
    fixes: [{
      unitId: 'P-017', ts: NOW - 5000, receivedAt: NOW, lat: 36.49, lon: 117.86, h3: latLngToCell(36.49, 117.86, 9),
      speed: 12.5, heading: 270, accuracy: 4, altitude: 120.5, battery: 88, seq: 42, source: 'native', topic: TOPIC, flags: 0,
    }],
    rejects: [],
    ignored: null,
  })
  t.strictSame(Object.keys(r.fixes[0]!), ['unitId', 'ts', 'receivedAt', 'lat', 'lon', 'h3', 'speed', 'heading', 'accuracy', 'altitude', 'battery', 'seq', 'source', 'topic', 'flags'])
})

t.test('optional fields absent or null are null; lat=0 and lon=0 alone are valid', async (t) => {
  const r = run({ ts: NOW, lat: 0, lon: 0.0001, speed: null, heading: null, accuracy: null, altitude: null, battery: null, seq: null, unit: null })
  t.equal(r.rejects.length, 0)
  const f = r.fixes[0]!
  t.equal(f.lat, 0)
  t.equal(f.lon, 0.0001)
  t.equal(f.h3, latLngToCell(0, 0.0001, 9))
  t.equal(run({ ts: NOW, lat: 0.0001, lon: 0 }).fixes.length, 1)
  for (const k of ['speed', 'heading', 'accuracy', 'altitude', 'battery', 'seq'] as const) t.equal(f[k], null, k)
})

t.test('range edges are accepted', async (t) => {
  for (const [lat, lon] of [[90, 180], [-90, -180], [89.999, -179.999]] as const) {
    t.equal(run({ ts: NOW, lat, lon }).fixes.length, 1, `${lat},${lon}`)
  }
  const r = run({ ts: NOW, lat: 1, lon: 1, speed: 0, heading: 0, accuracy: 0, battery: 0, seq: 0, altitude: -430 })
  t.equal(r.fixes.length, 1)
  t.equal(run({ ts: NOW, lat: 1, lon: 1, heading: 360, battery: 100 }).fixes.length, 1)
  t.equal(run({ ts: NOW + 120_000, lat: 1, lon: 1 }).fixes.length, 1, 'exactly at the future skew')
  t.equal(run({ ts: NOW - 7 * 86_400_000, lat: 1, lon: 1 }).fixes.length, 1, 'exactly at the maximum age')
})

t.test('ts as ISO-8601 with a zone', async (t) => {
  const cases: Array<[string, number]> = [
    ['2025-06-01T11:59:00Z', NOW - 60_000],
    ['2025-06-01T11:59:00.250Z', NOW - 59_750],
    ['2025-06-01T13:59:00+02:00', NOW - 60_000],
    ['2025-06-01T13:59:00+0200', NOW - 60_000],
    ['2025-06-01T06:59-05:00', NOW - 60_000],
    ['2025-06-01 11:59:00Z', NOW - 60_000],
    ['2025-06-01t11:59:00z', NOW - 60_000],
  ]
  for (const [ts, ms] of cases) {
    const r = run({ ts, lat: 1, lon: 1 })
    t.equal(r.fixes[0]?.ts, ms, ts)
  }
})

t.test('ts strings without a zone or not ISO are invalid_ts', async (t) => {
  for (const ts of ['2025-06-01T11:59:00', '2025-06-01', 'Sun, 01 Jun 2025 11:59:00 GMT', 'yesterday', '', '2025-06-01T11:59:00+02', '2025-13-45T99:99:99Z', 'x'.repeat(10_000)]) {
    rejectOf(t, run({ ts, lat: 1, lon: 1 }), 'invalid_ts', /ts/)
  }
})

t.test('ts window: future and too old, with a hint for seconds and microseconds', async (t) => {
  let r = run({ ts: NOW + 120_001, lat: 1, lon: 1 })
  rejectOf(t, r, 'ts_in_future', /ts .* after arrival/)
  t.notMatch(r.rejects[0]!.detail, /looks like/)
  r = run({ ts: NOW * 1000, lat: 1, lon: 1 })
  rejectOf(t, r, 'ts_in_future')
  t.match(r.rejects[0]!.detail, /microseconds/)
  r = run({ ts: NOW - 7 * 86_400_000 - 1, lat: 1, lon: 1 })
  rejectOf(t, r, 'ts_too_old', /before arrival/)
  t.notMatch(r.rejects[0]!.detail, /looks like/)
  r = run({ ts: Math.floor(NOW / 1000), lat: 1, lon: 1 })
  rejectOf(t, r, 'ts_too_old')
  t.match(r.rejects[0]!.detail, /epoch seconds/)
  r = run({ ts: 1e300, lat: 1, lon: 1 })
  rejectOf(t, r, 'ts_in_future', /1e\+300/)
  r = run({ ts: -1e300, lat: 1, lon: 1 })
  rejectOf(t, r, 'ts_too_old')
  rejectOf(t, run({ ts: '2030-01-01T00:00:00Z', lat: 1, lon: 1 }), 'ts_in_future')
})

t.test('missing and null required fields', async (t) => {
  rejectOf(t, run({ lat: 1, lon: 1 }), 'missing_field', /ts is missing/)
  rejectOf(t, run({ ts: null, lat: 1, lon: 1 }), 'missing_field', /ts is null/)
  rejectOf(t, run({ ts: NOW, lon: 1 }), 'missing_field', /lat is missing/)
  rejectOf(t, run({ ts: NOW, lat: 1 }), 'missing_field', /lon is missing/)
  rejectOf(t, run({ ts: NOW, lat: null, lon: 1 }), 'missing_field', /lat is null/)
  rejectOf(t, run({}), 'missing_field')
})

t.test('wrong types, including numbers as strings', async (t) => {
  rejectOf(t, run({ ts: NOW, lat: '36.49', lon: 117.86 }), 'wrong_type', /lat must be a number, got string/)
  rejectOf(t, run({ ts: NOW, lat: 36.49, lon: '117.86' }), 'wrong_type', /lon .* string/)
  rejectOf(t, run({ ts: true, lat: 1, lon: 1 }), 'wrong_type', /ts must be .* got boolean/)
  rejectOf(t, run({ ts: { t: 1 }, lat: 1, lon: 1 }), 'wrong_type', /got object/)
  rejectOf(t, run({ ts: [NOW], lat: 1, lon: 1 }), 'wrong_type', /got array/)
  rejectOf(t, run({ ...base, speed: '3' }), 'wrong_type', /speed must be a number or null, got string/)
  rejectOf(t, run({ ...base, seq: '1' }), 'wrong_type', /seq/)
  rejectOf(t, run({ ...base, battery: false }), 'wrong_type', /battery/)
  rejectOf(t, run({ ...base, unit: 17 }), 'wrong_type', /unit must be a string, got number/)
})

t.test('out of range', async (t) => {
  rejectOf(t, run({ ts: NOW, lat: 90.0001, lon: 1 }), 'lat_out_of_range', /lat 90.0001/)
  rejectOf(t, run({ ts: NOW, lat: -91, lon: 1 }), 'lat_out_of_range', /lat/)
  rejectOf(t, run({ ts: NOW, lat: 1, lon: 180.5 }), 'lon_out_of_range', /lon/)
  rejectOf(t, run({ ts: NOW, lat: 1, lon: -181 }), 'lon_out_of_range', /lon/)
  rejectOf(t, run({ ...base, heading: 361 }), 'value_out_of_range', /heading 361 is above its maximum 360/)
  rejectOf(t, run({ ...base, battery: 101 }), 'value_out_of_range', /battery/)
  rejectOf(t, run({ ...base, seq: -1 }), 'value_out_of_range', /seq/)
  rejectOf(t, run({ ...base, seq: 1.5 }), 'value_out_of_range', /seq 1.5 must be a whole number/)
  rejectOf(t, run({ ...base, seq: 2 ** 60 }), 'value_out_of_range', /seq/)
})

t.test('non-finite numbers (1e999 parses to Infinity)', async (t) => {
  rejectOf(t, run(`{"ts":${NOW},"lat":1e999,"lon":1}`), 'not_finite', /lat must be a finite number, got Infinity/)
  rejectOf(t, run(`{"ts":${NOW},"lat":1,"lon":-1e999}`), 'not_finite', /lon/)
  rejectOf(t, run(`{"ts":1e999,"lat":1,"lon":1}`), 'not_finite', /ts/)
  rejectOf(t, run(`{"ts":${NOW},"lat":1,"lon":1,"altitude":-1e999}`), 'not_finite', /altitude/)
  rejectOf(t, run(`{"ts":${NOW},"lat":1,"lon":1,"speed":1e999}`), 'not_finite', /speed/)
  rejectOf(t, run(`{"ts":${NOW},"lat":NaN,"lon":1}`), 'invalid_json')
})

t.test('the first problem is reported', async (t) => {
  const r = run({ ts: 'nope', lat: 'x', lon: 999, speed: -1 })
  rejectOf(t, r, 'invalid_ts')
  rejectOf(t, run({ ts: NOW, lat: 'x', lon: 999 }), 'wrong_type', /lat/)
})

t.test('unit must match the topic', async (t) => {
  t.equal(run({ ...base, unit: 'P-017' }).fixes.length, 1)
  rejectOf(t, run({ ...base, unit: 'P-018' }), 'unit_mismatch', /"P-018" differs .* \(P-017\)/)
  const long = run({ ...base, unit: 'Q'.repeat(5000) })
  rejectOf(t, long, 'unit_mismatch')
  t.ok(long.rejects[0]!.detail.length < 200, 'detail does not echo a huge unit')
})

t.test('payload of a single reject is the raw payload, truncated', async (t) => {
  const body = JSON.stringify({ ts: NOW, lat: 100, lon: 1, pad: 'é'.repeat(400) })
  const r = run(body)
  rejectOf(t, r, 'lat_out_of_range')
  const p = r.rejects[0]!.payload
  t.ok(Buffer.byteLength(p) <= 256)
  t.ok(Buffer.byteLength(p) > 253, 'cut on the last whole character before 256 bytes, not emptied')
  t.ok(body.startsWith(p))
  t.equal(run(JSON.stringify({ ts: NOW, lat: 100, lon: 1 })).rejects[0]!.payload, JSON.stringify({ ts: NOW, lat: 100, lon: 1 }))
})

t.test('batches: valid elements survive bad neighbours', async (t) => {
  const body = [
    { ...base, seq: 1 },
    { ...base, lat: 91, seq: 2 },
    7,
    null,
    [base],
    'str',
    { ...base, seq: 3, ts: new Date(NOW - 2000).toISOString() },
    { ...base, unit: 'other' },
  ]
  const r = run(body)
  t.equal(r.ignored, null)
  t.same(r.fixes.map((f) => f.seq), [1, 3])
  t.same(r.rejects.map((x) => x.reason), ['lat_out_of_range', 'not_an_object', 'not_an_object', 'not_an_object', 'not_an_object', 'unit_mismatch'])
  t.match(r.rejects[0]!.detail, /^batch element 1: lat 91/)
  t.equal(r.rejects[0]!.payload, JSON.stringify(body[1]), 'element payload is the element JSON')
  t.match(r.rejects[1]!.detail, /batch element 2 must be a JSON object, got number/)
  t.equal(r.rejects[1]!.payload, '7')
  t.match(r.rejects[2]!.detail, /got null/)
  t.equal(r.rejects[2]!.payload, 'null')
  t.match(r.rejects[3]!.detail, /got array/)
  t.match(r.rejects[4]!.detail, /got string/)
  t.equal(r.rejects[4]!.payload, '"str"')
  for (const rej of r.rejects) {
    t.equal(rej.topic, TOPIC)
    t.equal(rej.unitId, 'P-017')
  }
})

t.test('batch element payloads are truncated', async (t) => {
  const r = run([{ ...base, lat: 'x', pad: '中'.repeat(500) }])
  t.equal(r.rejects[0]!.reason, 'wrong_type')
  const p = r.rejects[0]!.payload
  t.ok(Buffer.byteLength(p) <= 256 && Buffer.byteLength(p) > 253, `cut to 254-256 bytes (${Buffer.byteLength(p)})`)
  t.ok(JSON.stringify({ ...base, lat: 'x', pad: '中'.repeat(500) }).startsWith(p), 'a prefix of the element')
})

t.test('batch limits', async (t) => {
  const ok = run(Array.from({ length: 100 }, (_, i) => ({ ...base, seq: i })))
  t.equal(ok.fixes.length, 100)
  t.equal(ok.rejects.length, 0)
  const big = run(Array.from({ length: 101 }, (_, i) => ({ ...base, seq: i })))
  t.equal(big.fixes.length, 0)
  t.equal(big.rejects.length, 1)
  t.equal(big.rejects[0]!.reason, 'batch_too_large')
  t.match(big.rejects[0]!.detail, /101 elements, more than the 100/)
  t.equal(big.rejects[0]!.payload, JSON.stringify(Array.from({ length: 101 }, (_, i) => ({ ...base, seq: i }))).slice(0, 256), 'the first 256 bytes of the batch')
  t.same(run([]), { format: 'native', fixes: [], rejects: [], ignored: 'empty_batch' }, 'an empty batch keeps its route format')
})

t.test('a native payload that is not an object or array', async (t) => {
  for (const [body, type] of [['42', 'number'], ['"x"', 'string'], ['true', 'boolean'], ['null', 'null']] as const) {
    const r = run(body)
    rejectOf(t, r, 'not_an_object', new RegExp(`got ${type}`))
    t.equal(r.rejects[0]!.payload, body)
  }
})
