// The write-ahead journal: every fix is appended here (synchronously) before its MQTT PUBACK,
// and stays on disk until the shipper has it confirmed by ClickHouse. Segmented so that batch
// boundaries are fixed at seal time: `journal-<segment id>` is a stable insert_deduplication_token.
//
// Durability trade-off (journal.fsync):
//   never    – write() to the page cache only. Survives kill -9 and crashes of the engine, not a
//              kernel panic or power loss. Fastest (~a plain write()).
//   interval – as `never`, plus a timer fsyncs the active segment every fsyncIntervalMs: power loss
//              costs at most that window of acknowledged fixes. Default; near `never` speed.
//   always   – fsync before append() returns, so no acknowledged fix is lost even on power loss.
//              Throughput is bounded by the disk's flush latency (hundreds/s on HDD, a few
//              thousand/s on SSD, see bench/journal.ts).
// Sealed segments are fsynced at seal time unless the policy is `never`: with `always` before the
// seal returns, with `interval` in the thread pool (as the timer's fsync), so a seal every
// segment_max_age does not hold the event loop for the disk's flush time; the same goes for the
// directory's fsync when a segment is created. close() fsyncs everything synchronously.
//
// Group commit (defer/flush): a source that can hold its acknowledgements (the MQTT subscriber
// corks its socket for one event-loop turn) runs its handler inside defer(): appends then keep
// their frames in memory, and one flush() at the end of the turn writes them all (one write, and
// with `always` one fsync) before any of their acknowledgements leaves. Any append outside defer(),
// a seal, the fsync timer and close() flush first, so the file keeps append order. A flush that
// fails keeps the frames and makes the journal full ('disk'): appends wait, the frames are written
// on the disk retry, and only then are their acknowledgements released.
//
// Segment ids are never reused: the next id is max(largest id on disk + 1, clock at open in ms),
// so even a wiped data directory does not hand out an id (dedup token) ClickHouse has already seen.
import { EventEmitter } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../private-files.js'
import type { Logger } from 'pino'
import type { Metrics } from '../telemetry/metrics.js'
import { telemetryEvent, type TelemetryEvent } from '../telemetry/events.js'
import { checkHeader, encodeFrame, encodeHeader, FRAME_OVERHEAD, HEADER_BYTES, scanFrames } from './segment-format.js'

export interface JournalOptions {
  dir: string
  /** Disk bound for unconfirmed data (headers and framing included). */
  maxBytes: number
  segmentMaxRecords: number
  segmentMaxAgeMs: number
  fsync: 'never' | 'interval' | 'always'
  fsyncIntervalMs: number
  now?: () => number
  /** After ENOSPC/EDQUOT, how often to let appends try the disk again (default 1000 ms). */
  diskRetryMs?: number
  /**
   * Confirmed segments kept as `<id>.seg.shipped` (newest N, default 0) for recentRecords(): not
   * counted against maxBytes, never shipped again.
   */
  keepShipped?: number
}

export interface SealedSegment {
  id: number
  path: string
  records: number
  bytes: number
  firstAt: number
}

export interface CorruptEvent {
  segment: number
  offset: number
  reason: string
  /** Records lost (a lower bound when reason is a bad header). */
  records: number
}

export interface RecoveryReport {
  segments: number
  records: number
  corrupt: number
  truncatedBytes: number
}

export type JournalLogger = Pick<Logger, 'info' | 'warn' | 'error'>
export type JournalMetrics = Pick<Metrics, 'journalBytes' | 'journalSegments' | 'journalFull' | 'journalCorruptRecords' | 'journalReplayedRecords'>

/** The file operations the journal writes with; replaceable in tests to simulate a full disk. */
export interface JournalIo {
  writeSync: (fd: number, buf: Buffer, offset: number, length: number) => number
  ftruncateSync: (fd: number, len: number) => void
  fsyncSync: (fd: number) => void
  /** The interval timer's fsync, off the event loop (the thread pool); defaults to fsyncSync's override when a test gives only that. */
  fsync: (fd: number, done: (err: Error | null) => void) => void
}

