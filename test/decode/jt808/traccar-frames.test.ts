// Real JT/T 808 frames from terminals in the field (Traccar's decoder tests, Apache-2.0: see
// test/fixtures/jt808/README.md): headers of both editions, escapes, check codes, positions,
// hemispheres, times in the terminal zone, alarms, batches, registration text in GBK.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { latLngToCell } from 'h3-js'
import { readFrame, phoneKey, type Message } from '../../../src/decode/jt808/message.js'
import { parseLocation, isProblem, ALARM_EMERGENCY, type LocationReport } from '../../../src/decode/jt808/location.js'
import { MsgId, parseAuthCode, parseBatch, parseRegistration } from '../../../src/decode/jt808/bodies.js'
import { locationFix, jt808Result, jt808Topic } from '../../../src/decode/jt808/to-fix.js'

const frames = JSON.parse(readFileSync(new URL('../../fixtures/jt808/traccar-frames.json', import.meta.url), 'utf8')) as Record<string, string>
const CST = 8 * 60
const LIM = { maxFutureSkewMs: 120_000, maxAgeMs: 30 * 365 * 86_400_000, h3Resolution: 9, rejectNullIsland: true }
const NOW = Date.UTC(2026, 11, 6)

/** The frame named `name`, split as the FrameReader would (flags off) and read. */
function msg(name: string): Message {
  const hex = frames[name]
  if (hex === undefined) throw new Error(`no frame ${name}`)
  const b = Buffer.from(hex, 'hex')
  const m = readFrame(b.subarray(1, b.length - 1))
  if (typeof m === 'string') throw new Error(`${name}: ${m}`)
  return m
}
function loc(b: Buffer, from?: number, to?: number): LocationReport {
  const r = parseLocation(b, CST, from, to)
  if (isProblem(r)) throw new Error(r.detail)
  return r
}

t.test('2013 location: header, position, time in +08:00, speed in m/s, additional items', async (t) => {
  const m = msg('location_items_e4')
  t.match(m.header, { msgId: MsgId.Location, v2019: false, phone: '051160004464', serial: 0x000d, sub: null, encryption: 0 })
  const r = loc(m.body)
  t.equal(r.lat, 22.64483)
  t.equal(r.lon, 114.02938)
  t.equal(r.ts, Date.UTC(2020, 7, 7, 10, 7, 22), '2020-08-07 18:07:22 +08:00')
  t.equal(r.alarm, 0)
  t.equal(r.mileageKm, 0.1)
  t.equal(r.signal, 28)
  t.equal(r.satellites, 9)
})

t.test('south and west from status bits 2 and 3; SOS is alarm bit 0', async (t) => {
  const sw = loc(msg('location_south_west').body)
  t.equal(sw.lat, -19.591535)
  t.equal(sw.lon, -46.912186)
  t.equal(sw.ts, Date.UTC(2015, 0, 1, 11, 42, 57))
  const sos = msg('location_sos_west')
  t.equal(sos.header.phone, '094027587492')
  const r = loc(sos.body)
  t.equal(r.alarm & ALARM_EMERGENCY, ALARM_EMERGENCY, 'emergency alarm')
  t.equal(r.lat, 50.871735)
  t.equal(r.lon, -1.255923)
  t.equal(r.speed, 20 / 36, '2.0 km/h')
  t.equal(r.mileageKm, 1.8)
  const low = loc(msg('location_alarm_low_battery').body)
  t.equal(low.alarm, 0x80, 'bit 7 (low voltage), no emergency')
})

t.test('2019 header: version flag, protocol version, BCD[10] phone', async (t) => {
  const reg = msg('register_2019')
  t.match(reg.header, { msgId: MsgId.Register, v2019: true, protocolVersion: 1, phone: '00000866496077582164', serial: 0x5218 })
  t.equal(phoneKey(reg.header.phone), '866496077582164')
  t.match(parseRegistration(reg.body, true), { province: 0, city: 0, maker: '', model: 'MD300', terminalId: '866496077582164', plate: '' })
  const b = msg('batch_2019_south')
  t.match(b.header, { msgId: MsgId.LocationBatch, v2019: true, phone: '00000866496077582164' })
  const batch = parseBatch(b.body, 100)!
  t.equal(batch.type, 0)
  t.equal(batch.items.length, 1)
  const r = loc(b.body, ...batch.items[0]!)
  t.equal(r.lat, -27.263378)
  t.equal(r.lon, 153.037383)
  t.equal(r.altitude, 22)
  t.equal(r.heading, 2)
  t.equal(r.ts, Date.UTC(2026, 4, 9, 8, 42, 27))
  t.equal(r.mileageKm, 960.2)
  t.equal(r.signal, 0)
  t.equal(r.satellites, 14)
})

