// The JT/T 808 codec on frames we build: escapes both ways (property-tested), the frame reader's
// bounds on hostile streams, header edge cases, location fields and additional items, bodies,
// and sub-package reassembly limits.
import t from 'tap'
import fc from 'fast-check'
import iconv from 'iconv-lite'
import { encodeFrame, FrameReader, unescapeFrame, xor, type FrameDrop } from '../../../src/decode/jt808/frame.js'
import { encodeMessage, parseMessage, readFrame, phoneKey, bcd, type Header } from '../../../src/decode/jt808/message.js'
import { bcdTime, isProblem, parseLocation } from '../../../src/decode/jt808/location.js'
import { gbk, parseAuthCode, parseBatch, parseRegistration, platformResponse, registerResponse } from '../../../src/decode/jt808/bodies.js'
import { SubPackages } from '../../../src/decode/jt808/sub-packages.js'
import { locationBody, bcdTime as encodeTime } from '../../helpers/jt808-terminal.js'

function split(stream: Buffer[], max: number) {
  const frames: Buffer[] = []
  const drops: Array<[FrameDrop, number]> = []
  const r = new FrameReader(max)
  for (const c of stream) r.push(c, { frame: (f) => frames.push(f), dropped: (w, n) => drops.push([w, n]) })
  return { frames, drops, r }
}

t.test('escape/unescape round-trip any content, split anywhere in the stream', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 50 }), (bytes, cut) => {
    const content = Buffer.from(bytes)
    const f = encodeFrame(content)
    const inner = f.subarray(1, f.length - 1)
    t.equal(inner.includes(0x7e), false)
    const chunks: Buffer[] = []
    for (let i = 0; i < f.length; i += cut) chunks.push(f.subarray(i, i + cut))
    const { frames } = split(chunks, 1000)
    if (frames.length !== 1) return false
    const u = unescapeFrame(frames[0]!)!
    return u.subarray(0, -1).equals(content) && u[u.length - 1] === xor(content)
  }), { numRuns: 300 })
  t.same(encodeFrame(Buffer.from([0x30, 0x7e, 0x08, 0x7d, 0x55 ^ 0x30 ^ 0x7e ^ 0x08 ^ 0x7d ^ 0x55])).toString('hex').slice(0, 14), '7e307d02087d01', 'the escapes of the specification')
  t.equal(unescapeFrame(Buffer.from([0x01, 0x7d])), null, 'an escape at the end of the frame')
  t.equal(encodeFrame(Buffer.from([0x7e])).toString('hex'), '7e7d027d027e', 'a check code that itself needs escaping')
})

t.test('hostile streams: bounded, never throw, later frames still read', async (t) => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 20 }), (chunks) => {
    const { r } = split(chunks.map((c) => Buffer.from(c)), 256)
    return r.buffered <= 256
  }), { numRuns: 200 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
    const m = readFrame(Buffer.from(bytes))
    return typeof m === 'string' || m.body.length <= 1023
  }), { numRuns: 500 })
  const endless = split([Buffer.from([0x7e]), ...Array.from({ length: 100 }, () => Buffer.alloc(1000, 0x41))], 2200)
  t.equal(endless.r.buffered, 0, 'an endless frame is not buffered')
  t.same(endless.drops, [['too_large', 3000]], 'counted once')
  const good = encodeFrame(Buffer.from('0002000001380000000100010'.padEnd(26, '0'), 'hex'))
  const after = split([Buffer.from('no flag at all'), Buffer.from([0x7e]), Buffer.alloc(300, 1), Buffer.from([0x7e]), good, Buffer.from([0x7e, 0x7e]), good], 100)
  t.equal(after.frames.length, 2, 'frames after the bad ones, and after an empty 0x7e 0x7e')
  t.same(after.drops.map((d) => d[0]), ['junk', 'too_large'])
})

t.test('headers: 2013 and 2019, lengths, sub-packages, check codes', async (t) => {
  const body = Buffer.from('abc')
  const m13 = encodeMessage(0x0200, '13800000001', 7, body, false)
  t.equal(m13.length, 15)
  const framed = (b: Buffer) => Buffer.concat([b, Buffer.from([xor(b)])])
  t.match(parseMessage(framed(m13)), { header: { msgId: 0x200, phone: '013800000001', serial: 7, v2019: false, sub: null }, body })
  const m19 = encodeMessage(0x0200, '13800000001', 8, body, true, 3)
  t.match(parseMessage(framed(m19)), { header: { v2019: true, protocolVersion: 3, phone: '00000000013800000001', serial: 8 } })
  t.equal(parseMessage(framed(m19.subarray(0, 16))), 'bad_header', '2019 header cut short')
  const long = Buffer.from(m13)
  long.writeUInt16BE(4, 2)
  t.equal(parseMessage(framed(long)), 'bad_length')
  const sub = Buffer.from(m13)
  sub.writeUInt16BE(0x2000 | 3, 2)
  t.equal(parseMessage(framed(sub)), 'bad_header', 'sub-package header cut short')
  const withSub = Buffer.concat([m13.subarray(0, 12), Buffer.from([0, 2, 0, 3]), body])
  withSub.writeUInt16BE(0x2000 | 3, 2)
  t.equal(parseMessage(framed(withSub)), 'bad_header', 'index beyond the total')
  withSub.writeUInt16BE(2, 14)
  t.match(parseMessage(framed(withSub)), { header: { sub: { total: 2, index: 2 } } })
  const bad = framed(m13)
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 1
  t.equal(parseMessage(bad), 'bad_check')
  t.equal(bcd(Buffer.from([0x4e, 0xb6]), 0, 2), '4eb6', 'a terminal id that is not BCD is kept as hex')
  t.equal(phoneKey('000000'), '0')
  t.equal(encodeMessage(1, '123456789012345678901234', 0, Buffer.alloc(0), false).subarray(4, 10).toString('hex'), '345678901234', 'too many digits: the last ones')
})

