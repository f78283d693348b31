// JT/T 808 message bodies other than the location report: registration (0x0100), authentication
// (0x0102), the location batch (0x0704), and the platform's answers 0x8100 and 0x8001. Text is
// GBK. Pure: bytes in, typed values (or null: the body is malformed) out.
import iconv from 'iconv-lite'

export const MsgId = {
  GeneralResponse: 0x0001,
  Heartbeat: 0x0002,
  Logout: 0x0003,
  Register: 0x0100,
  Authenticate: 0x0102,
  Location: 0x0200,
  LocationBatch: 0x0704,
  PlatformResponse: 0x8001,
  RegisterResponse: 0x8100,
} as const

/** 0x8001 results. */
export const Result = { Ok: 0, Failure: 1, BadMessage: 2, NotSupported: 3, AlarmConfirmed: 4 } as const
/** 0x8100 results. */
export const RegisterResult = { Ok: 0, VehicleTaken: 1, NoSuchVehicle: 2, TerminalTaken: 3, NoSuchTerminal: 4 } as const

export interface Registration {
  province: number
  city: number
  maker: string
  model: string
  terminalId: string
  plateColour: number
  plate: string
}

/** GBK text with the NUL padding (and spaces around) removed. */
export function gbk(b: Buffer): string {
  let end = b.length
  while (end > 0 && b[end - 1] === 0) end--
  let start = 0
  while (start < end && b[start] === 0) start++
  return iconv.decode(b.subarray(start, end), 'gbk').trim()
}

/** 0x0100; the 2019 edition widens maker (11), model (30) and terminal id (30). */
export function parseRegistration(b: Buffer, v2019: boolean): Registration | null {
  const [maker, model, id] = v2019 ? [11, 30, 30] : [5, 20, 7]
  const fixed = 4 + maker + model + id + 1
  if (b.length < fixed) return null
  let o = 4
  const take = (n: number) => gbk(b.subarray(o, (o += n)))
  return {
    province: b.readUInt16BE(0),
    city: b.readUInt16BE(2),
    maker: take(maker),
    model: take(model),
    terminalId: take(id),
    plateColour: b[fixed - 1]!,
    plate: gbk(b.subarray(fixed)),
  }
}

/** 0x0102: the whole body is the code (2013); 2019 prefixes its length (then IMEI and version follow). */
export function parseAuthCode(b: Buffer, v2019: boolean): string | null {
  if (!v2019) return b.toString('latin1')
  const n = b[0]
  if (n === undefined || 1 + n > b.length) return null
  return b.toString('latin1', 1, 1 + n)
}

export interface Batch {
  /** 0 normal, 1 blind-area back-fill. */
  type: number
  /** [from, to) of each item's location body in the batch body. */
  items: Array<[number, number]>
}

/** 0x0704: count, type, then (length WORD, location body) per item; null when the items do not add up. */
export function parseBatch(b: Buffer, maxItems: number): Batch | null {
  if (b.length < 3) return null
  const count = b.readUInt16BE(0)
  if (count > maxItems) return null
  const items: Array<[number, number]> = []
  let o = 3
  for (let k = 0; k < count; k++) {
    if (o + 2 > b.length) return null
    const len = b.readUInt16BE(o)
    o += 2
    if (o + len > b.length) return null
    items.push([o, o + len])
    o += len
  }
  return { type: b[2]!, items }
}

/** 0x8001 body: answered serial, answered message id, result. */
export function platformResponse(serial: number, msgId: number, result: number): Buffer {
  const b = Buffer.alloc(5)
  b.writeUInt16BE(serial, 0)
  b.writeUInt16BE(msgId, 2)
  b[4] = result
  return b
}

/** 0x8100 body: answered serial, result, and the authentication code when the result is Ok. */
export function registerResponse(serial: number, result: number, authCode: string): Buffer {
  const code = result === RegisterResult.Ok ? Buffer.from(authCode, 'latin1') : Buffer.alloc(0)
  const b = Buffer.alloc(3 + code.length)
  b.writeUInt16BE(serial, 0)
  b[2] = result
  code.copy(b, 3)
  return b
}
