// The log on NATS JetStream (cluster mode): one stream, HEXPATROL_FIXES by default, with one
// subject per partition (`hexpatrol.fixes.<partition>`), replicated `replicas` times by the
// servers' Raft. An append publishes each record with `Nats-Msg-Id` = its dedup id and resolves
// only with JetStream's publish ack, i.e. once the stream (its quorum, for R3) has stored it; a
// re-sent id within the stream's duplicate window is stored once and acked with the first
// sequence. Positions are stream sequences (global to the stream, ordered within a partition).
// Reads use direct get (`next_by_subj`), consume uses an ordered consumer filtered on the
// partition subject (a checkpoint held by the caller, e.g. in a partition snapshot, says where
// to resume; durable consumers come with ownership).
//
// The partition count is part of the stream (its description records it): opening the stream
// with another count is refused, since units would silently move to other partitions.
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream'
import { LogClosedError, LogUnavailableError } from './log-errors.js'
import { checkPartition, LOG_START, type Appended, type EntryHandler, type FixLog, type LogEntry, type LogPosition, type LogRecord, type LogSubscription } from './log.js'

export interface JetStreamLogOptions {
  /** NATS server URLs (cluster.url split on commas). */
  servers: string[]
  partitions: number
  replicas: number
  stream?: string
  subjectPrefix?: string
  duplicateWindowMs?: number
  /** How long an append waits for the publish ack before it rejects (default 5 s). */
  ackTimeoutMs?: number
  /** Connection name shown by the server (the node id). */
  name?: string
  /** Delay between reconnection attempts (default 250 ms); reconnection never gives up. */
  reconnectWaitMs?: number
  /**
   * A subscription that delivered nothing for this long while the stream is ahead of it is created
   * again (default 5 s): see follow().
   */
  stallMs?: number
}

export const DEFAULT_STREAM = 'HEXPATROL_FIXES'
export const DEFAULT_SUBJECT_PREFIX = 'hexpatrol.fixes'
/**
 * How long a record id is remembered (JetStream's duplicate window, fixed at creation). An hour, not
 * JetStream's 2 minutes: a broker keeps a stopped engine's persistent session and sends it the
 * queued fixes when it returns, and by default every engine takes every fix, so the same fix may
 * be appended again long after its first copy.
 */
export const DEFAULT_DUPLICATE_WINDOW_MS = 3_600_000
/** The control subject's last token, and the partition number its entries carry. */
export const CONTROL_SUBJECT = 'ctl'
export const CONTROL_PARTITION = -1
const MSG_ID = 'Nats-Msg-Id'
const PARTITIONS_RE = /partitions=(\d+)/

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

/** A handler's error, told apart from the consumer's own on the way out of follow()'s loop. */
class HandlerFailure {
  constructor(readonly cause: unknown) {}
}

