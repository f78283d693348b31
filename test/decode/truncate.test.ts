import t from 'tap'
import { truncateBuffer, truncateString } from '../../src/decode/truncate.js'

t.test('short input is returned whole', async (t) => {
  t.equal(truncateBuffer(Buffer.from('hello'), 64), 'hello')
  t.equal(truncateString('hello', 64), 'hello')
  t.equal(truncateBuffer(Buffer.alloc(0), 64), '')
})

t.test('ASCII is cut at the byte limit', async (t) => {
  t.equal(truncateBuffer(Buffer.from('abcdefghij'), 4), 'abcd')
  t.equal(truncateString('abcdefghij'.repeat(10), 7), 'abcdefg')
})

t.test('multi-byte characters are never split', async (t) => {
  // 'é' = 2 bytes, '中' = 3 bytes, '😀' = 4 bytes.
  const s = 'aé中😀z'
  const b = Buffer.from(s)
  t.equal(b.length, 11)
  const expect = ['', 'a', 'a', 'aé', 'aé', 'aé', 'aé中', 'aé中', 'aé中', 'aé中', 'aé中😀', 'aé中😀z']
  for (let n = 0; n <= 11; n++) {
    const got = truncateBuffer(b, n)
    t.equal(got, expect[n], `limit ${n}`)
    t.ok(Buffer.byteLength(got) <= n)
    t.equal(truncateString(s, n), expect[n], `string limit ${n}`)
  }
  const emoji = '😀'.repeat(100)
  const cut = truncateString(emoji, 10)
  t.equal(cut, '😀😀')
})

t.test('invalid UTF-8 stays within the byte limit after U+FFFD replacement', async (t) => {
  const garbage = Buffer.alloc(300, 0xff)
  const s = truncateBuffer(garbage, 64)
  t.ok(Buffer.byteLength(s) <= 64, `got ${Buffer.byteLength(s)} bytes`)
  t.match(s, /^\uFFFD+$/)
  // Lone continuation bytes at the cut point: the walk back stops after 3 steps.
  const cont = Buffer.alloc(100, 0x80)
  const c = truncateBuffer(cont, 10)
  t.ok(Buffer.byteLength(c) <= 10)
  // A short invalid buffer that fits in bytes but not after replacement.
  const shortBad = Buffer.from([0x41, 0xff, 0xfe, 0xfd, 0xfc, 0x42])
  const r = truncateBuffer(shortBad, 8)
  t.ok(Buffer.byteLength(r) <= 8)
  t.equal(r[0], 'A')
})

t.test('lone surrogates count as 3 bytes', async (t) => {
  const s = '\ud800'.repeat(50)
  const r = truncateString(s, 20)
  t.ok(Buffer.byteLength(r) <= 20)
  t.equal(r.length, 6)
})
