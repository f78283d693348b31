// The durable webhook outbox: one JSON file per delivery (event × subscription) under <dir>/outbox,
// written atomically and durably (private-files.ts: temp file, fsync, rename, directory fsync)
// before publish() returns.
// A file is removed only after a 2xx; after the horizon it moves to <dir>/outbox/dead. A restart
// loads every pending file and resumes it with the same webhook-id and attempt count.
import { renameSync, readdirSync, readFileSync, unlinkSync, existsSync } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { ensurePrivateDir, writePrivateFileAtomic, writePrivateFileAtomicAsync, writePrivateFilesAtomic } from '../private-files.js'
import type { AlertEvent } from '../rules/alert-event.js'
import { alertToOutbound, isOutboundEvent, type OutboundEvent } from './outbound-event.js'

export interface DeliveryRecord {
  /** 2: `event` is an OutboundEvent. Version 1 files (an AlertEvent) are converted when loaded. */
  v: 2
  /** `<seq, 16 digits>-<subscriptionId>`: the file name, and the admin API's handle. */
  deliveryId: string
  /** Global enqueue order; per-subject order to one subscription follows it. */
  seq: number
  subscriptionId: string
  /** Stable across retries and restarts: the receiver's idempotency key. */
  webhookId: string
  subject: string
  event: OutboundEvent
  enqueuedAt: number
  attempts: number
  firstAttemptAt: number | null
  nextAttemptAt: number
  lastStatus?: number
  lastError?: string
  deadAt?: number
}

export interface LoadResult {
  pending: DeliveryRecord[]
  dead: DeliveryRecord[]
  /** Files that could not be parsed, renamed to *.corrupt (kept for inspection). */
  corrupt: string[]
}

const isRecord = (x: unknown): x is DeliveryRecord => {
  const r = x as DeliveryRecord
  return typeof r === 'object' && r !== null && r.v === 2 && typeof r.deliveryId === 'string' && typeof r.seq === 'number' &&
    typeof r.subscriptionId === 'string' && typeof r.webhookId === 'string' && isOutboundEvent(r.event)
}

/** A record written before outbound events existed (v1: the event is an AlertEvent) keeps its ids. */
function upgrade(x: unknown): unknown {
  const r = x as { v?: unknown; event?: AlertEvent }
  if (typeof r !== 'object' || r === null || r.v !== 1 || typeof r.event !== 'object' || r.event === null || typeof r.event.eventId !== 'string') return x
  return { ...r, v: 2, event: alertToOutbound(r.event) }
}

export class Outbox {
  readonly dir: string
  readonly deadDir: string
  private seq: number

  constructor(baseDir: string, now: number = Date.now()) {
    this.dir = join(baseDir, 'outbox')
    this.deadDir = join(this.dir, 'dead')
    ensurePrivateDir(this.dir)
    ensurePrivateDir(this.deadDir)
    // Start above the wall clock in µs so delivery ids stay unique across restarts even once drained.
    this.seq = now * 1000
  }

  /** Reads every pending and dead record (sorted by seq); removes leftover temp files. */
  load(): LoadResult {
    const out: LoadResult = { pending: [], dead: [], corrupt: [] }
    for (const [dir, into] of [[this.dir, out.pending], [this.deadDir, out.dead]] as const) {
      for (const name of readdirSync(dir)) {
        const file = join(dir, name)
        if (name.endsWith('.tmp')) {
          unlinkSync(file)
          continue
        }
        if (!name.endsWith('.json')) continue
        let rec: unknown
        try {
          rec = upgrade(JSON.parse(readFileSync(file, 'utf8')))
        } catch {
          rec = null
        }
        if (!isRecord(rec)) {
          renameSync(file, `${file}.corrupt`)
          out.corrupt.push(file)
          continue
        }
        into.push(rec)
        this.seq = Math.max(this.seq, rec.seq)
      }
      into.sort((a, b) => a.seq - b.seq)
    }
    // A crash between the two steps of bury/revive leaves both copies: keep the pending one
    // (at worst one more attempt), never lose the delivery.
    const pendingIds = new Set(out.pending.map((r) => r.deliveryId))
    out.dead = out.dead.filter((r) => {
      if (!pendingIds.has(r.deliveryId)) return true
      unlinkSync(this.path(r, true))
      return false
    })
    return out
  }

  nextSeq(): number {
    return ++this.seq
  }

  static deliveryId(seq: number, subscriptionId: string): string {
    return `${String(seq).padStart(16, '0')}-${subscriptionId}`
  }

  private path(rec: DeliveryRecord, dead = false): string {
    return join(dead ? this.deadDir : this.dir, `${rec.deliveryId}.json`)
  }

  /** Durable before it returns: write temp, fsync, rename, then one directory fsync for the batch. */
  addSync(records: readonly DeliveryRecord[]): void {
    if (records.length === 0) return
    writePrivateFilesAtomic(records.map((rec) => ({ file: this.path(rec), data: JSON.stringify(rec) })))
  }

  /** Persists the attempt count and next attempt time after a failed attempt. */
  async update(rec: DeliveryRecord): Promise<void> {
    await writePrivateFileAtomicAsync(this.path(rec), JSON.stringify(rec))
  }

  /** After a 2xx. A crash before the unlink only means one more (deduplicable) delivery. */
  async remove(rec: DeliveryRecord): Promise<void> {
    await unlink(this.path(rec)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }

  /** Dropped on purpose (subscription removed). */
  removeSync(rec: DeliveryRecord): void {
    const file = this.path(rec)
    if (existsSync(file)) unlinkSync(file)
  }

  /** Moves a delivery to the dead letters (its final state written first). */
  async bury(rec: DeliveryRecord): Promise<void> {
    await writePrivateFileAtomicAsync(this.path(rec, true), JSON.stringify(rec))
    await this.remove(rec)
  }

  /** Start-up only: a pending delivery that can no longer be delivered goes straight to the dead letters. */
  burySync(rec: DeliveryRecord): void {
    writePrivateFileAtomic(this.path(rec, true), JSON.stringify(rec))
    this.removeSync(rec)
  }

  /** Moves a dead letter back to pending (sync: the admin call returns once it is durable). */
  reviveSync(rec: DeliveryRecord): void {
    this.addSync([rec])
    const dead = this.path(rec, true)
    if (existsSync(dead)) unlinkSync(dead)
  }
}
