// Bounds every MQTT packet before the broker buffers it. aedes' parser (mqtt-packet) accumulates a
// whole packet in memory before it looks at it, so a client announcing a 250 MB CONNECT or PUBLISH
// could make the engine hold all of it. This guard sits between the socket and aedes, reads each
// fixed header (type + remaining length) as the bytes arrive, and closes the connection the
// moment a packet announces more than its limit: nothing of that size is ever buffered.
import { Duplex } from 'node:stream'
import type { Socket } from 'node:net'

export interface PacketLimits {
  /** Any packet after the first (PUBLISH: topic + properties + payload), fixed header excluded. */
  maxPacketBytes: number
  /** The first packet (it must be a CONNECT) and any CONNECT: credentials, client id, will. */
  maxConnectBytes: number
}

export type Violation =
  | { reason: 'connect_too_large' | 'packet_too_large'; announced: number; limit: number }
  | { reason: 'malformed_length'; announced: null; limit: number }

const CONNECT = 1
const HEADER = 0
const LENGTH = 1
const BODY = 2

/** Follows the packet boundaries of one byte stream. Pure: no I/O. */
export class PacketScanner {
  private state = HEADER
  private type = 0
  private length = 0
  private multiplier = 1
  private lengthBytes = 0
  private remaining = 0
  private first = true

  constructor(private readonly limits: PacketLimits) {}

  /** The first violation in this chunk, or null when every header so far is within its limit. */
  push(chunk: Uint8Array): Violation | null {
    let i = 0
    while (i < chunk.length) {
      if (this.state === HEADER) {
        this.type = chunk[i++]! >> 4
        this.state = LENGTH
        this.length = 0
        this.multiplier = 1
        this.lengthBytes = 0
      } else if (this.state === LENGTH) {
        const b = chunk[i++]!
        this.length += (b & 0x7f) * this.multiplier
        this.multiplier *= 128
        this.lengthBytes++
        if ((b & 0x80) !== 0) {
          // MQTT allows at most 4 length bytes.
          if (this.lengthBytes >= 4) return { reason: 'malformed_length', announced: null, limit: this.limits.maxPacketBytes }
          continue
        }
        const connect = this.first || this.type === CONNECT
        const limit = connect ? this.limits.maxConnectBytes : this.limits.maxPacketBytes
        if (this.length > limit) return { reason: connect ? 'connect_too_large' : 'packet_too_large', announced: this.length, limit }
        this.first = false
        this.remaining = this.length
        this.state = this.remaining === 0 ? HEADER : BODY
      } else {
        const take = Math.min(this.remaining, chunk.length - i)
        i += take
        this.remaining -= take
        if (this.remaining === 0) this.state = HEADER
      }
    }
    return null
  }
}

/**
 * The stream aedes reads from and writes to instead of the socket. Reads pass through the scanner;
 * on a violation `onViolation` is called and the socket destroyed before the chunk reaches aedes.
 */
export function guardConnection(socket: Socket, limits: PacketLimits, onViolation: (v: Violation) => void): Duplex {
  const scanner = new PacketScanner(limits)
  const conn = new Duplex({
    read() {
      socket.resume()
    },
    write(chunk: Buffer, _enc, cb) {
      if (socket.destroyed) return cb()
      socket.write(chunk, () => cb())
    },
    final(cb) {
      socket.end()
      cb()
    },
    destroy(err, cb) {
      socket.destroy()
      cb(err)
    },
  })
  socket.on('data', (chunk: Buffer) => {
    if (conn.destroyed) return
    const v = scanner.push(chunk)
    if (v !== null) {
      onViolation(v)
      socket.destroy()
      conn.destroy()
      return
    }
    if (!conn.push(chunk)) socket.pause()
  })
  socket.on('end', () => conn.push(null))
  socket.on('error', (err) => conn.destroy(err))
  socket.on('close', () => conn.destroy())
  return conn
}
