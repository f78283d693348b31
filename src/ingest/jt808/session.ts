// One JT/T 808 terminal connection: frames in, messages handled one at a time in order, answers
// out. A connection reports only after authenticating (0x0102 with the code its registration was
// given), and only as its own terminal. A location (0x0200) or a batch (0x0704) is answered with
// 0x8001 only once the Ingestor has journaled it: a terminal re-sends what was not answered.
// No sockets here: the server passes bytes in and takes frames out (testable without TCP).
import type { TransportThrottle } from '../auth-throttle.js'
import type { DecodeResult } from '../../decode/fix.js'
import type { AlertPosition } from '../../rules/alert-event.js'
import { FieldCheck } from '../../decode/field-check.js'
import type { DecodeLimits } from '../../decode/native.js'
import { encodeFrame, FrameReader, type FrameDrop } from '../../decode/jt808/frame.js'
import { encodeMessage, phoneKey, readFrame, type FrameProblem, type Header } from '../../decode/jt808/message.js'
import { ALARM_EMERGENCY } from '../../decode/jt808/location.js'
import { MsgId, parseAuthCode, parseBatch, parseRegistration, platformResponse, registerResponse, RegisterResult, Result } from '../../decode/jt808/bodies.js'
import { SubPackages } from '../../decode/jt808/sub-packages.js'
import { jt808Result, jt808Topic, locationFix, type Jt808Location } from '../../decode/jt808/to-fix.js'
import type { Terminal, Terminals } from './terminals.js'

/** Why a message or connection was refused (a metric label). */
export type Refusal =
  | 'unauthenticated' | 'wrong_terminal' | 'unknown_terminal' | 'auth_failed' | 'throttled' | 'encrypted'
  | 'terminal_limit' | 'bad_body' | 'sub_package' | 'register_failed' | 'connection_limit' | 'idle'

export interface SessionCounters {
  frame(result: 'ok' | FrameProblem | FrameDrop): void
  junk(bytes: number): void
  message(msgId: number): void
  refused(reason: Refusal): void
}

/**
 * The engine's shared credential throttle as this transport uses it (AuthThrottle.forTransport('jt808')),
 * keyed by terminal, not by address: many terminals share a carrier's NAT address.
 */
export type Throttle = Pick<TransportThrottle, 'check' | 'fail' | 'succeed'>

export interface CodeBook {
  issue(key: string): string
  check(key: string, code: string): boolean
}

/** A JT/T 808 emergency (alarm bit 0), with the fix when the report had a position. */
export interface Emergency {
  unitId: string
  at: number
  position: AlertPosition | null
}

export interface SessionDeps {
  terminals: Terminals
  codes: CodeBook
  throttle: Throttle
  /** The Ingestor: settles once the result is journaled; throws (or rejects) when it is not. */
  ingest(result: DecodeResult, receivedAt: number): void | Promise<void>
  /** Terminal emergencies, after the report's record is journaled. */
  emergency?(e: Emergency): void
  lim: DecodeLimits
  rejectPayloadBytes: number
  maxBatchItems: number
  maxFrameBytes: number
  maxReassemblyBytes: number
  now(): number
  counters: SessionCounters
  /** A terminal authenticated: false refuses it (its connections are at their limit). */
  claim(key: string): boolean
  release(key: string): void
  send(frame: Buffer): void
  /** Stop reading while `n` messages wait (true) or resume (false). */
  backpressure(on: boolean): void
  close(): void
}

/** Messages waiting for their turn before the connection stops reading. */
const MAX_QUEUED = 64
const MAX_SUB_PARTS = 256

interface Pending { header: Header; body: Buffer; serials: number[] }

export class Session {
  private readonly reader: FrameReader
  private readonly subs: SubPackages
  private readonly check = new FieldCheck()
  private readonly queue: Pending[] = []
  private busy = false
  private paused = false
  private closed = false
  private serial = 0
  /** The authenticated terminal. */
  private who: (Terminal & { key: string }) | null = null

  constructor(private readonly d: SessionDeps) {
    this.reader = new FrameReader(d.maxFrameBytes)
    this.subs = new SubPackages(MAX_SUB_PARTS, d.maxReassemblyBytes)
  }

  /** The authenticated terminal's phone key, or null. */
  get terminal(): string | null {
    return this.who?.key ?? null
  }

  /** Bytes held for unfinished frames and sub-packages. */
  get buffered(): number {
    return this.reader.buffered + this.subs.held
  }

  push(chunk: Buffer): void {
    this.reader.push(chunk, this.sink)
  }

  /** The connection ended: the terminal's slot is freed. */
  end(): void {
    if (this.closed) return
    this.closed = true
    if (this.who !== null) this.d.release(this.who.key)
  }

  private readonly sink = {
    frame: (escaped: Buffer) => {
      const m = readFrame(escaped)
      if (typeof m === 'string') {
        this.d.counters.frame(m)
        return
      }
      this.d.counters.frame('ok')
      if (m.header.sub === null) {
        this.enqueue({ header: m.header, body: m.body, serials: [m.header.serial] })
        return
      }
      const r = this.subs.add(m.header, m.body)
      if (r === 'held') return
      if (typeof r === 'string') {
        this.d.counters.refused('sub_package')
        this.respond(m.header, Result.Failure)
        return
      }
      this.enqueue(r)
    },
    dropped: (why: FrameDrop, bytes: number) => {
      if (why === 'junk') this.d.counters.junk(bytes)
      else this.d.counters.frame(why)
    },
  }

  private enqueue(p: Pending): void {
    this.queue.push(p)
    if (!this.paused && this.queue.length >= MAX_QUEUED) {
      this.paused = true
      this.d.backpressure(true)
    }
    if (!this.busy) this.drain()
  }