export interface JournalDeps {
  logger?: JournalLogger
  metrics?: JournalMetrics
  io?: Partial<JournalIo>
}

export const NOOP_LOGGER: JournalLogger = { info() {}, warn() {}, error() {} } as unknown as JournalLogger

/** Sealed segments' fsyncs in the thread pool at most; past it a seal fsyncs synchronously. */
const MAX_BACKGROUND_SEALS = 4

const SEGMENT_RE = /^(\d+)\.seg$/
const ANY_SEGMENT_RE = /^(\d+)\.seg(?:\.corrupt|\.shipped)?$/
const SHIPPED_RE = /^(\d+)\.seg\.shipped$/

interface Active {
  id: number
  path: string
  fd: number
  records: number
  bytes: number
  firstAt: number
  dirty: boolean
}

export function segmentFileName(id: number): string {
  return `${String(id).padStart(16, '0')}.seg`
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code
}

function isNoSpace(err: unknown): boolean {
  const code = errCode(err)
  return code === 'ENOSPC' || code === 'EDQUOT'
}

export class Journal extends EventEmitter {
  readonly recovery: RecoveryReport = { segments: 0, records: 0, corrupt: 0, truncatedBytes: 0 }

  private readonly opts: Required<Omit<JournalOptions, 'now'>>
  private readonly now: () => number
  private readonly log: JournalLogger
  private readonly metrics: JournalMetrics | undefined
  /** hexpatrol_journal_replayed_records_total and hexpatrol_journal_corrupt_records_total, each with its log line. */
  private readonly events: { replayed: TelemetryEvent<string, never>; corrupt: TelemetryEvent<string, never> }
  private readonly io: JournalIo
  private readonly sealed: SealedSegment[] = []
  /** Kept confirmed segments (paths), oldest first. */
  private readonly shipped: string[] = []
  private active: Active | null = null
  private nextId = 0
  private total = 0
  private closed = false
  private fullReason: 'bound' | 'disk' | null = null
  private refusedBytes = 0
  private waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = []
  private ageTimer: NodeJS.Timeout | null = null
  private fsyncTimer: NodeJS.Timeout | null = null
  private diskTimer: NodeJS.Timeout | null = null
  private last: { segment: number; index: number } | null = null
  /** Frames appended inside defer() and not written yet, in order (see flush()). */
  private held: Buffer[] = []
  private heldBytes = 0
  private deferring = 0
  /** An interval fsync is running in the thread pool (see fsyncActive). */
  private fsyncing = false
  /** Sealed segments' descriptors whose fsync runs in the thread pool; each is closed when it completes (see syncSealed). */
  private readonly sealing = new Set<number>()
  /** A directory fsync runs in the thread pool (see syncDirLater): close() repeats it synchronously. */
  private dirSyncs = 0

  private constructor(opts: JournalOptions, deps: JournalDeps) {
    super()
    if (!(opts.maxBytes > HEADER_BYTES + FRAME_OVERHEAD)) throw new RangeError(`journal maxBytes must exceed ${HEADER_BYTES + FRAME_OVERHEAD}`)
    if (!(opts.segmentMaxRecords >= 1)) throw new RangeError('journal segmentMaxRecords must be at least 1')
    this.opts = { diskRetryMs: 1000, keepShipped: 0, ...opts }
    this.now = opts.now ?? Date.now
    this.log = deps.logger ?? NOOP_LOGGER
    this.metrics = deps.metrics
    this.events = {
      replayed: telemetryEvent(this.log, { counter: this.metrics?.journalReplayedRecords, level: 'info', message: 'Journal recovered segments left by the previous run.', amountField: 'records' }),
      corrupt: telemetryEvent(this.log, { counter: this.metrics?.journalCorruptRecords, level: 'warn', message: 'Journal skipped damaged records.', amountField: 'records' }),
    }
    const syncOverride = deps.io?.fsyncSync
    this.io = {
      writeSync: (fd, buf, offset, length) => fs.writeSync(fd, buf, offset, length),
      ftruncateSync: (fd, len) => fs.ftruncateSync(fd, len),
      fsyncSync: (fd) => fs.fsyncSync(fd),
      fsync: syncOverride === undefined
        ? (fd, done) => fs.fsync(fd, done)
        : (fd, done) => {
            let err: Error | null = null
            try {
              syncOverride(fd)
            } catch (e) {
              err = e instanceof Error ? e : new Error(String(e))
            }
            done(err)
          },
      ...deps.io,
    }
  }

