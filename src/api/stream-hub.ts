// The live stream's fan-out: every event is serialized once, kept in a bounded ring (so a client
// reconnecting with Last-Event-ID gets what it missed) and handed to each subscribed client whose
// filter matches. Positions are coalesced per unit (the latest wins, flushed once per second) and
// a flush is ONE write per client, its text shared by every client with the same filter: 2,000
// moving units and 100 clients cost 100 writes a second, not 200,000. Each client's response is
// owned by its StreamWriter (stream-writer.ts): the catch-up (snapshot or missed events) is paced
// to the socket, so its size is not bounded by the buffer; a client that still has more than the
// bound of live events waiting when a new one comes is dropped (`overflow`). publish() never
// waits for a client, so a slow browser cannot slow ingestion, and no write can reach a closed
// response.
import { randomBytes } from 'node:crypto'
import { Counter, Gauge, type Registry } from 'prom-client'
import { telemetryEvent, type TelemetryEvent } from '../telemetry/events.js'
import { jsonPieces, joinPieces } from './json-pieces.js'
import { StreamWriter, type CloseReason, type StreamSocket } from './stream-writer.js'

export type { StreamSocket } from './stream-writer.js'

/** Catch-up pieces: big enough to cost few writes, small enough to interleave with other work. */
const PIECE_CHARS = 64 * 1024

export interface PublishOptions {
  zone?: string | undefined
  unit?: string | undefined
}

/** What a client asked for: event types (null = all) and zones (null = all). */
export interface StreamFilter {
  types: ReadonlySet<string> | null
  zones: ReadonlySet<string> | null
}

interface Frame {
  seq: number
  type: string
  zone: string | undefined
  text: string
}

export interface StreamHubOptions {
  /** Events kept for Last-Event-ID resumption. */
  ringSize?: number
  /** A client with more than this many bytes of live events still waiting when a new one comes is dropped. */
  bufferBytes?: number
  heartbeatMs?: number
  /** Position coalescing period per unit. */
  coalesceMs?: number
  now?: () => number
  registry?: Registry
  /** Where a dropped client is logged (once per client). */
  logger?: { warn(obj: object, msg: string): void }
}

class Client {
  /** Clients with equal keys want the same frames. */
  readonly key: string
  writer!: StreamWriter
  constructor(readonly filter: StreamFilter) {
    const list = (s: ReadonlySet<string> | null) => (s === null ? '*' : [...s].sort().join(','))
    this.key = `${list(filter.types)}|${list(filter.zones)}`
  }

  wants(f: Frame): boolean {
    const { types, zones } = this.filter
    return (types === null || types.has(f.type)) && (zones === null || f.zone === undefined || zones.has(f.zone))
  }
}

/** `positions,alerts` → the event types `position`, `alert` (both spellings are accepted). */
export function parseTypes(list: string | undefined): Set<string> | null {
  if (list === undefined || list.trim() === '') return null
  const out = new Set<string>()
  for (const raw of list.split(',')) {
    const t = raw.trim()
    if (t === '') continue
    out.add(t)
    if (t.endsWith('s')) out.add(t.slice(0, -1))
  }
  return out
}

export function parseList(list: string | undefined): Set<string> | null {
  if (list === undefined || list.trim() === '') return null
  return new Set(list.split(',').map((s) => s.trim()).filter((s) => s !== ''))
}

export class StreamHub {
  /** Distinguishes this process's event ids from a previous run's. */
  readonly boot = randomBytes(4).toString('hex')
  private seq = 0
  private readonly ring: Array<Frame | undefined>
  private readonly clients = new Set<Client>()
  private readonly pending = new Map<string, { data: unknown; opts: PublishOptions }>()
  private flushTimer: NodeJS.Timeout | null = null
  private heartbeat: NodeJS.Timeout | null = null
  private readonly bufferBytes: number
  private readonly heartbeatMs: number
  private readonly coalesceMs: number
  private readonly now: () => number
  private readonly m: { clients: Gauge; events: Counter } | null
  /** Each counts hexpatrol_stream_dropped_clients_total{reason} and logs its line. */
  private readonly dropped: Record<'behind' | 'error', TelemetryEvent<'reason', 'reason'>>

  constructor(opts: StreamHubOptions = {}) {
    this.ring = new Array(opts.ringSize ?? 10_000)
    this.bufferBytes = opts.bufferBytes ?? 1_048_576
    this.heartbeatMs = opts.heartbeatMs ?? 15_000
    this.coalesceMs = opts.coalesceMs ?? 1000
    this.now = opts.now ?? Date.now
    const r = opts.registry
    this.m = r === undefined
      ? null
      : {
          clients: new Gauge({ name: 'hexpatrol_stream_clients', help: 'Clients connected to the live stream.', registers: [r] }),
          events: new Counter({ name: 'hexpatrol_stream_events_total', help: 'Events published on the live stream, by type.', labelNames: ['type'], registers: [r] }),
        }
    const dropped = r === undefined
      ? undefined
      : new Counter({ name: 'hexpatrol_stream_dropped_clients_total', help: 'Live-stream clients disconnected by the engine, by reason (behind: more than api.stream_buffer_bytes of live events still waiting; error: the connection failed).', labelNames: ['reason'] as const, registers: [r] })
    const drop = (reason: 'behind' | 'error', message: string) => telemetryEvent(opts.logger, { counter: dropped, level: 'warn', message, fixed: { reason } })
    this.dropped = {
      behind: drop('behind', 'A live-stream client fell behind and was disconnected (it may reconnect with Last-Event-ID).'),
      error: drop('error', 'A live-stream connection failed and was closed; the engine carries on.'),
    }
  }

