// The JT/T 808 TCP listener: one Session per connection, with the limits a public port needs:
// connections in all and per terminal, frame size (FrameReader), sub-package bytes, an idle
// timeout, and reading paused while a connection's messages wait for the journal. Failed
// authentications back off per terminal through the engine's shared credential throttle (logged
// in aggregate by the engine). Off unless jt808.port is set.
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { ResolvedConfig } from '../../config/resolve.js'
import type { DecodeResult } from '../../decode/fix.js'
import type { Metrics } from '../../telemetry/metrics.js'
import type { TransportThrottle } from '../auth-throttle.js'
import { AuthCodes } from './auth-codes.js'
import { Session, type Emergency, type SessionCounters } from './session.js'
import type { Terminals } from './terminals.js'

export interface GatewayDeps {
  config: ResolvedConfig
  /** Compiled once at boot (src/boot.ts) from jt808 and units. */
  terminals: Terminals
  dataDir: string
  ingest(result: DecodeResult, receivedAt: number): void | Promise<void>
  emergency(e: Emergency): void
  metrics: Metrics
  logger: Logger
  now: () => number
  /** The engine's credential throttle for this transport (its refusals are summarised with the others'). */
  throttle: TransportThrottle
}

/** Message ids labelled by their own value; later ones are `other` (labels stay bounded). */
const MAX_MSG_LABELS = 64

export class Jt808Gateway {
  private readonly sockets = new Set<Socket>()
  private readonly perTerminal = new Map<string, number>()

  private constructor(private readonly server: Server) {}

  static async start(d: GatewayDeps): Promise<Jt808Gateway> {
    const c = d.config.jt808
    const throttle = d.throttle
    const terminals = d.terminals
    const codes = new AuthCodes(join(d.dataDir, 'jt808'))
    const m = d.metrics
    const labels = new Set<string>()
    const counters: SessionCounters = {
      frame: (result) => m.jt808Frames.inc({ result }),
      junk: (n) => m.jt808JunkBytes.inc(n),
      message: (id) => {
        let label = id.toString(16).padStart(4, '0')
        if (!labels.has(label)) {
          if (labels.size >= MAX_MSG_LABELS) label = 'other'
          else labels.add(label)
        }
        m.jt808Messages.inc({ msg_id: label })
      },
      refused: (reason) => m.jt808Refused.inc({ reason }),
    }
    const v = d.config.validation
    const lims = { maxFutureSkewMs: v.max_future_skew, maxAgeMs: v.max_age, h3Resolution: d.config.h3.resolution, rejectNullIsland: v.reject_null_island }
    const log = d.logger.child({ component: 'jt808' })
    // The connection handler needs the gateway, which needs the server.
    const ref: { gw?: Jt808Gateway } = {}
    const server = createServer({ noDelay: true }, (socket) => {
      const g = ref.gw!
      if (g.sockets.size >= c.max_connections) {
        counters.refused('connection_limit')
        socket.destroy()
        return
      }
      g.sockets.add(socket)
      m.jt808Connections.set(g.sockets.size)
      const session = new Session({
        terminals, codes, throttle, counters,
        ingest: d.ingest,
        emergency: d.emergency,
        lim: lims,
        rejectPayloadBytes: v.reject_payload_bytes,
        maxBatchItems: v.max_batch_elements,
        maxFrameBytes: c.max_frame_bytes,
        maxReassemblyBytes: c.max_reassembly_bytes,
        now: d.now,
        claim: (key) => g.claim(key, c.max_connections_per_terminal),
        release: (key) => g.release(key),
        // A write after the terminal went away fails on the socket's error handler (logged at debug).
        send: (frame) => { socket.write(frame) },
        backpressure: (on) => { if (on) socket.pause(); else socket.resume() },
        close: () => socket.end(),
      })
      socket.setTimeout(c.idle_timeout, () => {
        counters.refused('idle')
        socket.destroy()
      })
      socket.on('data', (chunk: Buffer) => session.push(chunk))
      socket.on('error', (err) => log.debug({ err }, 'JT/T 808 connection error.'))
      socket.on('close', () => {
        session.end()
        g.sockets.delete(socket)
        m.jt808Connections.set(g.sockets.size)
      })
    })
    const gw = ref.gw = new Jt808Gateway(server)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      // Started only when jt808.port is set (the engine checks).
      server.listen({ port: c.port!, host: c.host }, () => {
        server.off('error', reject)
        resolve()
      })
    })
    log.info({ address: gw.address }, 'JT/T 808 gateway listening.')
    return gw
  }

  get address(): { host: string; port: number } {
    const a = this.server.address()
    return typeof a === 'object' && a !== null ? { host: a.address, port: a.port } : { host: '', port: 0 }
  }

  private claim(key: string, max: number): boolean {
    const n = this.perTerminal.get(key) ?? 0
    if (n >= max) return false
    this.perTerminal.set(key, n + 1)
    return true
  }

  private release(key: string): void {
    // Only a claimed key is released.
    const n = this.perTerminal.get(key)! - 1
    if (n <= 0) this.perTerminal.delete(key)
    else this.perTerminal.set(key, n)
  }

  /**
   * Stops accepting and drops every connection: a report whose answer was not sent yet is
   * re-sent by its terminal after the restart (and stored once).
   */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    for (const s of this.sockets) s.destroy()
    await closed
  }
}