  /** Opens (creating if needed) the journal in opts.dir and recovers what a previous run left. */
  static open(opts: JournalOptions, deps: JournalDeps = {}): Journal {
    const j = new Journal(opts, deps)
    j.recover()
    if (opts.fsync === 'interval') {
      j.fsyncTimer = setInterval(() => j.fsyncActive(), opts.fsyncIntervalMs)
      j.fsyncTimer.unref()
    }
    return j
  }

  get full(): boolean {
    return this.fullReason !== null
  }

  get bytes(): number {
    return this.total
  }

  /** Where the last successful append() put its record: segment id and index (src/log/journal-log.ts). */
  get lastAppended(): { segment: number; index: number } | null {
    return this.last
  }

  /**
   * Appends one record durably (per the fsync policy) before returning true. Returns false, having
   * written nothing, when the journal is full: wait for 'writable' / whenWritable() and retry.
   * Throws on misuse (closed journal, record that can never fit) and on I/O errors other than a
   * full disk; the caller must then not acknowledge the message.
   */
  append(record: Buffer): boolean {
    if (this.closed) throw new Error('journal is closed')
    if (!Buffer.isBuffer(record)) throw new TypeError('journal records must be Buffers')
    const frameBytes = FRAME_OVERHEAD + record.length
    if (HEADER_BYTES + frameBytes > this.opts.maxBytes) throw new RangeError(`record of ${record.length} bytes can never fit in journal.max_bytes`)
    if (this.fullReason) return false
    // Outside defer() a record is written when append returns: what is held goes first.
    if (this.deferring === 0 && this.heldBytes > 0 && !this.flush()) return false

    const now = this.now()
    if (this.active && now - this.active.firstAt >= this.opts.segmentMaxAgeMs) this.sealActive()
    const need = frameBytes + (this.active ? 0 : HEADER_BYTES)
    if (this.total + need > this.opts.maxBytes) {
      this.enterFull('bound', need)
      return false
    }

    let a: Active
    try {
      a = this.active ?? this.createSegment(now)
    } catch (err) {
      if (!isNoSpace(err)) throw err
      this.enterFull('disk', need)
      return false
    }
    const frame = encodeFrame(record)
    const held = this.deferring > 0
    if (held) {
      this.held.push(frame)
      this.heldBytes += frame.length
    } else {
      try {
        this.writeAll(a.fd, frame)
      } catch (err) {
        if (!isNoSpace(err)) throw err
        this.rollback(a)
        this.enterFull('disk', need)
        return false
      }
    }
    a.records++
    this.last = { segment: a.id, index: a.records - 1 }
    a.bytes += frame.length
    this.total += frame.length
    if (this.opts.fsync === 'always' && !held) this.io.fsyncSync(a.fd)
    else a.dirty = true
    this.metrics?.journalBytes.set(this.total)
    if (a.records >= this.opts.segmentMaxRecords) this.sealActive()
    return true
  }

  /**
   * Runs fn with this journal's appends held in memory (group commit): a record appended inside
   * is counted (segment, index, bytes) but written only by the next flush(), which the caller must
   * see return true before it acknowledges anything that depends on those records.
   */
  defer<T>(fn: () => T): T {
    this.deferring++
    try {
      return fn()
    } finally {
      this.deferring--
    }
  }

  /** True when no record is held in memory: every appended record is written (per the fsync policy). */
  get flushed(): boolean {
    return this.heldBytes === 0
  }

