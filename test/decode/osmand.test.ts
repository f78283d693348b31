// The OsmAnd protocol (Traccar Client and trackers), through the HTTP decoders: every request form
// Traccar's decoder reads, the four timestamp forms, speed in knots, location=, form bodies and the
// JSON body of newer Traccar Client versions; unknown parameters are ignored, never an error.
import t from 'tap'
import { latLngToCell } from 'h3-js'
import { createHttpDecoders, OSMAND_TOPIC, type OsmandRequest } from '../../src/decode/http-decoders.js'
import { decoderOptionsFromConfig } from '../../src/decode/decoder.js'
import { validateConfig } from '../../src/config/load.js'
import { osmandDeviceId, osmandParams } from '../../src/decode/osmand.js'
import { FixFlag, type DecodeResult } from '../../src/decode/fix.js'

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0)
const d = createHttpDecoders(decoderOptionsFromConfig(validateConfig({ validation: { reject_payload_bytes: 256 } })))
const KN = 1852 / 3600

function req(query: string, body = '', secret = 'key'): OsmandRequest {
  const r = d.osmandRequest(query, Buffer.from(body), secret)
  if (r === null) throw new Error('request not readable')
  return r
}
const get = (query: string): DecodeResult => d.osmand(req(query), 'P-1', NOW)

t.test('a Traccar Client GET: id, lat, lon, timestamp (s), speed in knots, bearing, altitude, accuracy, batt', async (t) => {
  const ts = NOW / 1000 - 30
  const r = get(`id=P-1&timestamp=${ts}&lat=36.49&lon=117.86&speed=10&bearing=90.5&altitude=41&accuracy=8&batt=77&hdop=1.2&valid=true&cell=460,0,1,2&wifi=aa-bb,-50&driverUniqueId=x&charge=true&custom=abc`)
  t.same(r.rejects, [])
  t.same(r.fixes, [{
    unitId: 'P-1', ts: ts * 1000, receivedAt: NOW, lat: 36.49, lon: 117.86, h3: latLngToCell(36.49, 117.86, 9),
    speed: 10 * KN, heading: 90.5, accuracy: 8, altitude: 41, battery: 77, seq: null, source: 'osmand', topic: OSMAND_TOPIC, flags: 0,
  }])
  t.equal(r.format, 'osmand')
  t.equal(req('id=P-1&lat=1&lon=1').id, 'P-1')
  t.equal(req('deviceid=P-9&lat=1&lon=1').id, 'P-9', 'deviceid is the other name of id')
  t.equal(req('lat=1&lon=1').id, null, 'no id')
})

t.test('the four timestamp forms, and none', async (t) => {
  const iso = '2026-11-30T11:59:30Z'
  const want = Date.parse(iso)
  t.equal(get(`timestamp=${want / 1000}&lat=1&lon=1`).fixes[0]?.ts, want, 'epoch seconds (below 2^31)')
  t.equal(get(`timestamp=${want}&lat=1&lon=1`).fixes[0]?.ts, want, 'epoch milliseconds')
  t.equal(get(`timestamp=${encodeURIComponent(iso)}&lat=1&lon=1`).fixes[0]?.ts, want, 'ISO-8601 with Z')
  t.equal(get(`timestamp=${encodeURIComponent('2026-11-30T19:59:30+08:00')}&lat=1&lon=1`).fixes[0]?.ts, want, 'ISO-8601 with an offset')
  t.equal(get('timestamp=2026-11-30T11:59:30&lat=1&lon=1').fixes[0]?.ts, want, 'ISO-8601 without a zone is UTC')
  t.equal(get('timestamp=2026-11-30+11:59:30&lat=1&lon=1').fixes[0]?.ts, want, 'yyyy-MM-dd HH:mm:ss (form-encoded space) is UTC')
  t.equal(get('timestamp=2026-11-30%2011:59:30&lat=1&lon=1').fixes[0]?.ts, want)
  t.equal(get(`timestamp=${want / 1000 + 0.25}&lat=1&lon=1`).fixes[0]?.ts, want + 250, 'fractional seconds are rounded to the ms')
  t.equal(get('lat=1&lon=1').fixes[0]?.ts, NOW, 'no timestamp: the arrival time, as Traccar does')
  t.equal(get('timestamp=&lat=1&lon=1').fixes[0]?.ts, NOW)
  for (const bad of [`${want}.5`, 'yesterday', '2026-13-45T99:99:99Z', '30/11/2026 11:59:30', '2026-11-30 11:59']) {
    const r = get(`timestamp=${encodeURIComponent(bad)}&lat=1&lon=1`)
    t.equal(r.rejects[0]?.reason, 'invalid_ts', bad)
  }
  t.equal(get(`timestamp=${want / 1000 - 30 * 86_400}&lat=1&lon=1`).rejects[0]?.reason, 'ts_too_old')
  t.equal(get(`timestamp=${want / 1000 + 3600}&lat=1&lon=1`).rejects[0]?.reason, 'ts_in_future')
})