  get clientCount(): number {
    return this.clients.size
  }

  /** The id of the newest event (what a heartbeat carries, so resuming from it loses nothing). */
  get lastId(): string {
    return `${this.boot}-${this.seq}`
  }

  /** Publishes an event to every client that asked for its type (and zone). Never blocks. */
  publish(type: string, data: unknown, opts: PublishOptions = {}): void {
    if (type === 'position' && opts.unit !== undefined) {
      this.pending.set(opts.unit, { data, opts })
      if (this.flushTimer === null) {
        this.flushTimer = setTimeout(() => this.flushPositions(), this.coalesceMs)
        this.flushTimer.unref()
      }
      return
    }
    this.emitNow(type, data, opts)
  }

  /** Sends the coalesced positions at once (the timer does this every coalesceMs). */
  flushPositions(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer)
    this.flushTimer = null
    const frames = [...this.pending.values()].map((p) => this.frame('position', p.data, p.opts))
    this.pending.clear()
    // Encoded once per filter: a socket write of a string would encode it again for every client.
    const texts = new Map<string, Buffer>()
    for (const c of this.clients) {
      let text = texts.get(c.key)
      if (text === undefined) texts.set(c.key, (text = Buffer.from(frames.filter((f) => c.wants(f)).map((f) => f.text).join(''))))
      if (text.length > 0) c.writer.send(text)
    }
  }

  private emitNow(type: string, data: unknown, opts: PublishOptions): void {
    const f = this.frame(type, data, opts)
    for (const c of this.clients) if (c.wants(f)) c.writer.send(f.text)
  }

  /** Serialises one event (once, whoever receives it) and keeps it in the ring. */
  private frame(type: string, data: unknown, opts: PublishOptions): Frame {
    const seq = ++this.seq
    const f: Frame = { seq, type, zone: opts.zone, text: `id: ${this.boot}-${seq}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n` }
    this.ring[seq % this.ring.length] = f
    this.m?.events.inc({ type })
    return f
  }

  /**
   * Adds a client; its writer owns `socket` from now on. With a Last-Event-ID from this process
   * still in the ring, it gets every event it missed (however many bytes: they are paced like a
   * snapshot); otherwise `snapshot()`, taken now and serialised as the socket drains. Live events
   * follow. Returns whether it resumed. Never throws: a failing snapshot drops the client.
   */
  subscribe(socket: StreamSocket, filter: StreamFilter, lastEventId: string | undefined, snapshot: () => unknown): { client: object; resumed: boolean } {
    const c = new Client(filter)
    c.writer = new StreamWriter(socket, {
      bufferBytes: this.bufferBytes,
      overflowNotice: () => `event: overflow\ndata: ${JSON.stringify({ message: 'The client fell behind the live stream and is disconnected; reconnect (with Last-Event-ID) to resume.', lastId: this.lastId })}\n\n`,
      onClose: (reason, err) => this.closed(c, reason, err),
      now: this.now,
    })
    this.clients.add(c)
    this.m?.clients.set(this.clients.size)
    this.startHeartbeat()
    const missed = this.missedSince(lastEventId)
    let catchUp: Iterable<string>
    if (missed !== null) {
      catchUp = joinPieces(missed.filter((f) => c.wants(f)).map((f) => f.text), PIECE_CHARS)
    } else {
      try {
        catchUp = jsonPieces(snapshot(), PIECE_CHARS, { prefix: `id: ${this.lastId}\nevent: snapshot\ndata: `, suffix: '\n\n' })
      } catch (err) {
        c.writer.close('error', err)
        return { client: c, resumed: false }
      }
    }
    c.writer.start('retry: 2000\n\n', catchUp)
    return { client: c, resumed: missed !== null }
  }

  /** Ends a client's stream (the writer's close removes it). */
  unsubscribe(client: object): void {
    ;(client as Client).writer.close('closed')
  }

  /** A writer closed: forget its client; a drop is counted and logged, once per client. */
  private closed(c: Client, reason: CloseReason, err: unknown): void {
    this.clients.delete(c)
    this.m?.clients.set(this.clients.size)
    if (this.clients.size === 0 && this.heartbeat !== null) {
      clearInterval(this.heartbeat)
      this.heartbeat = null
    }
    if (reason !== 'behind' && reason !== 'error') return
    this.dropped[reason]({}, { err, filter: c.key, bufferBytes: this.bufferBytes })
  }

  /** Frames after `id`, or null when the id is not this process's or has left the ring. */
  private missedSince(id: string | undefined): Frame[] | null {
    const m = id === undefined ? null : /^([0-9a-f]{8})-(\d{1,15})$/.exec(id)
    if (m === null || m[1] !== this.boot) return null
    const after = Number(m[2])
    if (after > this.seq || after < this.seq - this.ring.length) return null
    const out: Frame[] = []
    for (let s = after + 1; s <= this.seq; s++) out.push(this.ring[s % this.ring.length] as Frame)
    return out
  }

  private startHeartbeat(): void {
    if (this.heartbeat !== null) return
    this.heartbeat = setInterval(() => {
      const text = `id: ${this.lastId}\nevent: heartbeat\ndata: {"at":${this.now()}}\n\n`
      for (const c of this.clients) c.writer.send(text)
    }, this.heartbeatMs)
    this.heartbeat.unref()
  }

  /** Ends every client (server shutdown); clients reconnect to the next process. */
  close(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer)
    this.flushTimer = null
    for (const c of [...this.clients]) c.writer.close('closed')
  }
}