  private drain(): void {
    while (this.queue.length > 0 && !this.closed) {
      const p = this.queue.shift()!
      let done: void | Promise<void>
      try {
        done = this.handle(p)
      } catch {
        // Not journaled: no answer, the terminal re-sends it.
        done = undefined
      }
      if (done !== undefined) {
        this.busy = true
        void done.catch(() => undefined).then(() => {
          this.busy = false
          this.drain()
        })
        return
      }
    }
    if (this.paused && this.queue.length === 0) {
      this.paused = false
      this.d.backpressure(false)
    }
  }

  /** A platform message answering `h` (its phone number and edition echoed), with the next platform serial. */
  private send(h: Header, msgId: number, body: Buffer): void {
    if (this.closed) return
    const serial = this.serial
    this.serial = (this.serial + 1) & 0xffff
    this.d.send(encodeFrame(encodeMessage(msgId, h.phone, serial, body, h.v2019, h.protocolVersion)))
  }

  private respond(h: Header, result: number, serials: readonly number[] = [h.serial]): void {
    for (const s of serials) this.send(h, MsgId.PlatformResponse, platformResponse(s, h.msgId, result))
  }

  private handle(p: Pending): void | Promise<void> {
    const { header: h, body } = p
    const c = this.d.counters
    c.message(h.msgId)
    if (h.msgId === MsgId.GeneralResponse) return undefined
    if (h.encryption !== 0) {
      c.refused('encrypted')
      return this.respond(h, Result.NotSupported, p.serials)
    }
    if (h.msgId === MsgId.Register) return this.register(h, body)
    if (h.msgId === MsgId.Authenticate) return this.authenticate(h, body)
    const who = this.who
    if (who === null) {
      c.refused('unauthenticated')
      return this.respond(h, Result.Failure, p.serials)
    }
    if (phoneKey(h.phone) !== who.key) {
      c.refused('wrong_terminal')
      return this.respond(h, Result.Failure, p.serials)
    }
    switch (h.msgId) {
      case MsgId.Heartbeat:
        return this.respond(h, Result.Ok, p.serials)
      case MsgId.Logout:
        this.respond(h, Result.Ok, p.serials)
        this.d.close()
        return undefined
      case MsgId.Location:
        return this.locations(p, [[0, body.length]])
      case MsgId.LocationBatch: {
        const batch = parseBatch(body, this.d.maxBatchItems)
        if (batch === null) {
          c.refused('bad_body')
          return this.respond(h, Result.BadMessage, p.serials)
        }
        return this.locations(p, batch.items)
      }
      default:
        return this.respond(h, Result.NotSupported, p.serials)
    }
  }

  private register(h: Header, body: Buffer): void {
    if (parseRegistration(body, h.v2019) === null) {
      this.d.counters.refused('bad_body')
      this.send(h, MsgId.RegisterResponse, registerResponse(h.serial, RegisterResult.NoSuchTerminal, ''))
      return
    }
    const t = this.d.terminals.find(h.phone)
    if (t === null) {
      this.d.counters.refused('unknown_terminal')
      this.send(h, MsgId.RegisterResponse, registerResponse(h.serial, RegisterResult.NoSuchTerminal, ''))
      return
    }
    let code: string
    try {
      code = this.d.codes.issue(phoneKey(h.phone))
    } catch {
      // Not stored: no code is given out that the next start would not know.
      this.d.counters.refused('register_failed')
      return
    }
    this.send(h, MsgId.RegisterResponse, registerResponse(h.serial, RegisterResult.Ok, code))
  }

  private authenticate(h: Header, body: Buffer): void {
    const key = phoneKey(h.phone)
    const c = this.d.counters
    const throttleKey = `jt808:${key}`
    if (this.d.throttle.check(throttleKey) !== null) {
      c.refused('throttled')
      return this.respond(h, Result.Failure)
    }
    const code = parseAuthCode(body, h.v2019)
    const t = this.d.terminals.find(h.phone)
    if (code === null || t === null || !this.d.codes.check(key, code)) {
      this.d.throttle.fail(throttleKey)
      c.refused('auth_failed')
      return this.respond(h, Result.Failure)
    }
    this.d.throttle.succeed(throttleKey)
    if (this.who?.key !== key) {
      if (!this.d.claim(key)) {
        c.refused('terminal_limit')
        this.respond(h, Result.Failure)
        this.d.close()
        return
      }
      if (this.who !== null) this.d.release(this.who.key)
    }
    this.who = { ...t, key }
    this.respond(h, Result.Ok)
  }

  private locations(p: Pending, items: ReadonlyArray<readonly [number, number]>): void | Promise<void> {
    const who = this.who!
    const receivedAt = this.d.now()
    const topic = jt808Topic(who.key)
    const out: Jt808Location[] = []
    for (const [from, to] of items) {
      out.push(locationFix(p.body, from, to, who.unitId, topic, receivedAt, who.offsetMinutes, this.d.lim, this.d.rejectPayloadBytes, this.check))
    }
    const answer = () => {
      this.respond(p.header, Result.Ok, p.serials)
      this.emergencies(out, who.unitId, receivedAt)
    }
    const done = this.d.ingest(jt808Result(out), receivedAt)
    if (done === undefined) return answer()
    return done.then(answer)
  }

  private emergencies(items: readonly Jt808Location[], unitId: string, receivedAt: number): void {
    const emergency = this.d.emergency
    if (emergency === undefined) return
    for (const i of items) {
      if ((i.alarm & ALARM_EMERGENCY) === 0) continue
      const f = i.fix
      emergency({ unitId, at: f?.ts ?? receivedAt, position: f === null ? null : { lat: f.lat, lon: f.lon, ts: f.ts, accuracy: f.accuracy, h3: f.h3 } })
      return
    }
  }
}