t.test('location=lat,lon; lat/lon win when both are given', async (t) => {
  const f = get('location=36.5,117.9').fixes[0]!
  t.same([f.lat, f.lon], [36.5, 117.9])
  t.same([get('lat=1&lon=2&location=3,4').fixes[0]!.lat], [1])
  t.equal(get('location=36.5').rejects[0]?.reason, 'missing_field', 'half a location')
  t.equal(get('location=north,east').rejects[0]?.reason, 'wrong_type')
})

t.test('hdop without accuracy is an accuracy estimate (hdop × 5 m); accuracy wins when both are sent', async (t) => {
  t.equal(get('lat=1&lon=1&hdop=1.2').fixes[0]!.accuracy, 6, 'hdop 1.2 → 6 m')
  t.equal(get('lat=1&lon=1&hdop=30').fixes[0]!.accuracy, 150, 'a poor fix (hdop 30) is 150 m: kept from coverage credit and reports')
  t.equal(get('lat=1&lon=1&hdop=2&accuracy=8').fixes[0]!.accuracy, 8)
  t.equal(get('lat=1&lon=1&hdop=-1').fixes[0]!.accuracy, null, 'negative: unknown')
  t.equal(get('lat=1&lon=1').fixes[0]!.accuracy, null, 'neither: unknown (the gates treat it as inaccurate)')
  t.equal(get('lat=1&lon=1&hdop=abc').rejects[0]?.reason, 'wrong_type')
})

t.test('speed is knots; negative speed, bearing, accuracy, batt mean unknown; heading is the other name of bearing', async (t) => {
  t.equal(get('lat=1&lon=1&speed=1').fixes[0]!.speed, KN)
  const f = get('lat=1&lon=1&speed=-1&bearing=-1&accuracy=-1&batt=-1&altitude=-5').fixes[0]!
  t.same([f.speed, f.heading, f.accuracy, f.battery, f.altitude], [null, null, null, null, -5])
  t.equal(get('lat=1&lon=1&heading=180').fixes[0]!.heading, 180)
  t.equal(get('lat=1&lon=1&bearing=10&heading=180').fixes[0]!.heading, 10, 'bearing first')
  t.equal(get('lat=1&lon=1&bearing=361').rejects[0]?.reason, 'value_out_of_range')
  t.equal(get('lat=1&lon=1&speed=fast').rejects[0]?.reason, 'wrong_type')
  t.equal(get('lat=1&lon=1&speed=1e39').rejects[0]?.reason, 'value_out_of_range', 'beyond Float32')
})

t.test('lat/lon problems, (0, 0), valid=false', async (t) => {
  t.equal(get('lon=1').rejects[0]?.reason, 'missing_field')
  t.equal(get('lat=91&lon=1').rejects[0]?.reason, 'lat_out_of_range')
  t.equal(get('lat=1&lon=1e999').rejects[0]?.reason, 'not_finite')
  t.equal(get('lat=0&lon=0').rejects[0]?.reason, 'null_island')
  for (const v of ['false', '0', 'no']) t.equal(get(`lat=1&lon=1&valid=${v}`).rejects[0]?.reason, 'invalid_fix', `valid=${v}`)
  for (const v of ['true', 'TRUE', '1']) t.equal(get(`lat=1&lon=1&valid=${v}`).fixes.length, 1, `valid=${v}`)
  const r = get('lat=91&lon=1&extra=1')
  t.equal(r.rejects[0]?.topic, OSMAND_TOPIC)
  t.equal(r.rejects[0]?.unitId, 'P-1')
  t.equal(r.rejects[0]?.payload, 'lat=91&lon=1&extra=1', 'the raw query is kept')
})

