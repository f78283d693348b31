// A simulated JT/T 808 terminal: builds frames with hexpatrol's own encoder (location bodies,
// registration, authentication, batches), and talks to a gateway over TCP, collecting its answers.
import { connect, type Socket } from 'node:net'
import iconv from 'iconv-lite'
import { encodeFrame, FrameReader } from '../../src/decode/jt808/frame.js'
import { encodeMessage, readFrame, type Message } from '../../src/decode/jt808/message.js'
import { MsgId } from '../../src/decode/jt808/bodies.js'

export interface LocationSpec {
  /** epoch ms (UTC) */
  ts: number
  lat: number
  lon: number
  alarm?: number
  /** Status flags; default positioned (bit 1). */
  status?: number
  altitude?: number
  /** km/h */
  speedKmh?: number
  heading?: number
  /** Minutes east of UTC of the BCD time (default +08:00). */
  offsetMinutes?: number
}

const bcd2 = (n: number) => String(n).padStart(2, '0')

export function bcdTime(ts: number, offsetMinutes = 480): Buffer {
  const d = new Date(ts + offsetMinutes * 60_000)
  const s = bcd2(d.getUTCFullYear() % 100) + bcd2(d.getUTCMonth() + 1) + bcd2(d.getUTCDate()) + bcd2(d.getUTCHours()) + bcd2(d.getUTCMinutes()) + bcd2(d.getUTCSeconds())
  return Buffer.from(s, 'hex')
}

export function locationBody(l: LocationSpec): Buffer {
  const b = Buffer.alloc(28 + 6 + 3)
  let status = l.status ?? 2
  if (l.lat < 0) status |= 4
  if (l.lon < 0) status |= 8
  b.writeUInt32BE(l.alarm ?? 0, 0)
  b.writeUInt32BE(status >>> 0, 4)
  b.writeUInt32BE(Math.round(Math.abs(l.lat) * 1e6), 8)
  b.writeUInt32BE(Math.round(Math.abs(l.lon) * 1e6), 12)
  b.writeInt16BE(l.altitude ?? 40, 16)
  b.writeUInt16BE(Math.round((l.speedKmh ?? 36) * 10), 18)
  b.writeUInt16BE(l.heading ?? 90, 20)
  bcdTime(l.ts, l.offsetMinutes).copy(b, 22)
  // 0x01 mileage 123.4 km, 0x31 12 satellites.
  Buffer.from('0104000004d2', 'hex').copy(b, 28)
  Buffer.from('31010c', 'hex').copy(b, 34)
  return b
}

export function batchBody(items: Buffer[], type = 1): Buffer {
  const head = Buffer.alloc(3)
  head.writeUInt16BE(items.length, 0)
  head[2] = type
  return Buffer.concat([head, ...items.flatMap((i) => {
    const len = Buffer.alloc(2)
    len.writeUInt16BE(i.length, 0)
    return [len, i]
  })])
}

export function registrationBody(plate = '京A12345', v2019 = false): Buffer {
  const [maker, model, id] = v2019 ? [11, 30, 30] : [5, 20, 7]
  const b = Buffer.alloc(4 + maker + model + id + 1)
  b.writeUInt16BE(11, 0)
  b.writeUInt16BE(100, 2)
  b.write('HEXP', 4, 'latin1')
  b.write('SIM-1', 4 + maker, 'latin1')
  b.write('T000001', 4 + maker + model, 'latin1')
  b[b.length - 1] = 1
  return Buffer.concat([b, iconv.encode(plate, 'gbk')])
}

/** A sub-package frame: `body` is part `index` of `total` of message `msgId` (header bit 13 set, then total and index). */
export function subPackageFrame(phone: string, msgId: number, serial: number, total: number, index: number, body: Buffer): Buffer {
  const m = encodeMessage(msgId, phone, serial, body, false)
  const head = Buffer.alloc(16)
  m.copy(head, 0, 0, 12)
  head.writeUInt16BE(head.readUInt16BE(2) | 0x2000, 2)
  head.writeUInt16BE(total, 12)
  head.writeUInt16BE(index, 14)
  return encodeFrame(Buffer.concat([head, body]))
}

export class Terminal {
  private serial = 0
  constructor(readonly phone: string, readonly v2019 = false) {}

  frame(msgId: number, body: Buffer, serial = this.serial++): Buffer {
    return encodeFrame(encodeMessage(msgId, this.phone, serial, body, this.v2019))
  }

  get lastSerial(): number {
    return this.serial - 1
  }

  register(plate?: string): Buffer { return this.frame(MsgId.Register, registrationBody(plate, this.v2019)) }
  auth(code: string): Buffer {
    const c = Buffer.from(code, 'latin1')
    return this.frame(MsgId.Authenticate, this.v2019 ? Buffer.concat([Buffer.from([c.length]), c, Buffer.alloc(35)]) : c)
  }
  heartbeat(): Buffer { return this.frame(MsgId.Heartbeat, Buffer.alloc(0)) }
  logout(): Buffer { return this.frame(MsgId.Logout, Buffer.alloc(0)) }
  location(l: LocationSpec): Buffer { return this.frame(MsgId.Location, locationBody(l)) }
  batch(ls: LocationSpec[], type = 1): Buffer { return this.frame(MsgId.LocationBatch, batchBody(ls.map(locationBody), type)) }
}

/** The gateway's answers, read (and check-code verified) from frames. */
export function readAnswers(bytes: Buffer, max = 4096): Message[] {
  const out: Message[] = []
  new FrameReader(max).push(bytes, {
    frame: (f) => {
      const m = readFrame(f)
      if (typeof m === 'string') throw new Error(`gateway sent a bad frame: ${m}`)
      out.push(m)
    },
    dropped: () => { throw new Error('gateway sent bytes outside a frame') },
  })
  return out
}

/** 0x8001 body → { serial, msgId, result }. */
export function generalAnswer(m: Message): { serial: number; msgId: number; result: number } {
  return { serial: m.body.readUInt16BE(0), msgId: m.body.readUInt16BE(2), result: m.body[4]! }
}

/** A TCP connection to the gateway collecting the answers. */
export class TerminalConnection {
  readonly answers: Message[] = []
  private readonly reader = new FrameReader(4096)
  private closedFlag = false
  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk, {
      frame: (f) => {
        const m = readFrame(f)
        if (typeof m !== 'string') this.answers.push(m)
      },
      dropped: () => undefined,
    }))
    socket.on('close', () => { this.closedFlag = true })
    socket.on('error', () => undefined)
  }

  static open(port: number, host = '127.0.0.1'): Promise<TerminalConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(new TerminalConnection(s)))
      s.once('error', reject)
    })
  }

  get closed(): boolean { return this.closedFlag }

  send(b: Buffer): void { this.socket.write(b) }

  /** Waits for the n-th answer (1-based count of all answers so far); `timeoutMs` only bounds a hang (generous: loaded machines are slow). */
  async answer(n: number, timeoutMs = 60_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs
    while (this.answers.length < n) {
      if (Date.now() > deadline) throw new Error(`no answer #${n} within ${timeoutMs} ms (have ${this.answers.length})`)
      if (this.closedFlag) throw new Error(`connection closed before answer #${n}`)
      await new Promise((r) => setTimeout(r, 10))
    }
    return this.answers[n - 1]!
  }

  close(): void { this.socket.destroy() }
}