t.test('blind-area batches: every item read in order', async (t) => {
  const m8 = msg('batch_blind_8')
  t.equal(phoneKey(m8.header.phone), '13567777777')
  const b8 = parseBatch(m8.body, 100)!
  t.equal(b8.type, 1, 'blind-area back-fill')
  const r8 = b8.items.map(([f, e]) => loc(m8.body, f, e))
  t.equal(r8.length, 8)
  t.match(r8[0], { lat: 22.639634, lon: 114.031952, altitude: 370, ts: Date.UTC(2016, 4, 27, 1, 6, 24), mileageKm: 2.9 })
  t.equal(r8[7]!.ts, Date.UTC(2016, 4, 27, 1, 10, 2))
  t.ok(r8.every((r, i) => i === 0 || r.ts > r8[i - 1]!.ts), 'buffered in time order')
  const m4 = msg('batch_blind_4')
  const b4 = parseBatch(m4.body, 100)!
  const r4 = b4.items.map(([f, e]) => loc(m4.body, f, e))
  t.equal(r4.length, 4)
  t.match(r4[0], { lat: 23.169734, lon: 113.450784, heading: 41 })
  t.equal(r4[3]!.alarm, 0x100)
  t.equal(parseBatch(m4.body, 3), null, 'more items than allowed')
  const m1 = msg('batch_2013_sats14')
  const b1 = parseBatch(m1.body, 100)!
  t.equal(loc(m1.body, ...b1.items[0]!).satellites, 14, 'as Traccar reads it')
})

t.test('registration (GBK plate), authentication, heartbeat', async (t) => {
  const a = msg('register_2013_plate_a')
  t.same(parseRegistration(a.body, false), { province: 44, city: 303, maker: '70111', model: 'BSJ-A6-BD', terminalId: '0567872', plateColour: 1, plate: '粤B88888' })
  const b = msg('register_2013_plate_b')
  t.match(parseRegistration(b.body, false), { maker: '70107', model: 'HB-R03GBD', terminalId: '2366104', plateColour: 2, plate: '苏BA6860' })
  t.equal(parseRegistration(b.body.subarray(0, 30), false), null, 'truncated')
  const auth = msg('auth_2013')
  t.equal(auth.header.msgId, MsgId.Authenticate)
  t.equal(parseAuthCode(auth.body, false), 'authentication')
  const hb = msg('heartbeat_2013')
  t.match(hb.header, { msgId: MsgId.Heartbeat, phone: '043048325465', serial: 0xb7 })
  t.equal(hb.body.length, 0)
  t.equal(msg('location_query_response').header.msgId, 0x0201)
})

t.test('frames a terminal got wrong are dropped with their reason', async (t) => {
  const read = (name: string) => {
    const b = Buffer.from(frames[name]!, 'hex')
    return readFrame(b.subarray(1, b.length - 1))
  }
  t.equal(read('location_invalid_escape'), 'bad_escape', '0x7d 0xa0 is no escape')
  t.equal(read('location_2013'), 'bad_check', 'a frame cut short')
  t.equal(read('escaped_frame_decoder'), 'bad_header', 'too short to be a message')
})

t.test('location → Fix: source, topic, units; unpositioned and null island rejected', async (t) => {
  const m = msg('location_sos_west')
  const topic = jt808Topic('94027587492')
  const r = locationFix(m.body, 0, m.body.length, 'car-7', topic, NOW, CST, LIM, 64)
  t.same(r.fix, {
    unitId: 'car-7', ts: Date.UTC(2013, 3, 12, 8, 49, 52), receivedAt: NOW, lat: 50.871735, lon: -1.255923, h3: latLngToCell(50.871735, -1.255923, 9),
    speed: 20 / 36, heading: 0, accuracy: null, altitude: 0, battery: null, seq: null, source: 'jt808', topic: 'jt808:94027587492', flags: 0,
  })
  t.equal(r.report?.alarm, 1)
  const ni = msg('location_null_island')
  const z = locationFix(ni.body, 0, ni.body.length, 'car-7', topic, NOW, CST, LIM, 64)
  t.equal(z.reject?.reason, 'null_island')
  t.equal(z.reject?.payload.length, 64, 'payload (hex) truncated to the limit')
  const unpositioned = Buffer.from(m.body)
  unpositioned.writeUInt32BE(0, 4)
  const u = locationFix(unpositioned, 0, unpositioned.length, 'car-7', topic, NOW, CST, LIM, 1000)
  t.equal(u.reject?.reason, 'invalid_fix')
  t.equal(u.report, null)
  const old = locationFix(m.body, 0, m.body.length, 'car-7', topic, NOW, CST, { ...LIM, maxAgeMs: 86_400_000 }, 1000)
  t.equal(old.reject?.reason, 'ts_too_old')
  const res = jt808Result([r, z, u])
  t.equal(res.format, 'jt808')
  t.equal(res.fixes.length, 1)
  t.same(res.rejects.map((x) => x.reason), ['null_island', 'invalid_fix'])
})