t.test('form-encoded body when there is no query string', async (t) => {
  const r = d.osmand(req('', 'id=P-1&lat=36.49&lon=117.86&speed=2'), 'P-1', NOW)
  t.equal(r.fixes[0]?.lat, 36.49)
  t.equal(r.fixes[0]?.speed, 2 * KN)
  t.equal(req('', 'deviceid=P-2&lat=1&lon=1').id, 'P-2')
  t.equal(req('id=P-3&lat=1&lon=1', 'id=P-4&lat=2&lon=2').id, 'P-3', 'a query string with an id wins over the body')
  t.equal(req('key=s3', 'id=P-4&lat=2&lon=2').id, 'P-4', 'a query string with only the secret leaves the body to name the device')
  t.equal(req('', '').id, null)
})

t.test('the secret parameter is returned apart and never kept in the raw payload', async (t) => {
  const q = req('id=P-1&lat=91&lon=1&key=hunter2')
  t.equal(q.secret, 'hunter2')
  t.notMatch(q.raw, /hunter2/)
  t.notMatch(req('id=P-1&lat=91&lon=1&k%65y=hunter2').raw, /hunter2/, 'an encoded name is the same parameter')
  const b = req('', 'id=P-1&lat=91&lon=1&key=hunter2')
  t.equal(b.secret, 'hunter2')
  t.notMatch(b.raw, /hunter2/)
  t.equal(req('key=abc', '{"device_id":"P-1","location":{"coords":{"latitude":1,"longitude":1}}}').secret, 'abc', 'JSON body, secret in the server URL')
  t.equal(req('id=P-1&lat=1&lon=1').secret, null)
  t.equal(req('id=P-1&lat=1&lon=1&token=x', '', 'token').secret, 'x', 'the parameter name is configurable')
})

t.test('the JSON body of newer Traccar Client versions', async (t) => {
  const body = {
    device_id: 'P-1',
    location: {
      timestamp: '2026-11-30T11:59:30.250Z',
      coords: { latitude: 36.49, longitude: 117.86, speed: 5, heading: 270, altitude: 40, accuracy: 6 },
      battery: { level: 0.82, is_charging: false },
      is_moving: true,
      odometer: 1234,
      activity: { type: 'walking' },
    },
  }
  const r0 = req('', JSON.stringify(body))
  t.equal(r0.kind, 'json')
  t.equal(r0.id, 'P-1')
  const r = d.osmand(r0, 'P-1', NOW)
  t.same(r.rejects, [])
  const f = r.fixes[0]!
  t.same([f.ts, f.lat, f.lon, f.speed, f.heading, f.altitude, f.accuracy], [Date.UTC(2026, 10, 30, 11, 59, 30, 250), 36.49, 117.86, 5, 270, 40, 6], 'speed is m/s here')
  t.ok(Math.abs(f.battery! - 82) < 1e-9, 'battery level 0..1 is stored as percent')
  const unknown = d.osmand(req('', JSON.stringify({ ...body, location: { ...body.location, coords: { ...body.location.coords, speed: -1, heading: -1, accuracy: -1 }, battery: { level: -1 } } })), 'P-1', NOW).fixes[0]!
  t.same([unknown.speed, unknown.heading, unknown.accuracy, unknown.battery], [null, null, null, null], 'iOS sends -1 for unknown')
  t.equal(d.osmand(req('', JSON.stringify({ device_id: 'P-1', location: { coords: { latitude: 1, longitude: 1 } } })), 'P-1', NOW).fixes[0]?.ts, NOW, 'no timestamp: the arrival time')
  t.equal(req('', '{"device_id":17,"location":{}}').id, '17', 'a numeric device_id')
  t.equal(req('', '{"device_id":true}').id, null)
})

