// CRC-32 (IEEE 802.3, the zlib/gzip polynomial) of a buffer, used to frame journal records.
// zlib.crc32 is native and several times faster, but only exists from Node 22.2; older
// runtimes (package.json allows any Node 22) fall back to the classic table-driven loop.
import zlib from 'node:zlib'

export type Crc32 = (data: Uint8Array) => number

const TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

/** Portable table-driven CRC-32; same results as zlib.crc32. */
export function crc32Table(data: Uint8Array): number {
  let c = 0xffffffff
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** Picks the native implementation when the runtime has one (decided once, not per call). */
export function selectCrc32(native: unknown): Crc32 {
  if (typeof native === 'function') {
    const fn = native as (data: Uint8Array) => number
    return (data) => fn(data)
  }
  return crc32Table
}

export const crc32: Crc32 = selectCrc32((zlib as { crc32?: unknown }).crc32)
