// On-disk format of a journal segment, pure (buffers in, verdicts out) so recovery and reads
// share one parser and it can be tested without files.
//
//   header (16 bytes): "HXPJ" | u8 version | 3 reserved zero bytes | f64 LE firstAt (epoch ms)
//   frames:            u32 LE length | u32 LE crc32(payload) | payload
//
// The header is written together with the first record (segments are created lazily), so
// firstAt is the time of the first record and survives a restart.
import { crc32 } from './crc32.js'

export const MAGIC = Buffer.from('HXPJ', 'latin1')
export const VERSION = 1
export const HEADER_BYTES = 16
export const FRAME_OVERHEAD = 8

export function encodeHeader(firstAt: number): Buffer {
  const b = Buffer.alloc(HEADER_BYTES)
  MAGIC.copy(b, 0)
  b.writeUInt8(VERSION, 4)
  b.writeDoubleLE(firstAt, 8)
  return b
}

/** One contiguous buffer per frame so a single write() either lands whole or leaves a torn tail. */
export function encodeFrame(payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(FRAME_OVERHEAD + payload.length)
  b.writeUInt32LE(payload.length, 0)
  b.writeUInt32LE(crc32(payload), 4)
  payload.copy(b, FRAME_OVERHEAD)
  return b
}

export type HeaderCheck =
  | { kind: 'ok'; firstAt: number }
  /** Shorter than a header and consistent with one: a crash while creating the file, no record lost. */
  | { kind: 'torn' }
  | { kind: 'bad'; reason: string }

export function checkHeader(buf: Buffer): HeaderCheck {
  const known = Math.min(buf.length, 8)
  const expected = Buffer.alloc(8)
  MAGIC.copy(expected, 0)
  expected.writeUInt8(VERSION, 4)
  if (buf.length < HEADER_BYTES) {
    return buf.subarray(0, known).equals(expected.subarray(0, known)) ? { kind: 'torn' } : { kind: 'bad', reason: 'bad header' }
  }
  if (!buf.subarray(0, 4).equals(MAGIC)) return { kind: 'bad', reason: 'bad magic' }
  const version = buf.readUInt8(4)
  if (version !== VERSION) return { kind: 'bad', reason: `unsupported version ${version}` }
  return { kind: 'ok', firstAt: buf.readDoubleLE(8) }
}

export interface FrameScan {
  /** Verified payloads (views into the scanned buffer, no copies). */
  records: Buffer[]
  /** Offset just past the last good frame: the length the file should have. */
  validEnd: number
  /** Frames at and after the first bad one (at least 1 when reason is set). */
  corrupt: number
  reason: 'torn frame' | 'bad checksum' | null
}

/**
 * Verifies frames from the end of the header. The scan stops at the first torn or mismatching
 * frame and gives up on everything after it in this segment: the checksum covers the payload
 * only, so once one frame is suspect its length field (and hence every later frame boundary)
 * cannot be trusted. Appends are sequential, so a crash only ever tears the tail; damage in the
 * middle means the medium is failing, and dropping the rest of one segment is the honest answer.
 * The frames after the bad one are still counted (by walking their length fields) so the
 * operator sees how much was lost.
 */
export function scanFrames(buf: Buffer): FrameScan {
  const records: Buffer[] = []
  let off = HEADER_BYTES
  while (off < buf.length) {
    if (off + FRAME_OVERHEAD > buf.length) return bad(records, off, buf, 'torn frame')
    const len = buf.readUInt32LE(off)
    const end = off + FRAME_OVERHEAD + len
    if (end > buf.length) return bad(records, off, buf, 'torn frame')
    const payload = buf.subarray(off + FRAME_OVERHEAD, end)
    if (crc32(payload) !== buf.readUInt32LE(off + 4)) return bad(records, off, buf, 'bad checksum')
    records.push(payload)
    off = end
  }
  return { records, validEnd: off, corrupt: 0, reason: null }
}

function bad(records: Buffer[], at: number, buf: Buffer, reason: 'torn frame' | 'bad checksum'): FrameScan {
  let corrupt = 0
  let off = at
  while (off < buf.length) {
    corrupt++
    if (off + FRAME_OVERHEAD > buf.length) break
    off += FRAME_OVERHEAD + buf.readUInt32LE(off)
  }
  return { records, validEnd: at, corrupt, reason }
}
