import t from 'tap'
import { checkHeader, encodeFrame, encodeHeader, FRAME_OVERHEAD, HEADER_BYTES, MAGIC, scanFrames } from '../../src/journal/segment-format.js'

function segment(...payloads: string[]): Buffer {
  return Buffer.concat([encodeHeader(1234.5), ...payloads.map((p) => encodeFrame(Buffer.from(p)))])
}

t.test('header round-trips firstAt and is checked', async (t) => {
  const h = encodeHeader(1_700_000_000_123)
  t.equal(h.length, HEADER_BYTES)
  t.same(checkHeader(h), { kind: 'ok', firstAt: 1_700_000_000_123 })
  t.same(checkHeader(Buffer.alloc(0)), { kind: 'torn' })
  t.same(checkHeader(h.subarray(0, 6)), { kind: 'torn' })
  t.same(checkHeader(h.subarray(0, 12)), { kind: 'torn' })
  t.same(checkHeader(Buffer.from('HX')), { kind: 'torn' })
  t.same(checkHeader(Buffer.from('nope')), { kind: 'bad', reason: 'bad header' })
  const wrongMagic = Buffer.from(h)
  wrongMagic[0] = 0x41
  t.same(checkHeader(wrongMagic), { kind: 'bad', reason: 'bad magic' })
  const v2 = Buffer.from(h)
  v2[4] = 2
  t.same(checkHeader(v2), { kind: 'bad', reason: 'unsupported version 2' })
  t.equal(MAGIC.toString(), 'HXPJ')
})

t.test('frames are length + crc + payload and scan back', async (t) => {
  const f = encodeFrame(Buffer.from('hello'))
  t.equal(f.length, FRAME_OVERHEAD + 5)
  t.equal(f.readUInt32LE(0), 5)
  const buf = segment('a', '', 'ccc')
  const s = scanFrames(buf)
  t.same(s.records.map(String), ['a', '', 'ccc'])
  t.equal(s.validEnd, buf.length)
  t.equal(s.corrupt, 0)
  t.equal(s.reason, null)
  t.same(scanFrames(encodeHeader(0)).records, [])
})

t.test('a torn tail stops the scan at the last whole frame', async (t) => {
  const whole = segment('one', 'two', 'three')
  for (const cut of [1, 4, 8, 10]) {
    const s = scanFrames(whole.subarray(0, whole.length - cut))
    t.same(s.records.map(String), ['one', 'two'], `cut ${cut}`)
    t.equal(s.corrupt, 1)
    t.equal(s.reason, 'torn frame')
    t.equal(s.validEnd, segment('one', 'two').length)
  }
  // Fewer than 8 bytes of the last frame: not even its length is there.
  const s = scanFrames(whole.subarray(0, segment('one', 'two').length + 3))
  t.equal(s.reason, 'torn frame')
  t.equal(s.corrupt, 1)
})

t.test('a bad checksum drops that frame and the rest of the segment, counting them', async (t) => {
  const buf = segment('r0', 'r1', 'r2', 'r3', 'r4')
  const second = HEADER_BYTES + FRAME_OVERHEAD + 2
  buf[second + FRAME_OVERHEAD] = buf[second + FRAME_OVERHEAD]! ^ 0xff // first payload byte of r1
  const s = scanFrames(buf)
  t.same(s.records.map(String), ['r0'])
  t.equal(s.reason, 'bad checksum')
  t.equal(s.corrupt, 4)
  t.equal(s.validEnd, second)
  // The count also includes a torn frame at the very end.
  const torn = scanFrames(buf.subarray(0, buf.length - 1))
  t.equal(torn.corrupt, 4)
  const tornHeaderOfLast = scanFrames(buf.subarray(0, buf.length - 7))
  t.equal(tornHeaderOfLast.corrupt, 4)
})
