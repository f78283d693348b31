// Bounds every MQTT packet before the broker buffers it. aedes' parser (mqtt-packet) accumulates a
// whole packet in memory before it looks at it, so a client announcing a 250 MB CONNECT or PUBLISH
// could make the engine hold all of it. This guard sits between the socket and aedes, reads each
// fixed header (type + remaining length) as the bytes arrive, and closes the connection the
// moment a packet announces more than its limit: nothing of that size is ever buffered. It also
// paces a logged-in client to its budget (client-budget): past it, the guard stops reading from
// that socket until the budget allows more, so TCP pushes back on the offender alone.
import { Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import type { ClientBudget } from './client-budget.js'

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
const PUBLISH = 3
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
  /** PUBLISH packets whose header has been seen so far. */
  publishes = 0

  constructor(private readonly limits: PacketLimits) {}

  /** The first violation in this chunk, or null when every header so far is within its limit. */
  push(chunk: Uint8Array): Violation | null {
    let i = 0
    while (i < chunk.length) {
      if (this.state === HEADER) {
        this.type = chunk[i++]! >> 4
        if (this.type === PUBLISH) this.publishes++
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

/** Set once the client has logged in (null until then: a CONNECT is bounded by its size limit). */
export interface Pacing {
  budget: ClientBudget | null
  /** Called each time the client is paused for its budget, with the wait in ms. */
  onThrottle?: (waitMs: number) => void
}

/**
 * The stream aedes reads from and writes to instead of the socket. Reads pass through the scanner;
 * on a violation `onViolation` is called and the socket destroyed before the chunk reaches aedes.
 * With `pacing.budget` set, reading pauses while the client is over its budget.
 */
export function guardConnection(socket: Socket, limits: PacketLimits, onViolation: (v: Violation) => void, pacing: Pacing = { budget: null }): Duplex {
  const scanner = new PacketScanner(limits)
  let publishes = 0
  // aedes asked for more (read() since the last refused push), and no budget wait is running.
  let wanted = true
  let timer: NodeJS.Timeout | null = null
  const resume = () => {
    if (wanted && timer === null && !socket.destroyed) socket.resume()
  }
  const waitFor = (budget: ClientBudget, ms: number) => {
    socket.pause()
    timer = setTimeout(() => {
      timer = null
      // More may have been spent meanwhile (a chunk read before the pause took effect): wait again if so.
      const more = budget.wait()
      if (more > 0) waitFor(budget, more)
      else resume()
    }, ms)
  }
  const conn = new Duplex({
    read() {
      wanted = true
      resume()
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
      if (timer !== null) clearTimeout(timer)
      timer = null
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
    const started = scanner.publishes - publishes
    publishes = scanner.publishes
    const budget = pacing.budget
    const wait = budget === null ? 0 : budget.spend(chunk.length, started)
    if (!conn.push(chunk)) {
      wanted = false
      socket.pause()
    }
    if (wait > 0 && timer === null) {
      pacing.onThrottle?.(wait)
      waitFor(budget!, wait)
    }
  })
  socket.on('end', () => conn.push(null))
  socket.on('error', (err) => conn.destroy(err))
  socket.on('close', () => conn.destroy())
  return conn
}
