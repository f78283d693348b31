import t from 'tap'
import { latLngToCell } from 'h3-js'
import { createDecoder } from '../../src/decode/decoder.js'
import type { DecodeResult } from '../../src/decode/fix.js'

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0)
const TST = NOW / 1000 - 30
const decode = createDecoder({
  subscriptions: [{ topic: 'owntracks/+/+', format: 'owntracks' }],
  maxPayloadBytes: 65_536,
  maxFutureSkewMs: 120_000,
  maxAgeMs: 86_400_000,
  maxBatchElements: 10,
  rejectPayloadBytes: 512,
  h3Resolution: 11,
  rejectNullIsland: true,
})
const TOPIC = 'owntracks/jane/phone'
const run = (body: unknown): DecodeResult => decode(TOPIC, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), NOW)
const loc = { _type: 'location', tst: TST, lat: -33.8688, lon: 151.2093 }

type T = Parameters<Parameters<typeof t.test>[0]>[0]

function rejected(t: T, r: DecodeResult, reason: string, field: RegExp): void {
  t.equal(r.fixes.length, 0)
  t.equal(r.ignored, null)
  t.equal(r.rejects.length, 1)
  t.equal(r.rejects[0]!.reason, reason)
  t.match(r.rejects[0]!.detail, field)
  t.equal(r.rejects[0]!.unitId, 'jane-phone')
}

t.test('a full location message from the booklet', async (t) => {
  const msg = { ...loc, acc: 12, alt: 58, vel: 36, cog: 270, batt: 77, tid: 'jp', t: 'u', conn: 'w', bs: 1, vac: 3, inregions: ['home'], created_at: TST, topic: TOPIC }
  const r = run(msg)
  t.same(r, {
    format: 'owntracks',
    fixes: [{
      unitId: 'jane-phone', ts: TST * 1000, receivedAt: NOW, lat: -33.8688, lon: 151.2093, h3: latLngToCell(-33.8688, 151.2093, 11),
      speed: 10, heading: 270, accuracy: 12, altitude: 58, battery: 77, seq: null, source: 'owntracks', topic: TOPIC, flags: 0,
    }],
    rejects: [],
    ignored: null,
  })
})

t.test('acc/alt/cog/vel omitted when zero are read as unknown (null)', async (t) => {
  const f = run(loc).fixes[0]!
  t.equal(f.accuracy, null)
  t.equal(f.altitude, null)
  t.equal(f.heading, null)
  t.equal(f.speed, null)
  t.equal(f.battery, null)
  t.equal(f.ts, TST * 1000, 'tst is epoch seconds')
  const z = run({ ...loc, vel: 0, acc: 0, cog: 0, alt: 0, batt: 0 }).fixes[0]!
  t.equal(z.speed, 0)
  t.equal(z.accuracy, 0)
})

t.test('non-location types are ignored, not rejected', async (t) => {
  for (const type of ['lwt', 'transition', 'waypoint', 'waypoints', 'card', 'status', 'cmd', 'steps', 'encrypted', 'configuration', 'beacon', 'request']) {
    t.same(run({ _type: type, tst: TST }), { format: 'owntracks', fixes: [], rejects: [], ignored: type }, type)
  }
  t.same(run({ _type: 'weird-new-type' }), { format: 'owntracks', fixes: [], rejects: [], ignored: 'other' }, 'unknown types share one bounded label')
  t.same(decode(TOPIC, Buffer.alloc(0), NOW), { format: 'owntracks', fixes: [], rejects: [], ignored: 'empty' }, 'a zero-length payload (a deleted friend) is ignored')
  t.same(run({ _type: 'x'.repeat(10_000) }).ignored, 'other')
})

t.test('_type problems', async (t) => {
  rejected(t, run({ tst: TST, lat: 1, lon: 1 }), 'missing_field', /_type is missing/)
  rejected(t, run({ _type: null, tst: TST, lat: 1, lon: 1 }), 'missing_field', /_type is null/)
  rejected(t, run({ _type: 5, tst: TST, lat: 1, lon: 1 }), 'wrong_type', /_type must be a string, got number/)
  rejected(t, run({ _type: ['location'], tst: TST, lat: 1, lon: 1 }), 'wrong_type', /got array/)
})

t.test('location field problems', async (t) => {
  rejected(t, run({ ...loc, tst: undefined }), 'missing_field', /tst is missing/)
  rejected(t, run({ ...loc, tst: '1717243200' }), 'wrong_type', /tst must be a number, got string/)
  rejected(t, run({ ...loc, tst: new Date(NOW).toISOString() }), 'wrong_type', /tst/)
  rejected(t, run({ ...loc, tst: TST * 1000 }), 'ts_in_future', /tst/)
  rejected(t, run({ ...loc, tst: TST - 2 * 86_400 }), 'ts_too_old', /tst/)
  t.notMatch(run({ ...loc, tst: TST * 1000 }).rejects[0]!.detail, /looks like/, 'no ms hint for a seconds field')
  rejected(t, run(`{"_type":"location","tst":1e999,"lat":1,"lon":1}`), 'not_finite', /tst/)
  rejected(t, run({ ...loc, lat: 95 }), 'lat_out_of_range', /lat/)
  rejected(t, run({ ...loc, lon: -200 }), 'lon_out_of_range', /lon/)
  rejected(t, run({ ...loc, lat: '1' }), 'wrong_type', /lat/)
  rejected(t, run({ ...loc, lon: undefined }), 'missing_field', /lon/)
  rejected(t, run({ ...loc, cog: 400 }), 'value_out_of_range', /cog/)
  rejected(t, run({ ...loc, batt: 150 }), 'value_out_of_range', /batt/)
  rejected(t, run({ ...loc, alt: 'high' }), 'wrong_type', /alt/)
  rejected(t, run(`{"_type":"location","tst":${TST},"lat":1,"lon":1,"alt":1e999}`), 'not_finite', /alt/)
})

t.test('OwnTracks payloads must be objects: arrays are not batches here', async (t) => {
  rejected(t, run([loc]), 'not_an_object', /must be a JSON object, got array/)
  rejected(t, run('"location"'), 'not_an_object', /got string/)
  rejected(t, run('null'), 'not_an_object', /got null/)
})

t.test('the reject keeps the raw payload', async (t) => {
  const body = JSON.stringify({ ...loc, lat: 95 })
  t.equal(run(body).rejects[0]!.payload, body)
})