export class JetStreamLog implements FixLog {
  readonly partitions: number
  private readonly stream: string
  private readonly prefix: string
  private readonly ackTimeoutMs: number
  private readonly subs = new Set<LogSubscription>()
  private closed = false
  /** Called with each append's publish-ack wait in seconds (the JetStream publish latency metric). */
  onPublished: ((seconds: number) => void) | undefined
  /** Called when a stalled subscription was created again (filter, last position handled, the stream's last). */
  onResubscribed: ((filter: string, handled: LogPosition, last: LogPosition) => void) | undefined
  private readonly stallMs: number

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    opts: JetStreamLogOptions,
  ) {
    this.partitions = opts.partitions
    this.stream = opts.stream ?? DEFAULT_STREAM
    this.prefix = opts.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 5000
    this.stallMs = opts.stallMs ?? 5000
  }

  /** Connects and creates the stream if absent (or checks that its partition count matches). */
  static async open(opts: JetStreamLogOptions): Promise<JetStreamLog> {
    if (!Number.isInteger(opts.partitions) || opts.partitions < 1) throw new RangeError(`partitions must be a positive integer (got ${opts.partitions})`)
    let nc: NatsConnection
    try {
      nc = await connect({ servers: opts.servers, name: opts.name, maxReconnectAttempts: -1, reconnectTimeWait: opts.reconnectWaitMs ?? 250, noAsyncTraces: true })
    } catch (err) {
      throw new LogUnavailableError(`cannot connect to NATS at ${opts.servers.join(',')} (${describe(err)}): check cluster.url and that the servers are up`, { cause: err })
    }
    try {
      const jsm = await jetstreamManager(nc, { timeout: opts.ackTimeoutMs ?? 5000 })
      const log = new JetStreamLog(nc, jetstream(nc, { timeout: opts.ackTimeoutMs ?? 5000 }), jsm, opts)
      await log.ensureStream(opts)
      return log
    } catch (err) {
      await nc.close()
      if (err instanceof RangeError) throw err
      throw new LogUnavailableError(`JetStream is not usable at ${opts.servers.join(',')} (${describe(err)}): run nats-server with JetStream (-js) and at least cluster.replicas (${opts.replicas}) JetStream servers in one cluster`, { cause: err })
    }
  }

  /** The NATS connection (cluster mode opens its KV buckets and object store on it). */
  get connection(): NatsConnection {
    return this.nc
  }

  subject(partition: number): string {
    return `${this.prefix}.${partition}`
  }

  /** The partition of a subject of this stream, or CONTROL_PARTITION for the control subject. */
  partitionOfSubject(subject: string): number {
    const tail = subject.slice(this.prefix.length + 1)
    return tail === CONTROL_SUBJECT ? CONTROL_PARTITION : Number(tail)
  }

  /**
   * Appends records to the control subject (`<prefix>.ctl`: rule ticks, operator commands), which
   * belongs to no partition but takes its place in the stream's one order like any fix.
   */
  async appendControl(records: readonly LogRecord[]): Promise<Appended[]> {
    if (this.closed) throw new LogClosedError('append')
    return this.publishAll(`${this.prefix}.${CONTROL_SUBJECT}`, 'the control subject', records)
  }

  /**
   * Follows the WHOLE stream (every partition and the control subject) in stream order from after
   * `after`: what cluster mode's replicated evaluation applies. `entry.partition` is the record's
   * partition, CONTROL_PARTITION for control records.
   */
  consumeAll(after: LogPosition, handler: EntryHandler): LogSubscription {
    if (this.closed) throw new LogClosedError('consume')
    return this.follow(`${this.prefix}.*`, after, handler, (subject) => this.partitionOfSubject(subject))
  }

  /** The stream's last sequence (0 when empty): how far behind a consumer is. */
  async lastSequence(): Promise<LogPosition> {
    try {
      const info = await this.jsm.streams.info(this.stream)
      return BigInt(info.state.last_seq)
    } catch (err) {
      throw new LogUnavailableError(`JetStream did not answer for stream ${this.stream} (${describe(err)}): check that the NATS servers in cluster.url are up`, { cause: err })
    }
  }

  async append(partition: number, records: readonly LogRecord[]): Promise<Appended[]> {
    if (this.closed) throw new LogClosedError('append')
    checkPartition(partition, this.partitions)
    return this.publishAll(this.subject(partition), `partition ${partition}`, records)
  }

  /**
   * The appends of this event-loop turn, published together at its end: nats.js writes what is
   * published within one microtask in one socket write, so a turn's appends (an MQTT group, a burst
   * of HTTP posts) cost one write instead of one each (the main thread's largest cost before).
   */
  private batch: Array<() => void> = []

  /** Calls `publish` at the end of this turn, with every other append of the turn, in call order. */
  private atTurnEnd<T>(publish: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.batch.length === 0) setImmediate(() => this.sendBatch())
      this.batch.push(() => publish().then(resolve, reject))
    })
  }

  private sendBatch(): void {
    const batch = this.batch
    this.batch = []
    for (const send of batch) send()
  }

  private async publishAll(subject: string, what: string, records: readonly LogRecord[]): Promise<Appended[]> {
    const started = performance.now()
    // Published back to back on one connection: the server stores them in this order.
    const acks = this.atTurnEnd(() => Promise.all(records.map((r) => this.js.publish(subject, r.data, { msgID: r.id, timeout: this.ackTimeoutMs }))))
    try {
      const done = await acks
      this.onPublished?.((performance.now() - started) / 1000)
      return done.map((a) => ({ position: BigInt(a.seq), duplicate: a.duplicate }))
    } catch (err) {
      if (this.closed) throw new LogClosedError('append')
      throw new LogUnavailableError(`JetStream did not acknowledge the append to ${what} within ${this.ackTimeoutMs} ms (${describe(err)}): it is not acknowledged to the device; check that the NATS servers in cluster.url are up and stream ${this.stream} has a quorum`, { cause: err })
    }
  }

  async read(partition: number, after: LogPosition, max: number): Promise<LogEntry[]> {
    if (this.closed) throw new LogClosedError('read')
    checkPartition(partition, this.partitions)
    const subject = this.subject(partition)
    const out: LogEntry[] = []
    let seq = Number(after) + 1
    try {
      while (out.length < max) {
        const m = await this.jsm.direct.getMessage(this.stream, { seq, next_by_subj: subject })
        if (m === null) break
        out.push({ partition, position: BigInt(m.seq), id: m.header.get(MSG_ID), data: m.data })
        seq = m.seq + 1
      }
    } catch (err) {
      if (this.closed) throw new LogClosedError('read')
      throw new LogUnavailableError(`JetStream did not answer a read of partition ${partition} (${describe(err)}): check that the NATS servers in cluster.url are up`, { cause: err })
    }
    return out
  }

  consume(partition: number, after: LogPosition, handler: EntryHandler): LogSubscription {
    if (this.closed) throw new LogClosedError('consume')
    checkPartition(partition, this.partitions)
    return this.follow(this.subject(partition), after, handler, () => partition)
  }

  /**
   * Delivers the entries of `filter` after `after`, in order, to `handler`. An ordered consumer can
   * stop delivering for good when the server holding it dies in a leader change (seen with three
   * servers under load: both engines stayed "ready" hundreds of records behind), so a watchdog
   * asks the stream for its last sequence whenever nothing arrived for `stallMs`, and when the
   * stream is ahead it creates the consumer again from after the last entry handled. Entries at or
   * before that one are skipped, so a late delivery from the old consumer is never handled twice.
   */
  private follow(filter: string, after: LogPosition, handler: EntryHandler, partitionOf: (subject: string) => number): LogSubscription {
    let stopped = false
    let handled = after
    /** The handler call in progress (stop() waits for it). */
    let inFlight: Promise<void> | null = null
    let lastProgress = Date.now()
    let generation = 0
    let current: Promise<ConsumerMessages | null> = Promise.resolve(null)
    let end!: { resolve: () => void; reject: (err: unknown) => void }
    const done = new Promise<void>((resolve, reject) => { end = { resolve, reject } })
    // close() of a just-created ordered consumer may never settle: never wait on it; the iterator
    // ends all the same.
    const closeCurrent = (): void => { void current.then((m) => m?.close().catch(() => undefined), () => undefined) }
    const finish = (err?: unknown): void => {
      if (stopped) return
      stopped = true
      generation++
      clearInterval(watchdog)
      closeCurrent()
      if (err === undefined) end.resolve()
      else end.reject(err)
    }
    const run = async (gen: number): Promise<void> => {
      const messages = await current
      if (messages === null) return
      for await (const m of messages) {
        if (stopped || gen !== generation) break
        const position = BigInt(m.seq)
        if (position <= handled) continue
        inFlight = (async () => handler({ partition: partitionOf(m.subject), position, id: m.headers?.get(MSG_ID) ?? '', data: m.data }))()
        try {
          await inFlight
        } catch (err) {
          throw new HandlerFailure(err)
        } finally {
          inFlight = null
        }
        handled = position
        lastProgress = Date.now()
      }
    }
    const subscribe = (first: boolean): void => {
      const gen = ++generation
      lastProgress = Date.now()
      current = this.js.consumers.get(this.stream, {
        filter_subjects: filter,
        ...(handled === LOG_START ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Number(handled) + 1 }),
      }).then((consumer) => (stopped || gen !== generation ? null : consumer.consume({ max_messages: 256 })))
      void run(gen).then(() => {
        // The iterator ended by itself (not stopped, not replaced): follow again from where it was.
        if (gen === generation && !stopped) subscribe(false)
      }, (err: unknown) => {
        // A handler that throws ends the subscription, and so does a first consumer that could not
        // be created (NATS away at start). A later consumer's failure is left to the watchdog.
        if (err instanceof HandlerFailure) finish(err.cause)
        else if (first && gen === generation) finish(err)
      })
    }
    const watchdog = setInterval(() => {
      if (stopped || inFlight !== null || Date.now() - lastProgress < this.stallMs) return
      const seen = lastProgress
      void this.lastOf(filter).then((last) => {
        if (stopped || inFlight !== null || lastProgress !== seen || last <= handled) return
        this.onResubscribed?.(filter, handled, last)
        closeCurrent()
        subscribe(false)
      }, () => undefined)
    }, Math.max(50, Math.floor(this.stallMs / 2)))
    watchdog.unref()
    subscribe(true)
    const sub: LogSubscription = {
      done,
      async stop() {
        const handling = inFlight
        finish()
        await handling?.catch(() => undefined)
        await done.catch(() => undefined)
      },
    }
    this.subs.add(sub)
    void done.then(() => this.subs.delete(sub), () => this.subs.delete(sub))
    return sub
  }

  /** The last sequence stored under `filter` (the whole stream's for a wildcard), 0 when none. */
  private async lastOf(filter: string): Promise<LogPosition> {
    if (filter.includes('*')) return this.lastSequence()
    const m = await this.jsm.direct.getMessage(this.stream, { last_by_subj: filter })
    return m === null ? 0n : BigInt(m.seq)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([...this.subs].map((s) => s.stop()))
    await this.nc.close()
  }

  private async ensureStream(opts: JetStreamLogOptions): Promise<void> {
    let info: StreamInfo | null = null
    try {
      info = await this.jsm.streams.info(this.stream)
    } catch (err) {
      if ((err as Error).name !== 'StreamNotFoundError') throw err
    }
    if (info === null) {
      await this.jsm.streams.add({
        name: this.stream,
        description: `hexpatrol accepted fixes, partitions=${this.partitions}`,
        subjects: [`${this.prefix}.*`],
        num_replicas: opts.replicas,
        duplicate_window: (opts.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS) * 1_000_000,
        allow_direct: true,
      })
      return
    }
    const created = Number(PARTITIONS_RE.exec(info.config.description ?? '')?.[1])
    if (created !== this.partitions) {
      throw new RangeError(`stream ${this.stream} was created with ${Number.isNaN(created) ? 'an unknown number of' : created} partitions but cluster.partitions is ${this.partitions}: the count is fixed at creation; set cluster.partitions back, or delete the stream (losing its fixes) to change it`)
    }
  }
}
