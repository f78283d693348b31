// A minimal PMTiles v3 writer for tests (spec: github.com/protomaps/PMTiles/blob/main/spec/v3):
// a 127-byte header, an uncompressed root directory (tile ids on the Hilbert curve, run
// lengths, lengths, offsets as varints), JSON metadata, then the tile bytes. No leaf
// directories: enough for a few hundred tiles. Plus a solid-colour PNG encoder for the tiles.
import { deflateSync } from 'node:zlib'
import { zxyToTileId } from 'pmtiles'

const HEADER = 127

function varints(values: number[]): Buffer {
  const out: number[] = []
  for (let v of values) {
    while (v >= 0x80) {
      out.push((v & 0x7f) | 0x80)
      v = Math.floor(v / 128)
    }
    out.push(v)
  }
  return Buffer.from(out)
}

export interface Tile { z: number; x: number; y: number; data: Buffer }

/** Raster PNG archive. Identical tile contents are stored once (as real archives do). */
export function writePmtiles(tiles: Tile[], o: { bounds: [number, number, number, number]; metadata?: Record<string, unknown> }): Buffer {
  const contents: Buffer[] = []
  const offsets = new Map<Buffer, number>()
  let size = 0
  const entries = tiles.map((t) => {
    let off = offsets.get(t.data)
    if (off === undefined) {
      offsets.set(t.data, (off = size))
      contents.push(t.data)
      size += t.data.length
    }
    return { id: zxyToTileId(t.z, t.x, t.y), offset: off, length: t.data.length }
  }).sort((a, b) => a.id - b.id)
  const ids: number[] = []
  let last = 0
  for (const e of entries) {
    ids.push(e.id - last)
    last = e.id
  }
  // Offsets are stored + 1 (0 would mean "right after the previous tile").
  const dir = Buffer.concat([varints([entries.length]), varints(ids), varints(entries.map(() => 1)), varints(entries.map((e) => e.length)), varints(entries.map((e) => e.offset + 1))])
  const meta = Buffer.from(JSON.stringify({ name: 'test basemap', format: 'png', ...o.metadata }))
  const data = Buffer.concat(contents)
  const zooms = tiles.map((t) => t.z)
  const h = Buffer.alloc(HEADER)
  h.write('PMTiles', 0, 'latin1')
  h.writeUInt8(3, 7)
  const u64 = (at: number, v: number) => h.writeBigUInt64LE(BigInt(v), at)
  u64(8, HEADER) // root directory
  u64(16, dir.length)
  u64(24, HEADER + dir.length) // metadata
  u64(32, meta.length)
  u64(40, HEADER + dir.length + meta.length) // no leaf directories
  u64(48, 0)
  u64(56, HEADER + dir.length + meta.length) // tile data
  u64(64, data.length)
  u64(72, entries.length) // addressed tiles
  u64(80, entries.length) // tile entries
  u64(88, contents.length) // tile contents
  h.writeUInt8(1, 96) // clustered
  h.writeUInt8(1, 97) // internal compression: none
  h.writeUInt8(1, 98) // tile compression: none
  h.writeUInt8(2, 99) // tile type: png
  h.writeUInt8(Math.min(...zooms), 100)
  h.writeUInt8(Math.max(...zooms), 101)
  const [w, s, e, n] = o.bounds
  const e7 = (at: number, v: number) => h.writeInt32LE(Math.round(v * 1e7), at)
  e7(102, w)
  e7(106, s)
  e7(110, e)
  e7(114, n)
  h.writeUInt8(Math.min(...zooms), 118)
  e7(119, (w + e) / 2)
  e7(123, (s + n) / 2)
  return Buffer.concat([h, dir, meta, data])
}

/** Web Mercator tiles covering the bounds at zoom z. */
export function tilesCovering(bounds: [number, number, number, number], z: number): Array<{ z: number; x: number; y: number }> {
  const [w, s, e, n] = bounds
  const n2 = 2 ** z
  const tx = (lon: number) => Math.floor(((lon + 180) / 360) * n2)
  const ty = (lat: number) => Math.floor(((1 - Math.log(Math.tan((lat * Math.PI) / 180) + 1 / Math.cos((lat * Math.PI) / 180)) / Math.PI) / 2) * n2)
  const out: Array<{ z: number; x: number; y: number }> = []
  for (let x = tx(w); x <= tx(e); x++) for (let y = ty(n); y <= ty(s); y++) out.push({ z, x, y })
  return out
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32(b: Buffer): number {
  let c = 0xffffffff
  for (const x of b) c = (CRC_TABLE[(c ^ x) & 0xff] as number) ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(td))
  return Buffer.concat([len, td, crc])
}

/** A size × size PNG of one RGB colour. */
export function solidPng(rgb: [number, number, number], size = 256): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0)
  ihdr.writeUInt32BE(size, 4)
  ihdr.writeUInt8(8, 8) // bit depth
  ihdr.writeUInt8(2, 9) // truecolour
  const row = Buffer.alloc(1 + size * 3)
  for (let i = 0; i < size; i++) row.set(rgb, 1 + i * 3)
  const raw = Buffer.concat(Array.from({ length: size }, () => row))
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}
