// The durable log of accepted fixes, as the engine needs it: append a batch to a partition and get
// the acknowledgement only once it is durable (then, and only then, the device is acked); read or
// follow a partition from a position. Two implementations pass one test suite
// (test/log/log-suite.ts): the local journal (one node, one partition, the default) and JetStream
// (cluster mode, src/log/jetstream-log.ts).
//
// Positions are opaque but ordered within a partition (a bigint: the journal's segment id and
// record index, JetStream's stream sequence). A consumer checkpoints the last position it handled
// and resumes with `after` = that position; LOG_START is before everything.
//
// Each record carries a dedup id that is stable across redelivery (derived from the fix, not from
// the arrival): appending an id already stored within the log's duplicate window stores nothing
// and answers the first copy's position with `duplicate: true`.
//
// A Kafka implementation would map partition → topic partition (same count, fixed at creation),
// append → an idempotent producer with acks=all resolving on the broker ack (Kafka's producer
// idempotence dedups retries of one producer session only, so the id check across redelivery
// needs a compacted id topic or a consumer-side filter keyed by id), position → offset, consume →
// assign() + seek(offset+1) (no group rebalancing: ownership is ours, by lease).

export type LogPosition = bigint
export const LOG_START: LogPosition = 0n

export interface LogRecord {
  /** Stable dedup id (the same fix re-sent gets the same id). */
  readonly id: string
  readonly data: Uint8Array
}

export interface Appended {
  readonly position: LogPosition
  /** True when the id was already stored: nothing new was written, position is the first copy's. */
  readonly duplicate: boolean
}

export interface LogEntry {
  readonly partition: number
  readonly position: LogPosition
  readonly id: string
  readonly data: Uint8Array
}

/** Called once per entry, in order; the next entry waits for the returned promise. */
export type EntryHandler = (entry: LogEntry) => void | Promise<void>

export interface LogSubscription {
  /** Settles when the subscription ends: resolves after stop()/close(), rejects if the handler threw. */
  readonly done: Promise<void>
  /** No further entries after the one being handled; resolves once stopped. Idempotent. */
  stop(): Promise<void>
}

export interface FixLog {
  /** Number of partitions, fixed for the life of the log (partitions are 0 … n-1). */
  readonly partitions: number
  /**
   * Appends records to one partition, in order. Resolves (one Appended per record) only once every
   * record is durable; rejects with LogUnavailableError when the backend cannot make them durable
   * (the caller must not ack the device). A rejected batch may have stored a prefix: re-sending the
   * same ids is safe (dedup).
   */
  append(partition: number, records: readonly LogRecord[]): Promise<Appended[]>
  /** Up to `max` entries of a partition after `after`, in order (fewer or none at the end). */
  read(partition: number, after: LogPosition, max: number): Promise<LogEntry[]>
  /** Follows a partition from after `after`: the backlog first, then new entries as they come. */
  consume(partition: number, after: LogPosition, handler: EntryHandler): LogSubscription
  /** Stops every subscription and releases the backend; append/read/consume then reject. Idempotent. */
  close(): Promise<void>
}

/** Throws a RangeError naming the valid range unless `p` is a partition of a log with `n`. */
export function checkPartition(p: number, n: number): void {
  if (!Number.isInteger(p) || p < 0 || p >= n) throw new RangeError(`partition ${p} does not exist: this log has partitions 0 to ${n - 1} (cluster.partitions is fixed when the log is created)`)
}
