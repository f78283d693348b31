// One live-stream client's connection, and the only code that writes to its response. It writes
// the catch-up (a snapshot or the missed events) piece by piece as the socket drains, holds live
// events meanwhile (bounded), then writes live events straight through. Once closed it refuses
// (and counts) every write: nothing can write after end. Socket errors close it; none escapes.

/** The part of an HTTP response the writer uses (node's ServerResponse satisfies it). */
export interface StreamSocket {
  write(chunk: string | Buffer): boolean
  end(): void
  destroy(): void
  readonly writableLength: number
  readonly destroyed: boolean
  on(event: 'drain' | 'close' | 'error', listener: (err?: Error) => void): unknown
}

/**
 * Why a writer closed: `behind` (live events past the buffer bound), `error` (the socket failed,
 * or building the catch-up threw), `gone` (the client closed the connection), `closed` (the
 * server ended it: unsubscribe or shutdown). Only `behind` and `error` count as drops.
 */
export type CloseReason = 'behind' | 'error' | 'gone' | 'closed'

export interface StreamWriterOptions {
  /** Live bytes that may wait (in the socket buffer, or held during the catch-up) when a new event comes. */
  bufferBytes: number
  /** The last event the client is told about when it falls behind. */
  overflowNotice(): string
  /** Called once, when the writer closes. */
  onClose(reason: CloseReason, err?: unknown): void
  /** How long an ended stream may take to flush before its socket is destroyed (default 5 s). */
  graceMs?: number
  /**
   * A catch-up that wrote nothing for this long is stalled: the next live event (heartbeats come
   * every few seconds) drops the client, so one that never reads cannot hold its snapshot forever.
   * Default 60 s.
   */
  stallMs?: number
  now?: () => number
}

export class StreamWriter {
  #phase: 'idle' | 'catch-up' | 'live' | 'closed' = 'idle'
  #catchUp: Iterator<string> | null = null
  /** Live events that arrived during the catch-up, and their size in bytes. */
  #held: Array<string | Buffer> = []
  #heldBytes = 0
  /** False while the socket's last write ended mid-event (a snapshot is written in pieces). */
  #atBoundary = true
  /** When the catch-up last wrote a piece. */
  #progressAt = 0
  /** Writes refused because the writer was closed: each would have been a write after end. */
  refused = 0

  constructor(private readonly socket: StreamSocket, private readonly o: StreamWriterOptions) {
    // The listeners stay for the socket's life: a late error after close is absorbed, not thrown.
    socket.on('error', (err) => this.close('error', err))
    socket.on('close', () => this.close('gone'))
    socket.on('drain', () => this.#pump())
  }

  #now(): number {
    return (this.o.now ?? Date.now)()
  }

  get closed(): boolean {
    return this.#phase === 'closed'
  }

  /** Writes `head` now, then the catch-up pieces as the socket drains, then goes live. */
  start(head: string, catchUp: Iterable<string>): void {
    if (this.#phase !== 'idle') return
    if (this.socket.destroyed) {
      this.close('gone')
      return
    }
    this.#phase = 'catch-up'
    this.#catchUp = catchUp[Symbol.iterator]()
    this.#progressAt = this.#now()
    if (this.#write(head)) this.#pump()
  }

  /** A live event (or several). Never blocks: held during the catch-up, written after it. */
  send(chunk: string | Buffer): void {
    if (this.#phase === 'closed') {
      this.refused++
      return
    }
    // Behind means: earlier live events still waiting past the bound when a new one comes. (After
    // the write, one large flush, e.g. a whole fleet's positions, could exceed it on its own.)
    if (this.#phase !== 'live') {
      if (this.#heldBytes > this.o.bufferBytes || (this.#phase === 'catch-up' && this.#now() - this.#progressAt > (this.o.stallMs ?? 60_000))) {
        this.close('behind')
        return
      }
      this.#held.push(chunk)
      this.#heldBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length
      return
    }
    if (this.socket.writableLength > this.o.bufferBytes) {
      this.close('behind')
      return
    }
    this.#write(chunk)
  }

  /** Closes once; later calls (and the socket's own close event) change nothing. */
  close(reason: CloseReason, err?: unknown): void {
    if (this.#phase === 'closed') return
    this.#phase = 'closed'
    this.#catchUp = null
    this.#held = []
    this.#heldBytes = 0
    try {
      if (reason === 'behind' || reason === 'closed') {
        // Mid-snapshot the notice would corrupt the event: the client just sees the stream end.
        if (reason === 'behind' && this.#atBoundary) this.socket.write(this.o.overflowNotice())
        this.socket.end()
        // end() waits for the backlog to drain; a client that stopped reading never drains it.
        setTimeout(() => this.socket.destroy(), this.o.graceMs ?? 5000).unref()
      } else {
        this.socket.destroy()
      }
    } catch {
      this.socket.destroy()
    }
    this.o.onClose(reason, err)
  }

  /** Writes the catch-up until the socket asks to wait (it resumes on 'drain'), then goes live. */
  #pump(): void {
    while (this.#phase === 'catch-up') {
      let next: IteratorResult<string>
      try {
        next = this.#catchUp!.next()
      } catch (err) {
        this.close('error', err)
        return
      }
      if (next.done === true) {
        this.#goLive()
        return
      }
      this.#progressAt = this.#now()
      if (!this.#write(next.value)) return
    }
  }

  #goLive(): void {
    this.#phase = 'live'
    this.#catchUp = null
    const held = this.#held
    this.#held = []
    this.#heldBytes = 0
    for (const chunk of held) {
      if (this.#phase !== 'live') break
      this.send(chunk)
    }
  }

  /** The socket's write, contained: a throw closes the writer instead of escaping. */
  #write(chunk: string | Buffer): boolean {
    try {
      const ok = this.socket.write(chunk)
      this.#atBoundary = typeof chunk !== 'string' || chunk.endsWith('\n\n')
      return ok
    } catch (err) {
      this.close('error', err)
      return false
    }
  }
}
