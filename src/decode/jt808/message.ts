// A JT/T 808 message from an unescaped frame: the header (2013 or 2019 edition) and the body,
// with the check code verified. Pure; every problem is a reason, never an exception.
import { unescapeFrame, xor } from './frame.js'

export interface SubPackage {
  total: number
  /** 1-based. */
  index: number
}

export interface Header {
  msgId: number
  /** 2019 edition (attribute bit 14): protocol version byte and a BCD[10] phone number. */
  v2019: boolean
  /** Protocol version (2019), else 0. */
  protocolVersion: number
  /** Encryption bits 10-12 (0: none, bit 10: RSA). */
  encryption: number
  /** The terminal phone number as sent (12 or 20 digits; leading zeros kept). */
  phone: string
  serial: number
  sub: SubPackage | null
}

export interface Message {
  header: Header
  body: Buffer
}

/** Why a frame was not a message (a metric label). */
export type FrameProblem = 'bad_escape' | 'bad_check' | 'bad_header' | 'bad_length'

export const ATTR_SUBPACKAGE = 0x2000
export const ATTR_V2019 = 0x4000
const LENGTH_MASK = 0x3ff

const HEX = '0123456789abcdef'

/** BCD digits; a nibble above 9 is kept as its hex digit (terminals that send a hex id). */
export function bcd(b: Buffer, from: number, n: number): string {
  let s = ''
  for (let i = from; i < from + n; i++) {
    const c = b[i]!
    s += HEX[c >> 4]! + HEX[c & 15]!
  }
  return s
}

/** The phone number as a unit is configured with: leading zeros dropped ('0' when all zero). */
export function phoneKey(phone: string): string {
  const k = phone.replace(/^0+/, '')
  return k === '' ? '0' : k
}

/** Header + body from a frame as the FrameReader yields it (escaped, without the 0x7e flags). */
export function readFrame(escaped: Buffer): Message | FrameProblem {
  const b = unescapeFrame(escaped)
  return b === null ? 'bad_escape' : parseMessage(b)
}

/** Header + body from an unescaped frame (header, body, check code), or the problem. */
export function parseMessage(b: Buffer): Message | FrameProblem {
  if (b.length < 13) return 'bad_header'
  if (xor(b, 0, b.length - 1) !== b[b.length - 1]) return 'bad_check'
  const msgId = b.readUInt16BE(0)
  const attr = b.readUInt16BE(2)
  const v2019 = (attr & ATTR_V2019) !== 0
  const hasSub = (attr & ATTR_SUBPACKAGE) !== 0
  let off = 4
  let protocolVersion = 0
  let phone: string
  if (v2019) {
    if (b.length < 18) return 'bad_header'
    protocolVersion = b[4]!
    phone = bcd(b, 5, 10)
    off = 15
  } else {
    phone = bcd(b, 4, 6)
    off = 10
  }
  const serial = b.readUInt16BE(off)
  off += 2
  let sub: SubPackage | null = null
  if (hasSub) {
    if (b.length < off + 5) return 'bad_header'
    sub = { total: b.readUInt16BE(off), index: b.readUInt16BE(off + 2) }
    off += 4
    if (sub.total < 1 || sub.index < 1 || sub.index > sub.total) return 'bad_header'
  }
  const body = b.subarray(off, b.length - 1)
  if (body.length !== (attr & LENGTH_MASK)) return 'bad_length'
  return { header: { msgId, v2019, protocolVersion, encryption: (attr >> 10) & 7, phone, serial, sub }, body }
}

/** Header + body, unescaped, without the check code (encodeFrame adds it and the escapes). */
export function encodeMessage(msgId: number, phone: string, serial: number, body: Buffer, v2019: boolean, protocolVersion = 1): Buffer {
  const phoneBytes = v2019 ? 10 : 6
  const head = v2019 ? 17 : 12
  const out = Buffer.alloc(head + body.length)
  out.writeUInt16BE(msgId, 0)
  out.writeUInt16BE((body.length & LENGTH_MASK) | (v2019 ? ATTR_V2019 : 0), 2)
  let off = 4
  if (v2019) out[off++] = protocolVersion
  const digits = phone.padStart(phoneBytes * 2, '0').slice(-phoneBytes * 2)
  out.write(digits, off, phoneBytes, 'hex')
  off += phoneBytes
  out.writeUInt16BE(serial & 0xffff, off)
  body.copy(out, head)
  return out
}
