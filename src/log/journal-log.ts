// The log over today's local journal: one node, one partition, unchanged journal behaviour (the
// shipper still ships and confirms its sealed segments). A position is the journal's segment id
// (high 32+ bits) and the record's index in it (low 32 bits), so it is stable across restarts.
// Records appended to the still-open segment are read from memory until it is sealed, then from
// disk; a confirmed (shipped) segment is no longer readable, like a retention limit.
//
// Dedup: ids seen within `dedupWindowMs` (default 2 minutes, JetStream's default window) are
// kept in memory, and on open they are seeded from the records still pending on disk through
// `idOf` (the id is derived from the record's content, so it needs no extra bytes on disk).
import type { Journal, SealedSegment } from '../journal/journal.js'
import { follow } from './follow.js'
import { LogClosedError, LogUnavailableError } from './log-errors.js'
import { checkPartition, type Appended, type EntryHandler, type FixLog, type LogEntry, type LogPosition, type LogRecord, type LogSubscription } from './log.js'

export interface JournalLogOptions {
  journal: Journal
  /** The dedup id of a record read back from disk (seeds the dedup window on open). */
  idOf: (data: Uint8Array) => string
  dedupWindowMs?: number
  /** Upper bound of remembered ids, whatever the window (memory bound). Default 1,000,000. */
  dedupMaxIds?: number
  now?: () => number
}

const INDEX_BITS = 32n

export function journalPosition(segment: number, index: number): LogPosition {
  return (BigInt(segment) << INDEX_BITS) | BigInt(index)
}

interface Seen { position: LogPosition; at: number }

export class JournalLog implements FixLog {
  readonly partitions = 1
  private readonly journal: Journal
  private readonly idOf: (data: Uint8Array) => string
  private readonly windowMs: number
  private readonly maxIds: number
  private readonly now: () => number
  /** id → first position; insertion order is time order, so expiry trims from the front. */
  private readonly seen = new Map<string, Seen>()
  /** Records of the open segment, not yet readable from disk. */
  private tail: LogEntry[] = []
  private lastSealed = -1
  private readonly cache = new Map<number, LogEntry[]>()
  private readonly wakers = new Set<() => void>()
  private readonly subs = new Set<LogSubscription>()
  /** Appends waiting for space, in order: a later append never overtakes a waiting one. */
  private queue: Promise<unknown> = Promise.resolve()
  private waiting = 0
  private closed = false
  private readonly onSealed = (seg: SealedSegment): void => {
    this.lastSealed = Math.max(this.lastSealed, seg.id)
    this.tail = this.tail.filter((e) => e.position >> INDEX_BITS > BigInt(seg.id))
  }

  constructor(opts: JournalLogOptions) {
    this.journal = opts.journal
    this.idOf = opts.idOf
    this.windowMs = opts.dedupWindowMs ?? 120_000
    this.maxIds = opts.dedupMaxIds ?? 1_000_000
    this.now = opts.now ?? Date.now
    this.journal.on('sealed', this.onSealed)
    const at = this.now()
    for (const seg of this.journal.pending()) {
      this.lastSealed = Math.max(this.lastSealed, seg.id)
      for (const e of this.segmentEntries(seg)) if (!this.seen.has(e.id)) this.remember(e.id, e.position, at)
    }
  }

  async append(partition: number, records: readonly LogRecord[]): Promise<Appended[]> {
    if (this.closed) throw new LogClosedError('append')
    checkPartition(partition, this.partitions)
    if (this.waiting > 0) return this.enqueue(records)
    const out: Appended[] = []
    for (let i = 0; i < records.length; i++) {
      const r = this.appendOne(records[i]!)
      if (r === null) return [...out, ...(await this.enqueue(records.slice(i)))]
      out.push(r)
    }
    return out
  }

  async read(partition: number, after: LogPosition, max: number): Promise<LogEntry[]> {
    if (this.closed) throw new LogClosedError('read')
    checkPartition(partition, this.partitions)
    const out: LogEntry[] = []
    const afterSegment = Number(after >> INDEX_BITS)
    for (const seg of this.journal.pending()) {
      if (seg.id < afterSegment) continue
      for (const e of this.segmentEntries(seg)) {
        if (e.position <= after) continue
        out.push(e)
        if (out.length >= max) return out
      }
    }
    for (const e of this.tail) {
      if (e.position <= after) continue
      out.push(e)
      if (out.length >= max) break
    }
    return out
  }

  consume(partition: number, after: LogPosition, handler: EntryHandler): LogSubscription {
    if (this.closed) throw new LogClosedError('consume')
    checkPartition(partition, this.partitions)
    const sub = follow({
      read: (a, max) => this.read(partition, a, max),
      onAppend: (wake) => {
        this.wakers.add(wake)
        return () => this.wakers.delete(wake)
      },
    }, after, handler)
    this.subs.add(sub)
    void sub.done.then(() => this.subs.delete(sub), () => this.subs.delete(sub))
    return sub
  }

  /** Stops the subscriptions and closes the journal (sealing and fsyncing its open segment). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([...this.subs].map((s) => s.stop()))
    this.journal.off('sealed', this.onSealed)
    this.journal.close()
  }

  /** One record now; null when the journal is full (nothing written). Throws LogUnavailableError. */
  private appendOne(r: LogRecord): Appended | null {
    const now = this.now()
    this.expire(now)
    const first = this.seen.get(r.id)
    if (first !== undefined) return { position: first.position, duplicate: true }
    let ok: boolean
    try {
      ok = this.journal.append(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength))
    } catch (err) {
      throw new LogUnavailableError(`the journal could not write the record (${(err as Error).message}): it is not acknowledged; check the disk under data_dir/journal`, { cause: err })
    }
    if (!ok) return null
    const { segment, index } = this.journal.lastAppended!
    const position = journalPosition(segment, index)
    // A record that filled its segment was sealed inside append(): it is already readable from disk.
    if (segment > this.lastSealed) this.tail.push({ partition: 0, position, id: r.id, data: r.data })
    this.remember(r.id, position, now)
    for (const wake of this.wakers) wake()
    return { position, duplicate: false }
  }

  /** Waits for space record by record, behind any earlier waiting append. */
  private enqueue(records: readonly LogRecord[]): Promise<Appended[]> {
    this.waiting++
    const run = this.queue.then(async () => {
      const out: Appended[] = []
      for (const r of records) {
        for (;;) {
          if (this.closed) throw new LogClosedError('append')
          const a = this.appendOne(r)
          if (a !== null) {
            out.push(a)
            break
          }
          await this.journal.whenWritable().catch(() => undefined)
        }
      }
      return out
    })
    const settled = run.finally(() => { this.waiting-- })
    this.queue = settled.catch(() => undefined)
    return settled
  }

  private segmentEntries(seg: SealedSegment): LogEntry[] {
    let entries = this.cache.get(seg.id)
    if (entries === undefined) {
      entries = this.journal.readSegment(seg).map((data, i) => ({ partition: 0, position: journalPosition(seg.id, i), id: this.idOf(data), data }))
      // A few segments: enough for a consumer that follows the head and one replaying behind it.
      if (this.cache.size >= 4) this.cache.delete(this.cache.keys().next().value!)
      this.cache.set(seg.id, entries)
    }
    return entries
  }

  private remember(id: string, position: LogPosition, at: number): void {
    this.seen.set(id, { position, at })
    if (this.seen.size > this.maxIds) this.seen.delete(this.seen.keys().next().value!)
  }

  private expire(now: number): void {
    for (const [id, s] of this.seen) {
      if (now - s.at < this.windowMs) break
      this.seen.delete(id)
    }
  }
}