t.test('location fields: hemispheres, ranges, times, additional items', async (t) => {
  const ts = Date.UTC(2026, 0, 31, 23, 59, 59)
  const b = locationBody({ ts, lat: -33.8688, lon: -151.2093, speedKmh: 72, heading: 359, altitude: -12 })
  const r = parseLocation(b, 480)
  t.match(r, { lat: -33.8688, lon: -151.2093, speed: 20, heading: 359, altitude: -12, ts, mileageKm: 123.4, satellites: 12, signal: null })
  const odd = Buffer.from(b)
  odd.writeUInt16BE(400, 20)
  t.equal((parseLocation(odd, 480) as { heading: unknown }).heading, null, 'a direction beyond 359 is unknown')
  const problem = (mutate: (x: Buffer) => void, reason: string, offset = 480) => {
    const x = Buffer.from(b)
    mutate(x)
    const p = parseLocation(x, offset)
    t.ok(isProblem(p) && p.reason === reason, reason)
  }
  problem((x) => x.writeUInt32BE(90_000_001, 8), 'lat_out_of_range')
  problem((x) => x.writeUInt32BE(180_000_001, 12), 'lon_out_of_range')
  for (const time of ['000000000000', '261301000000', '260230000000', '260101240000', '260101006000', '260101000060', '2601010000a0']) {
    problem((x) => Buffer.from(time, 'hex').copy(x, 22), 'invalid_ts')
  }
  const short = parseLocation(b.subarray(0, 20), 480)
  t.match(short, { reason: 'missing_field', alarm: 0 })
  t.match(parseLocation(b.subarray(0, 2), 480), { reason: 'missing_field', alarm: 0 })
  t.equal(bcdTime(encodeTime(ts, -300), 0, -300), ts, 'a zone west of UTC')
  // Items: an unknown one is skipped, a wrong-length known one ignored, one running past the end stops the list.
  const items = Buffer.concat([b.subarray(0, 28), Buffer.from('e10200003001ff01020000310205053102', 'hex')])
  t.match(parseLocation(items, 480), { signal: 255, satellites: null, mileageKm: null })
})

t.test('bodies: GBK text, 2019 auth code, batches, answers', async (t) => {
  t.equal(gbk(Buffer.concat([Buffer.alloc(2), iconv.encode(' 京A00001 ', 'gbk'), Buffer.alloc(3)])), '京A00001')
  t.equal(parseAuthCode(Buffer.from([3, 0x61, 0x62, 0x63, 0x31]), true), 'abc')
  t.equal(parseAuthCode(Buffer.from([9, 0x61]), true), null)
  t.equal(parseAuthCode(Buffer.alloc(0), true), null)
  t.equal(parseRegistration(Buffer.alloc(70), true), null, '2019 body too short')
  t.equal(parseBatch(Buffer.from([0]), 10), null)
  t.equal(parseBatch(Buffer.from([0, 1, 0, 0]), 10), null, 'item length missing')
  t.equal(parseBatch(Buffer.from([0, 1, 0, 0, 5, 1]), 10), null, 'item longer than the body')
  t.same(parseBatch(Buffer.from([0, 0, 1]), 10), { type: 1, items: [] })
  t.equal(platformResponse(0x1234, 0x0200, 0).toString('hex'), '1234020000')
  t.equal(registerResponse(1, 0, 'k1').toString('hex'), '000100' + Buffer.from('k1').toString('hex'))
  t.equal(registerResponse(1, 4, 'k1').toString('hex'), '000104', 'no code unless registered')
})

t.test('sub-packages: a changed total starts over, a re-sent part replaces itself', async (t) => {
  const h = (index: number, total: number, serial = index): Header => ({ msgId: 0x0704, v2019: false, protocolVersion: 0, encryption: 0, phone: '1', serial, sub: { total, index } })
  const s = new SubPackages(10, 1000)
  t.equal(s.add(h(1, 3), Buffer.alloc(10)), 'held')
  t.equal(s.add(h(1, 3, 9), Buffer.alloc(20)), 'held', 're-sent part')
  t.equal(s.held, 20)
  t.equal(s.add(h(2, 2), Buffer.alloc(5)), 'held', 'another total: the old parts are dropped')
  t.equal(s.held, 5)
  const done = s.add(h(1, 2), Buffer.from('ab'))
  t.match(done, { header: { serial: 1, sub: null }, serials: [1, 2] })
  t.equal(s.held, 0)
  t.equal(new SubPackages(10, 5).add(h(1, 2), Buffer.alloc(10)), 'too_large', 'a first part beyond the bound')
})