  /**
   * Writes the held records in one write (and fsyncs with `always`); true once nothing is held.
   * On a write (or fsync) error what was written is undone, the records stay held and the journal turns
   * full ('disk'): false, and flush() succeeds again once whenWritable() resolves.
   */
  flush(): boolean {
    if (this.heldBytes === 0) return true
    const a = this.active
    if (a === null) throw new Error('journal holds records without an active segment')
    const buf = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes)
    try {
      this.writeAll(a.fd, buf)
      if (this.opts.fsync === 'always') this.io.fsyncSync(a.fd)
    } catch (err) {
      // Undo a partial frame: the file must stay a valid prefix of what is counted.
      try {
        this.io.ftruncateSync(a.fd, a.bytes - this.heldBytes)
      } catch (e) {
        this.log.error({ err: e, segment: a.id }, 'Journal could not roll back a partial group write.')
      }
      this.log.error({ err, segment: a.id, bytes: this.heldBytes }, 'Journal group write failed; the records stay in memory and their acknowledgements wait until the disk takes them (check its space and health).')
      if (this.fullReason === null) {
        this.enterFull('disk', 0)
      } else {
        this.fullReason = 'disk'
        this.scheduleDiskRetry()
      }
      return false
    }
    this.held = []
    this.heldBytes = 0
    return true
  }

  /** Resolves when append() may succeed again (immediately if not full); rejects on close(). */
  whenWritable(): Promise<void> {
    if (!this.fullReason) return Promise.resolve()
    if (this.closed) return Promise.reject(new Error('journal is closed'))
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }))
  }

  /** Seals the active segment now; null if it has no records (its file is removed). */
  sealActive(forceSync = false): SealedSegment | null {
    const a = this.active
    if (!a) return null
    // Held records are part of this segment: written first, or the segment stays open.
    if (!this.flush()) return null
    this.active = null
    if (this.ageTimer) clearTimeout(this.ageTimer)
    this.ageTimer = null
    if (a.records === 0) {
      fs.closeSync(a.fd)
      this.removeFile(a.path)
      this.total -= a.bytes
      this.updateGauges()
      return null
    }
    if (!forceSync && this.opts.fsync === 'interval' && this.sealing.size < MAX_BACKGROUND_SEALS) {
      this.syncSealed(a)
    } else {
      // `always`, close(), or a disk that has not finished the last seals' fsyncs: this one waits
      // for it (backpressure) rather than holding one more descriptor and thread-pool slot.
      if (forceSync || this.opts.fsync !== 'never') this.io.fsyncSync(a.fd)
      fs.closeSync(a.fd)
    }
    const seg: SealedSegment = { id: a.id, path: a.path, records: a.records, bytes: a.bytes, firstAt: a.firstAt }
    this.sealed.push(seg)
    this.updateGauges()
    this.emit('sealed', seg)
    return seg
  }

  /** Sealed segments not yet confirmed, oldest first. */
  pending(): SealedSegment[] {
    return this.sealed.slice()
  }

  /** Reads and verifies a sealed segment; damaged records are skipped, counted and reported. */
  readSegment(seg: SealedSegment): Buffer[] {
    let buf: Buffer
    try {
      buf = fs.readFileSync(seg.path)
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw err
      this.reportCorrupt({ segment: seg.id, offset: 0, reason: 'missing file', records: seg.records })
      return []
    }
    // Only the length recorded at seal time is ours: anything after it is a write we rolled back.
    const view = buf.subarray(0, seg.bytes)
    const head = checkHeader(view)
    if (head.kind !== 'ok') {
      this.reportCorrupt({ segment: seg.id, offset: 0, reason: head.kind === 'bad' ? head.reason : 'torn header', records: seg.records })
      return []
    }
    const scan = scanFrames(view)
    if (scan.reason) this.reportCorrupt({ segment: seg.id, offset: scan.validEnd, reason: scan.reason, records: seg.records - scan.records.length })
    return scan.records
  }

  /** The segment reached its destination: delete it and free its space. Idempotent. */
  confirm(seg: SealedSegment): void {
    const i = this.sealed.findIndex((s) => s.id === seg.id)
    if (i < 0) return
    const mine = this.sealed[i]!
    // Either throws (and keeps the segment pending) if the file cannot go.
    if (this.opts.keepShipped > 0) this.keepAsShipped(mine.path)
    else this.removeFile(mine.path)
    this.sealed.splice(i, 1)
    this.total -= mine.bytes
    this.updateGauges()
    this.maybeWritable()
  }

  /**
   * The records of the newest kept shipped segments and of the newest pending ones (up to
   * keepShipped of each), oldest first: what was accepted in the last moments before a crash.
   * A damaged kept segment yields what it can; it is never reported as lost (it was shipped).
   */
  recentRecords(): Buffer[] {
    const n = this.opts.keepShipped
    const out: Buffer[] = []
    for (const file of this.shipped.slice(-n)) {
      let buf: Buffer
      try {
        buf = fs.readFileSync(file)
      } catch {
        continue
      }
      if (checkHeader(buf).kind === 'ok') out.push(...scanFrames(buf).records)
    }
    for (const seg of n > 0 ? this.sealed.slice(-n) : []) out.push(...this.readSegment(seg))
    return out
  }

  /** Seals and fsyncs the active segment, stops timers; pending segments stay for the next run. */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const t of [this.fsyncTimer, this.diskTimer]) if (t) clearTimeout(t)
    this.fsyncTimer = this.diskTimer = null
    try {
      this.sealActive(true)
      this.finishBackgroundSyncs()
    } finally {
      const waiters = this.waiters
      this.waiters = []
      for (const w of waiters) w.reject(new Error('journal is closed'))
    }
  }

  // --- recovery -------------------------------------------------------------------------------

  private recover(): void {
    const dir = this.opts.dir
    ensurePrivateDir(dir)
    const names = fs.readdirSync(dir)
    let maxId = -1
    const ids: number[] = []
    const shipped: number[] = []
    for (const name of names) {
      const any = ANY_SEGMENT_RE.exec(name)
      if (any) maxId = Math.max(maxId, Number(any[1]))
      const seg = SEGMENT_RE.exec(name)
      if (seg) ids.push(Number(seg[1]))
      const kept = SHIPPED_RE.exec(name)
      if (kept) shipped.push(Number(kept[1]))
    }
    ids.sort((a, b) => a - b)
    for (const id of shipped.sort((a, b) => a - b)) this.shipped.push(`${path.join(dir, segmentFileName(id))}.shipped`)
    this.pruneShipped()
    const events: CorruptEvent[] = []
    for (const id of ids) {
      const e = this.recoverSegment(id)
      if (e) events.push(e)
    }
    this.nextId = Math.max(maxId + 1, Math.floor(this.now()))
    this.updateGauges()
    // Nothing recovered (no segment, no damage) also means no record replayed: nothing to count or say.
    if (this.recovery.segments > 0 || this.recovery.corrupt > 0) this.events.replayed({}, { ...this.recovery, bytes: this.total })
    // open() is synchronous, so listeners attach after it returns: report damage on the next tick.
    if (events.length > 0) process.nextTick(() => { for (const e of events) this.reportCorrupt(e) })
  }

  private recoverSegment(id: number): CorruptEvent | null {
    const file = path.join(this.opts.dir, segmentFileName(id))
    const buf = fs.readFileSync(file)
    const head = checkHeader(buf)
    if (head.kind === 'torn') {
      // Crash while creating the file: its first record was never acknowledged.
      this.removeFile(file)
      return null
    }
    if (head.kind === 'bad') {
      // Not ours or from a newer version: keep the bytes for a human, never ship or reuse the id.
      fs.renameSync(file, `${file}.corrupt`)
      this.recovery.corrupt += 1
      this.recovery.truncatedBytes += buf.length
      return { segment: id, offset: 0, reason: head.reason, records: 1 }
    }
    const scan = scanFrames(buf)
    let event: CorruptEvent | null = null
    if (scan.reason) {
      this.recovery.corrupt += scan.corrupt
      this.recovery.truncatedBytes += buf.length - scan.validEnd
      event = { segment: id, offset: scan.validEnd, reason: scan.reason, records: scan.corrupt }
    }
    if (scan.records.length === 0) {
      this.removeFile(file)
      return event
    }
    if (scan.reason) fs.truncateSync(file, scan.validEnd)
    this.sealed.push({ id, path: file, records: scan.records.length, bytes: scan.validEnd, firstAt: head.firstAt })
    this.total += scan.validEnd
    this.recovery.segments++
    this.recovery.records += scan.records.length
    return event
  }

  // --- internals ------------------------------------------------------------------------------

  private createSegment(now: number): Active {
    const id = this.nextId++
    const file = path.join(this.opts.dir, segmentFileName(id))
    const fd = fs.openSync(file, 'ax', PRIVATE_FILE_MODE)
    const a: Active = { id, path: file, fd, records: 0, bytes: 0, firstAt: now, dirty: true }
    try {
      this.writeAll(fd, encodeHeader(now))
    } catch (err) {
      fs.closeSync(fd)
      this.removeFile(file)
      throw err
    }
    a.bytes = HEADER_BYTES
    this.total += HEADER_BYTES
    this.active = a
    this.updateGauges()
    if (this.opts.fsync === 'always') this.fsyncDir()
    else if (this.opts.fsync === 'interval') this.syncDirLater()
    this.scheduleAgeCheck(a, this.opts.segmentMaxAgeMs)
    return a
  }

  private writeAll(fd: number, buf: Buffer): void {
    let off = 0
    while (off < buf.length) off += this.io.writeSync(fd, buf, off, buf.length - off)
  }

  /** Undo a partial frame so the file stays a valid prefix; if even that fails, seal what is valid. */
  private rollback(a: Active): void {
    try {
      this.io.ftruncateSync(a.fd, a.bytes)
    } catch (err) {
      // readSegment only looks at the sealed length, so the torn bytes are never read back; new
      // records go to a fresh segment instead of after the garbage.
      this.log.error({ err, segment: a.id }, 'Journal could not roll back a partial write; sealing the segment early.')
      this.sealActive()
    }
  }

  private scheduleAgeCheck(a: Active, delayMs: number): void {
    // Cleared by sealActive(), so when it fires `a` is still the active segment.
    this.ageTimer = setTimeout(() => {
      this.ageTimer = null
      const age = this.now() - a.firstAt
      if (age >= this.opts.segmentMaxAgeMs) this.sealActive()
      else this.scheduleAgeCheck(a, this.opts.segmentMaxAgeMs - age)
    }, delayMs)
    this.ageTimer.unref()
  }

  /**
   * The interval timer's fsync of the active segment, in the thread pool: a synchronous fsync held
   * the event loop for the disk's flush time every interval (7 % of a busy engine's main thread).
   * The guarantee is the same (what was written before the call is on disk when it completes).
   * A segment sealed meanwhile was fsynced by the seal itself: a late result for it is ignored.
   */
  private fsyncActive(): void {
    const a = this.active
    if (!a || !a.dirty || this.fsyncing || !this.flush()) return
    // Appends during the flush set it again: the next interval syncs them.
    a.dirty = false
    this.fsyncing = true
    this.io.fsync(a.fd, (err) => {
      this.fsyncing = false
      if (err === null || this.active !== a) return
      a.dirty = true
      this.log.error({ err, segment: a.id }, 'Journal fsync failed; data is in the page cache only.')
    })
  }

  /** A sealed segment's fsync in the thread pool, then its close; a failure is logged (its data is in the page cache). */
  private syncSealed(a: Active): void {
    this.sealing.add(a.fd)
    this.io.fsync(a.fd, (err) => {
      // close() got there first: it synced and closed the descriptor (whose number may be reused).
      if (!this.sealing.delete(a.fd)) return
      if (err !== null) this.log.error({ err, segment: a.id }, 'Journal fsync of a sealed segment failed; its data is in the page cache only (check the disk).')
      fs.close(a.fd, () => {})
    })
  }

  /** The directory's fsync (a new segment's entry) in the thread pool; a failure is logged. */
  private syncDirLater(): void {
    this.dirSyncs++
    const failed = (err: Error): void => this.log.error({ err, dir: this.opts.dir }, 'Journal fsync of its directory failed; a new segment may be missing after a power loss (check the disk).')
    fs.open(this.opts.dir, 'r', (err, fd) => {
      if (err !== null) {
        this.dirSyncs--
        failed(err)
        return
      }
      this.io.fsync(fd, (e) => {
        this.dirSyncs--
        if (e !== null) failed(e)
        fs.close(fd, () => {})
      })
    })
  }

  /** close(): what the thread pool has not synced yet is synced here, before close() returns. */
  private finishBackgroundSyncs(): void {
    const fds = [...this.sealing]
    this.sealing.clear()
    for (const fd of fds) {
      try {
        this.io.fsyncSync(fd)
      } catch (err) {
        this.log.error({ err }, 'Journal fsync of a sealed segment failed at close; its data is in the page cache only (check the disk).')
      }
      fs.closeSync(fd)
    }
    if (this.dirSyncs > 0) this.fsyncDir()
  }

  private fsyncDir(): void {
    const fd = fs.openSync(this.opts.dir, 'r')
    try {
      this.io.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  }

  private keepAsShipped(file: string): void {
    fs.renameSync(file, `${file}.shipped`)
    this.shipped.push(`${file}.shipped`)
    this.pruneShipped()
  }

  private pruneShipped(): void {
    while (this.shipped.length > this.opts.keepShipped) this.removeFile(this.shipped.shift()!)
  }

  private removeFile(file: string): void {
    try {
      fs.unlinkSync(file)
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw err
    }
  }

  private enterFull(reason: 'bound' | 'disk', need: number): void {
    // Only called while writable: append() refuses early once full.
    this.refusedBytes = need
    this.fullReason = reason
    this.metrics?.journalFull.set(1)
    this.log.warn({ reason, bytes: this.total, maxBytes: this.opts.maxBytes }, 'Journal is full; appends are refused until segments are confirmed.')
    // Only confirmations free space, and only sealed segments get shipped: without this, an active
    // segment holding most of the bound would wait for its age limit while nothing can be written.
    // (Not while records are held unwritten: the disk refused them, sealing would try again.)
    if (this.active && this.active.records > 0 && this.heldBytes === 0) this.sealActive()
    if (reason === 'disk') this.scheduleDiskRetry()
    this.emit('full')
  }

  /** Space may come back from outside (another process frees disk): let the next append (or held write) try. */
  private scheduleDiskRetry(): void {
    if (this.diskTimer !== null || this.closed) return
    this.diskTimer = setTimeout(() => { this.diskTimer = null; this.leaveFull() }, this.opts.diskRetryMs)
    this.diskTimer.unref()
  }

  private maybeWritable(): void {
    if (this.fullReason === 'bound' && this.total + this.refusedBytes > this.opts.maxBytes) return
    this.leaveFull()
  }

  private leaveFull(): void {
    if (!this.fullReason) return
    // Held records go first; if the disk still refuses them, flush() keeps the journal full and retries.
    if (!this.flush()) return
    this.fullReason = null
    if (this.diskTimer) clearTimeout(this.diskTimer)
    this.diskTimer = null
    this.metrics?.journalFull.set(0)
    this.log.info({ bytes: this.total }, 'Journal is writable again.')
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w.resolve()
    this.emit('writable')
  }

  private reportCorrupt(e: CorruptEvent): void {
    this.events.corrupt({}, { ...e })
    this.emit('corrupt', e)
  }

  private updateGauges(): void {
    this.metrics?.journalBytes.set(this.total)
    this.metrics?.journalSegments.set(this.sealed.length + (this.active ? 1 : 0))
  }
}
