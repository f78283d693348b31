// The pipeline's front door: one MQTT message in → decoded and validated → flagged and evaluated
// by the rules → one journal record (positions, rejects, alert transitions) → acknowledged.
// Runs synchronously in the common case so MQTT.js can ack at full speed; when the journal is at
// its bound it returns a promise that settles once the record is written (backpressure).
import type { Logger } from 'pino'
import type { Decode } from '../decode/decoder.js'
import { FixFlag, type Fix } from '../decode/fix.js'
import type { AlertEvent } from '../rules/alert-event.js'
import type { Metrics } from '../telemetry/metrics.js'
import { RecordBuilder, alertRow, positionRow, rejectRow } from '../sink/clickhouse/rows.js'
import type { MessageHandler } from './message-handler.js'
import { fixKey, type RecentFixes } from './recent-fixes.js'

/** The journal as the ingestor sees it. */
export interface JournalWriter {
  append(record: Buffer): boolean
  whenWritable(): Promise<void>
}

/** The rule engine as the ingestor sees it (absent when rules are off). */
export interface RuleSink {
  classify(fix: Fix): number
  ingest(fix: Fix, now: number): AlertEvent[]
}

export interface IngestorDeps {
  decode: Decode
  journal: JournalWriter
  rules?: RuleSink | undefined
  /** Receives alert transitions after their record is journaled. */
  onAlerts?: (events: AlertEvent[]) => void
  metrics: Metrics
  logger: Logger
  now?: () => number
  /** Exact re-deliveries of a recent fix are dropped (see recent-fixes.ts). */
  recent?: RecentFixes
  /** Rejections are logged at most this often (ms); every one is counted and stored. */
  rejectLogIntervalMs?: number
}

export class Ingestor {
  private readonly deps: IngestorDeps
  private readonly now: () => number
  private lastRejectLog = 0
  private suppressedRejects = 0
  /** Records waiting for journal space, in order; while non-empty, new records queue behind them. */
  private blocked: Promise<void> | null = null

  constructor(deps: IngestorDeps) {
    this.deps = deps
    this.now = deps.now ?? Date.now
  }

  readonly handle: MessageHandler = (topic, payload) => {
    const { decode, rules, metrics } = this.deps
    const receivedAt = this.now()
    const result = decode(topic, payload, receivedAt)
    const rec = new RecordBuilder()
    let events: AlertEvent[] | null = null
    if (result.fixes.length > 0) {
      const fixes = result.fixes.length > 1 ? result.fixes.sort((a, b) => a.ts - b.ts) : result.fixes
      const format = fixes[0]!.source
      metrics.messagesReceived.inc({ format })
      const recent = this.deps.recent
      let accepted = 0
      for (const fix of fixes) {
        if (recent !== undefined && !recent.add(fixKey(fix.unitId, fix.ts, fix.lat, fix.lon))) {
          metrics.redeliveries.inc()
          continue
        }
        if (rules !== undefined) {
          fix.flags = rules.classify(fix)
          if (fix.flags !== 0) this.countFlags(fix.flags)
          const ev = rules.ingest(fix, receivedAt)
          if (ev.length > 0) (events ??= []).push(...ev)
        }
        rec.add('p', positionRow(fix))
        accepted++
      }
      if (accepted > 0) metrics.fixesAccepted.inc({ format }, accepted)
    } else if (result.ignored !== null) {
      metrics.messagesReceived.inc({ format: 'owntracks' })
      metrics.messagesIgnored.inc({ type: result.ignored.slice(0, 32).replace(/[^a-z_]/gi, '') || 'other' })
    } else {
      metrics.messagesReceived.inc({ format: 'invalid' })
    }
    for (const r of result.rejects) {
      metrics.rejects.inc({ reason: r.reason })
      rec.add('r', rejectRow(r))
      this.logReject(r.reason, r.detail, topic)
    }
    if (events !== null) for (const e of events) rec.add('a', alertRow(e))
    if (rec.empty) return undefined
    const done = this.write(rec.build())
    if (events !== null) {
      const ev = events
      if (done === undefined) this.deps.onAlerts?.(ev)
      else return done.then(() => this.deps.onAlerts?.(ev))
    }
    return done
  }

  /** Journals records produced outside a message (rule ticks, coverage snapshots). */
  writeRecord(record: Buffer): void | Promise<void> {
    return this.write(record)
  }

  private write(record: Buffer): void | Promise<void> {
    if (this.blocked === null && this.deps.journal.append(record)) return undefined
    const started = this.now()
    const prev = this.blocked ?? Promise.resolve()
    const p = prev.then(async () => {
      while (!this.deps.journal.append(record)) await this.deps.journal.whenWritable()
      this.deps.metrics.ackWaitSeconds.observe((this.now() - started) / 1000)
    })
    const tail = p.finally(() => {
      if (this.blocked === tail) this.blocked = null
    })
    this.blocked = tail
    return tail
  }

  private countFlags(flags: number): void {
    const c = this.deps.metrics.fixesFlagged
    if (flags & FixFlag.ImpossibleSpeed) c.inc({ flag: 'impossible_speed' })
    if (flags & FixFlag.Duplicate) c.inc({ flag: 'duplicate' })
    if (flags & FixFlag.TooLate) c.inc({ flag: 'too_late' })
    if (flags & FixFlag.FutureTs) c.inc({ flag: 'future_ts' })
  }

  private logReject(reason: string, detail: string, topic: string): void {
    const t = this.now()
    const every = this.deps.rejectLogIntervalMs ?? 1000
    if (t - this.lastRejectLog < every) {
      this.suppressedRejects++
      return
    }
    this.deps.logger.warn({ reason, detail, topic, suppressed: this.suppressedRejects }, 'Rejected a payload (counted in hexpatrol_rejects_total and stored in the rejects table).')
    this.lastRejectLog = t
    this.suppressedRejects = 0
  }
}
