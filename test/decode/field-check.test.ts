// Issue 8 items 4, 5, 8: unknown (negative) measurements are null, (0, 0) is not a position, and
// every accepted value fits the ClickHouse column it is stored in. Through the real decoder.
import t from 'tap'
import { createDecoder, decoderOptionsFromConfig } from '../../src/decode/decoder.js'
import { validateConfig } from '../../src/config/load.js'
import { FLOAT32_MAX } from '../../src/decode/field-check.js'
import type { DecodeResult } from '../../src/decode/fix.js'

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0)
const TST = NOW / 1000 - 60
const decode = createDecoder(decoderOptionsFromConfig(validateConfig({})))
const native = (body: unknown): DecodeResult => decode('fleet/P-1/position', Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), NOW)
const owntracks = (body: unknown): DecodeResult => decode('owntracks/jane/phone', Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), NOW)
const loc = { _type: 'location', tst: TST, lat: 36.49, lon: 117.86 }
const fix = { ts: NOW - 1000, lat: 36.49, lon: 117.86 }

t.test('OwnTracks -1 for unknown vel, cog, acc, vac: the fix is stored with those fields null', async (t) => {
  // A real message from an older iOS app (owntracks/ios#347).
  const r = owntracks({ ...loc, vel: -1, cog: -1, acc: -1, vac: -1, alt: 41, batt: 80 })
  t.equal(r.rejects.length, 0, 'not rejected')
  const f = r.fixes[0]!
  t.equal(f.speed, null)
  t.equal(f.heading, null)
  t.equal(f.accuracy, null)
  t.equal(f.altitude, 41, 'known fields are kept')
  t.equal(f.battery, 80)
  t.equal(owntracks({ ...loc, batt: -1 }).fixes[0]!.battery, null, 'batt -1 is unknown as well')
  t.equal(owntracks({ ...loc, alt: -12 }).fixes[0]!.altitude, -12, 'a negative altitude is a real value (below sea level)')
  t.equal(owntracks({ ...loc, vel: 36 }).fixes[0]!.speed, 10, 'vel is km/h, stored as m/s')
})

t.test('native negative speed, accuracy, heading, battery mean unknown', async (t) => {
  const r = native({ ...fix, speed: -1, accuracy: -5, heading: -0.5, battery: -1, altitude: -3 })
  t.equal(r.rejects.length, 0)
  const f = r.fixes[0]!
  t.same([f.speed, f.accuracy, f.heading, f.battery, f.altitude], [null, null, null, null, -3])
  t.equal(native({ ...fix, heading: 361 }).rejects[0]?.reason, 'value_out_of_range', 'above the maximum is still a reject')
  t.equal(native({ ...fix, speed: 'fast' }).rejects[0]?.reason, 'wrong_type', 'a wrong type is still a reject')
  t.equal(native(`{"ts":${NOW},"lat":1,"lon":1,"accuracy":-1e999}`).rejects[0]?.reason, 'not_finite', '-Infinity is not "unknown"')
})

t.test('(0, 0) is rejected as null_island, in every format', async (t) => {
  for (const r of [native({ ...fix, lat: 0, lon: 0 }), native([{ ...fix, lat: 0, lon: 0 }, fix]), owntracks({ ...loc, lat: 0, lon: 0 })]) {
    t.equal(r.rejects[0]?.reason, 'null_island')
    t.match(r.rejects[0]?.detail, /reject_null_island/, 'the detail names the config key')
  }
  t.equal(native([{ ...fix, lat: 0, lon: 0 }, fix]).fixes.length, 1, 'the good element beside it is kept')
  t.equal(native({ ...fix, lat: -0, lon: 0 }).rejects[0]?.reason, 'null_island', '-0 is 0')
  t.equal(native({ ...fix, lat: 0, lon: 0.00001 }).fixes.length, 1, 'only exactly (0, 0)')
  t.equal(native({ ts: 'bad', lat: 0, lon: 0 }).rejects[0]?.reason, 'invalid_ts', 'an earlier problem is reported first')
})

t.test('validation.reject_null_island: false accepts (0, 0) (Gulf of Guinea deployments)', async (t) => {
  const d = createDecoder(decoderOptionsFromConfig(validateConfig({ validation: { reject_null_island: false } })))
  const r = d('fleet/P-1/position', Buffer.from(JSON.stringify({ ...fix, lat: 0, lon: 0 })), NOW)
  t.equal(r.fixes.length, 1)
  t.equal(r.fixes[0]!.lat, 0)
})

t.test('a fractional epoch-ms ts is a counted reject before the ack (DateTime64(3) holds whole ms)', async (t) => {
  const r = native({ ts: 1796154827232.5, lat: 36.49, lon: 117.86 })
  t.equal(r.fixes.length, 0)
  t.equal(r.rejects[0]?.reason, 'invalid_ts')
  t.match(r.rejects[0]?.detail, /1796154827232\.5 must be whole epoch milliseconds/)
  t.equal(native([{ ...fix, ts: NOW - 0.25 }, fix]).rejects[0]?.reason, 'invalid_ts', 'in a batch too')
  // Epoch seconds with a fraction are rounded to the millisecond, not refused.
  const o = owntracks({ ...loc, tst: TST + 0.2345 })
  t.equal(o.fixes[0]?.ts, TST * 1000 + 235)
})

t.test('Float32 columns: a value that would be stored as inf is out of range', async (t) => {
  t.equal(native({ ...fix, speed: 1e39 }).rejects[0]?.reason, 'value_out_of_range')
  t.equal(native({ ...fix, accuracy: 3.5e38 }).rejects[0]?.reason, 'value_out_of_range')
  t.equal(native({ ...fix, altitude: -1e39 }).rejects[0]?.reason, 'value_out_of_range')
  t.equal(owntracks({ ...loc, alt: 1e39 }).rejects[0]?.reason, 'value_out_of_range')
  t.equal(owntracks({ ...loc, vel: 1e39 }).rejects[0]?.reason, 'value_out_of_range')
  t.equal(native({ ...fix, speed: FLOAT32_MAX }).fixes[0]?.speed, FLOAT32_MAX, 'the largest Float32 itself is storable')
})

t.test('DateTime64 range: a very wide validation window still cannot accept an unstorable time', async (t) => {
  const wide = createDecoder(decoderOptionsFromConfig(validateConfig({ validation: { max_age: 1e15, max_future_skew: 1e15 } })))
  const run = (ts: number) => wide('fleet/P-1/position', Buffer.from(JSON.stringify({ ts, lat: 1, lon: 1 })), NOW)
  t.equal(run(Date.UTC(1899, 11, 31)).rejects[0]?.reason, 'invalid_ts')
  t.match(run(Date.UTC(1899, 11, 31)).rejects[0]?.detail, /outside the range ClickHouse stores/)
  t.equal(run(Date.UTC(2300, 0, 1)).rejects[0]?.reason, 'invalid_ts')
  t.equal(run(Date.UTC(1900, 0, 1)).fixes.length, 1)
  t.equal(run(Date.UTC(2299, 11, 31)).fixes.length, 1)
})

t.test('the decode result carries its route format (issue 8 item 6)', async (t) => {
  t.equal(native([]).format, 'native', 'an empty native batch is native, not owntracks')
  t.equal(native('not json').format, 'native')
  t.equal(owntracks({ _type: 'lwt' }).format, 'owntracks')
  t.equal(decode('nowhere/x', Buffer.from('{}'), NOW).format, 'unknown')
  t.equal(decode('fleet//position', Buffer.from('{}'), NOW).format, 'native')
})
