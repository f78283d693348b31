import t from 'tap'
import zlib from 'node:zlib'
import { crc32, crc32Table, selectCrc32 } from '../../src/journal/crc32.js'

t.test('table CRC-32 matches the reference check value and zlib', async (t) => {
  t.equal(crc32Table(Buffer.from('123456789')), 0xcbf43926)
  t.equal(crc32Table(Buffer.alloc(0)), 0)
  t.equal(crc32(Buffer.from('123456789')), 0xcbf43926)
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff))
  if (native) t.equal(crc32Table(data), native(data))
  t.equal(crc32Table(data), crc32(data))
})

t.test('selectCrc32 uses the native function when there is one, else the table', async (t) => {
  let calls = 0
  const fake = selectCrc32((d: Uint8Array) => { calls++; return d.length })
  t.equal(fake(Buffer.from('abc')), 3)
  t.equal(calls, 1)
  t.equal(selectCrc32(undefined), crc32Table)
})