t.test('JSON body: arrays of locations, and what is rejected', async (t) => {
  const loc = (lat: number) => ({ timestamp: new Date(NOW - 1000).toISOString(), coords: { latitude: lat, longitude: 117.86 } })
  const batch = d.osmand(req('', JSON.stringify({ device_id: 'P-1', location: [loc(36.1), loc(95), 'x', loc(36.2)] })), 'P-1', NOW)
  t.equal(batch.fixes.length, 2, 'the good locations are kept')
  t.same(batch.rejects.map((r) => r.reason), ['lat_out_of_range', 'not_an_object'])
  const one = (doc: unknown) => d.osmand(req('', JSON.stringify(doc)), 'P-1', NOW).rejects[0]?.reason
  t.equal(one({ device_id: 'P-1' }), 'missing_field')
  t.equal(one({ device_id: 'P-1', location: 5 }), 'wrong_type')
  t.equal(one({ device_id: 'P-1', location: {} }), 'missing_field')
  t.equal(one({ device_id: 'P-1', location: { coords: [] } }), 'wrong_type')
  t.equal(one({ device_id: 'P-1', location: { timestamp: 'soon', coords: { latitude: 1, longitude: 1 } } }), 'invalid_ts')
  t.equal(one({ device_id: 'P-1', location: { coords: { latitude: 0, longitude: 0 } } }), 'null_island')
  t.equal(one({ device_id: 'P-1', location: { coords: { latitude: 1, longitude: 1 }, battery: { level: 2 } } }), 'value_out_of_range')
  t.equal(d.osmandRequest('', Buffer.from('{"device_id":'), 'key'), null, 'JSON that does not parse names no device')
  t.equal(d.osmandRequest('', Buffer.from('{"a":1}'), 'key')?.id, null, 'JSON without device_id names no device')
  t.equal(d.osmandRequest('', Buffer.from([0x7b, 0xff, 0x7d]), 'key'), null, 'not UTF-8')
  t.equal(d.osmandRequest('', Buffer.from('{' + ' '.repeat(300_000) + '}'), 'key'), null, 'over the payload limit')
})

t.test('parameter helpers', async (t) => {
  const p = osmandParams('id=a&id=b&x=1')
  t.equal(p.get('id'), 'a', 'the first value counts')
  t.equal(osmandDeviceId(p), 'a')
  t.equal(osmandDeviceId({ device_id: 'z' }), 'z')
})

t.test('mock location: Traccar Client adds mock=true to the request, the JSON client location.mock; the fix is flagged, not rejected', async (t) => {
  // The parameters the Android Traccar Client sends (ProtocolFormatter: id, timestamp in seconds,
  // lat, lon, speed, bearing, altitude, accuracy, batt, and mock only when Android marks the location mocked).
  const ts = NOW / 1000 - 5
  const base = `id=P-1&timestamp=${ts}&lat=36.49&lon=117.86&speed=0.0&bearing=0.0&altitude=41.0&accuracy=12.0&batt=80.0`
  t.equal(get(`${base}&mock=true`).fixes[0]?.flags, FixFlag.Mock, 'mock=true')
  t.equal(get(`${base}&mock=TRUE`).fixes[0]?.flags, FixFlag.Mock, 'any case')
  t.equal(get(`${base}&mock=1`).fixes[0]?.flags, FixFlag.Mock, 'mock=1')
  for (const v of ['false', '0', '', 'yes']) t.equal(get(`${base}&mock=${v}`).fixes[0]?.flags, 0, `mock=${v}: no claim`)
  t.equal(get(base).fixes[0]?.flags, 0, 'no mock parameter')
  // The JSON body of the newer client (Traccar's own decoder test carries "mock":true in location).
  const json = (mock: unknown) => d.osmand(req('', JSON.stringify({
    device_id: 'P-1',
    location: { extras: {}, mock, coords: { speed: -1, longitude: -122.406417, latitude: 37.785834, accuracy: 5, altitude: 0, heading: -1 }, is_moving: false, odometer: 0, event: 'motionchange', battery: { level: -1, is_charging: false }, timestamp: new Date(NOW - 2000).toISOString() },
  })), 'P-1', NOW).fixes[0]?.flags
  t.equal(json(true), FixFlag.Mock)
  t.equal(json(false), 0)
  t.equal(json('true'), 0, 'only the JSON true counts')
})
