// The pipeline's front door: one message in (MQTT, or HTTP ingest through the API) → decoded and validated → flagged → journaled →
// only then fed to the rules (whose transitions are journaled next) → acknowledged.
// Runs synchronously in the common case so MQTT.js can ack at full speed; when the journal is at
// its bound it returns a promise that settles once the record is written (backpressure).
import type { Logger } from 'pino'
import type { Decode } from '../decode/decoder.js'
import { DECODER_FLAGS, type DecodeResult, type Fix, type Reject } from '../decode/fix.js'
import type { SosSignal } from '../decode/fix.js'
import type { AlertEvent } from '../rules/alert-event.js'
import type { Metrics } from '../telemetry/metrics.js'
import { boundCounter, type BoundCounter } from '../telemetry/bound-counter.js'
import { flagCounter } from '../decode/flag-counter.js'
import { RecordBuilder, alertsRecord, positionRow, rejectRow } from '../journal/record.js'
import type { MessageHandler } from './message-handler.js'
import { fixKey, type RecentFixes } from './recent-fixes.js'

/** How a message reached the engine (a label of the message and fix counters). */
export type Transport = 'mqtt' | 'http' | 'jt808'

/** The journal as the ingestor sees it. */
export interface JournalWriter {
  append(record: Buffer): boolean
  whenWritable(): Promise<void>
  /**
   * Writes records held by a group commit (Journal.defer); false while the disk refuses them.
   * The ingestor calls it before it hands alerts or SOS signals on (journaled first, then delivered).
   */
  flush?(): boolean
}

/** The rule engine as the ingestor sees it (absent when rules are off). */
export interface RuleSink {
  classify(fix: Fix): number
  ingest(fix: Fix, now: number): AlertEvent[]
}

/**
 * Cluster mode's durable store for fixes (the JetStream log, src/cluster/cluster-node.ts): the
 * promise resolves once every fix is stored (the publish ack), and only then is the device acked.
 * Rejects when the log cannot store them (NATS away): the message is not acked.
 */
export interface FixLogSink {
  append(fixes: readonly Fix[], format: string, transport: Transport): Promise<void>
}

export interface IngestorDeps {
  decode: Decode
  journal: JournalWriter
  /** Cluster mode: fixes go to the log (rejects still to the journal) and the rules run on every engine's replica, not here. */
  log?: FixLogSink | undefined
  rules?: RuleSink | undefined
  /** Receives alert transitions after their record is journaled. */
  onAlerts?: (events: AlertEvent[]) => void
  /** Receives a message's SOS signals once the whole message is journaled (a promise holds the acknowledgement). */
  onSos?: (signals: SosSignal[]) => unknown
  metrics: Metrics
  logger: Logger
  now?: () => number
  /** Exact re-deliveries of a recent fix are dropped (see recent-fixes.ts). */
  recent?: RecentFixes
  /** Rejections are logged at most this often (ms); every one is counted. */
  rejectLogIntervalMs?: number
  /**
   * Reject rows stored per message (validation.max_rejects_per_message, default 20): a message with
   * more stores the first max − 1 and one `too_many_rejects` row saying how many more were only counted.
   */
  maxRejectsPerMessage?: number
}

/** One message on its way into the journal (a batch may take several records). */
interface Job {
  format: string
  transport: Transport
  receivedAt: number
  fixes: Fix[]
  /** Every reject of the message: all are counted. */
  rejects: Reject[]
  /** The ones stored (at most maxRejectsPerMessage rows, a summary row last when some were left out). */
  stored: Reject[]
  /** Index of the next fix to journal. */
  next: number
  rejectsWritten: boolean
  /** The fixes taken so far (fixKey), for a message of several fixes: a repeat inside it is dropped. */
  seen: Set<string> | null
}

export class Ingestor {
  private readonly deps: IngestorDeps
  private readonly now: () => number
  /** hexpatrol_fixes_flagged_total, per accepted fix with the rules. */
  private readonly countFlags: (flags: number) => void
  private lastRejectLog = 0
  private suppressedRejects = 0
  /**
   * Set while a record waits for journal space: later messages and records queue behind it, in
   * order (a later fix must be classified after the earlier one reached the rules).
   */
  private blocked: Promise<void> | null = null
  /** Per-message counters bound to their labels once (telemetry/bound-counter.ts: no label hashing per message). */
  private readonly bound = new Map<string, { received: BoundCounter; accepted: BoundCounter }>()
  private lastCounters: { format: string; transport: Transport; c: { received: BoundCounter; accepted: BoundCounter } } | null = null
  constructor(deps: IngestorDeps) {
    this.deps = deps
    this.now = deps.now ?? Date.now
    this.countFlags = flagCounter(deps.metrics.fixesFlagged)
  }

  /**
   * Nothing changes state (re-delivery filter, rule state, acceptance and reject counters) until
   * the record holding the fix is appended: when the append throws, the message is not
   * acknowledged, and its re-delivery is processed as if it were the first copy. A fix reaches
   * the rules only after its record is durable, so with rules on each fix of a batch is its own
   * record (the next fix's flags depend on the rules having seen the previous one). Inside a group
   * commit (the MQTT subscriber runs this in Journal.defer) "appended" means held for the turn's
   * one write: the source acknowledges nothing before that write, and alerts and SOS signals are
   * handed on only after it (see written()).
   */
  readonly handle: MessageHandler = (topic, payload) => {
    const receivedAt = this.now()
    // Decoded now unless an earlier message waits for journal space (then in its turn); no closure per message.
    if (this.blocked !== null) return this.queue(() => this.process(this.deps.decode(topic, payload, receivedAt), receivedAt, 'mqtt'))
    return this.track(this.process(this.deps.decode(topic, payload, receivedAt), receivedAt, 'mqtt'))
  }

  /**
   * The path every transport shares once a message is decoded (HTTP ingest uses it directly):
   * flag, journal, then evaluate. Settles once the record is durable, like `handle`.
   */
  ingest(result: DecodeResult, receivedAt: number, transport: Transport): void | Promise<void> {
    if (this.blocked !== null) return this.queue(() => this.process(result, receivedAt, transport))
    return this.track(this.process(result, receivedAt, transport))
  }

  /** Journals records produced outside a message (rule ticks, coverage snapshots, API transitions). */
  writeRecord(record: Buffer): void | Promise<void> {
    if (this.blocked !== null) return this.queue(() => this.append(record))
    return this.track(this.append(record))
  }

  /** Resolves once nothing waits for journal space (or after timeoutMs): the engine's shutdown. */
  async idle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs) })
    try {
      while (this.blocked !== null) await Promise.race([this.blocked.catch(() => undefined), timeout.then(() => { throw new Error('timeout') })])
    } catch {
      // Timed out: whatever still waits is not acknowledged and is delivered again after the restart.
    } finally {
      clearTimeout(timer)
    }
  }

  private queue(run: () => void | Promise<void>): Promise<void> {
    // Run after the previous one whatever its outcome: its failure is its own message's.
    const p = this.blocked!.catch(() => undefined).then(run)
    return this.track(p)!
  }

  private track(p: void | Promise<void>): void | Promise<void> {
    if (p === undefined) return undefined
    const tail: Promise<void> = p.finally(() => {
      if (this.blocked === tail) this.blocked = null
    })
    this.blocked = tail
    return tail
  }

  private process(result: DecodeResult, receivedAt: number, transport: Transport): void | Promise<void> {
    const { metrics } = this.deps
    // Labelled by the decode route's format, whatever the outcome (an empty batch is still native).
    const format = result.format
    this.counters(format, transport).received.inc()
    if (result.ignored !== null) metrics.messagesIgnored.inc({ type: result.ignored.slice(0, 32).replace(/[^a-z_]/gi, '') || 'other' })
    const fixes = result.fixes.length > 1 ? result.fixes.sort((a, b) => a.ts - b.ts) : result.fixes
    const rejects = result.rejects
    const job: Job = { format, transport, receivedAt, fixes, rejects, stored: this.capRejects(rejects), next: 0, rejectsWritten: rejects.length === 0, seen: null }
    const done = this.run(job)
    const sos = result.sos
    if (sos === undefined) return done
    const raise = (): void | Promise<void> => {
      // Journaled first (a group commit's held records are written), then handed on; a promise from
      // onSos holds the acknowledgement.
      const hand = (): void | Promise<void> => {
        const raised = this.deps.onSos?.(sos)
        return raised instanceof Promise ? raised.then(() => undefined) : undefined
      }
      const written = this.written()
      return written === undefined ? hand() : written.then(hand)
    }
    return done === undefined ? raise() : done.then(raise)
  }

  /**
   * The redelivery filter of both paths (journal and cluster log): an exact re-delivery of a recent
   * fix (recent-fixes.ts) or a repeat earlier in the same message is dropped and counted. `seen`
   * holds the message's fixes taken so far (fixKey), kept only for a message of several fixes.
   */
  private isNewFix(fix: Fix, seen: Set<string> | null): boolean {
    if (this.deps.recent?.has(fix.unitId, fix.ts, fix.lat, fix.lon) !== true) {
      if (seen === null) return true
      const key = fixKey(fix.unitId, fix.ts, fix.lat, fix.lon)
      if (!seen.has(key)) {
        seen.add(key)
        return true
      }
    }
    this.deps.metrics.redeliveries.inc()
    return false
  }

  /** Journals the job's fixes from job.next on; returns a promise only when an append had to wait. */
  private run(job: Job): void | Promise<void> {
    if (this.deps.log !== undefined) return this.runToLog(job, this.deps.log)
    const { rules } = this.deps
    const perFix = rules !== undefined
    while (job.next < job.fixes.length || !job.rejectsWritten) {
      const rec = new RecordBuilder()
      const taken: Fix[] = []
      const seen = job.fixes.length > 1 ? (job.seen ??= new Set<string>()) : null
      while (job.next < job.fixes.length) {
        const fix = job.fixes[job.next]!
        // With the rules, one fix per record: a fix taken into the next record is looked at again then.
        if (perFix && taken.length > 0) break
        if (!this.isNewFix(fix, seen)) {
          job.next++
          continue
        }
        if (rules !== undefined) fix.flags = (fix.flags & DECODER_FLAGS) | rules.classify(fix)
        rec.add('p', positionRow(fix))
        taken.push(fix)
        job.next++
      }
      // Rejects travel with the message's last record: a message cut short by a failed append and
      // delivered again stores them once.
      const withRejects = !job.rejectsWritten && job.next >= job.fixes.length
      if (withRejects) for (const r of job.stored) rec.add('r', rejectRow(r))
      if (rec.empty) break
      const done = this.append(rec.build())
      if (done !== undefined) return done.then(() => { this.acceptRecord(job, taken, withRejects); return this.run(job) })
      this.acceptRecord(job, taken, withRejects)
    }
    return undefined
  }

  /**
   * Cluster mode: the message's new fixes are appended to the log in one call, then its rejects are
   * journaled (this engine stores them); accepted once both are durable.
   */
  private runToLog(job: Job, log: FixLogSink): Promise<void> | void {
    const taken: Fix[] = []
    const seen = job.fixes.length > 1 ? new Set<string>() : null
    for (const fix of job.fixes) if (this.isNewFix(fix, seen)) taken.push(fix)
    job.next = job.fixes.length
    // The rejects are journaled once the fixes are stored: a message the log refuses is delivered
    // again by the broker, and journaling its rejects before that would store them once per delivery.
    const rejectsThenAccept = (): void | Promise<void> => {
      const rejected = job.rejectsWritten ? undefined : this.appendRejects(job)
      return rejected === undefined ? this.acceptToLog(job, taken) : rejected.then(() => this.acceptToLog(job, taken))
    }
    if (taken.length === 0) return rejectsThenAccept()
    return log.append(taken, job.format, job.transport).then(rejectsThenAccept)
  }

  private appendRejects(job: Job): void | Promise<void> {
    const rec = new RecordBuilder()
    for (const r of job.stored) rec.add('r', rejectRow(r))
    return this.append(rec.build())
  }

  private acceptToLog(job: Job, taken: readonly Fix[]): void {
    if (!job.rejectsWritten) {
      job.rejectsWritten = true
      this.countRejects(job)
    }
    this.accept(job, taken)
  }

  /** A record of run() is durable: its rejects (when it carried them) are counted, its fixes accepted. */
  private acceptRecord(job: Job, taken: readonly Fix[], withRejects: boolean): void {
    if (withRejects) {
      job.rejectsWritten = true
      this.countRejects(job)
    }
    this.accept(job, taken)
  }

  /** The record holding these fixes is durable: only now may they change state. */
  private accept(job: Job, taken: readonly Fix[]): void {
    if (taken.length === 0) return
    const { rules, recent } = this.deps
    this.counters(job.format, job.transport).accepted.inc(taken.length)
    let events: AlertEvent[] | null = null
    for (const fix of taken) {
      recent?.add(fix.unitId, fix.ts, fix.lat, fix.lon)
      if (rules === undefined) continue
      this.countFlags(fix.flags)
      const ev = rules.ingest(fix, job.receivedAt)
      if (ev.length > 0) (events ??= []).push(...ev)
    }
    if (events !== null) this.journalAlerts(events)
  }

  /**
   * Journals transitions caused by a fix, then hands them on. The fix itself is durable already,
   * so a failure here must not fail the message: the transitions are still delivered.
   */
  private journalAlerts(events: AlertEvent[]): void {
    let done: void | Promise<void>
    try {
      // Tracked like any waiting record: idle() (shutdown) waits for it, later messages queue behind it.
      done = this.track(this.append(alertsRecord(events)))
    } catch (err) {
      this.deps.logger.error({ err, alerts: events.map((e) => e.alertId) }, 'Alert transitions could not be journaled (they will be missing from the alerts table); delivering them anyway.')
      done = undefined
    }
    if (done !== undefined) {
      void done.then(() => this.deps.onAlerts?.(events))
      return
    }
    // Held by a group commit: delivered once written (a journal closed first never delivers them).
    const written = this.written()
    if (written === undefined) this.deps.onAlerts?.(events)
    else void written.then(() => this.deps.onAlerts?.(events), (err: unknown) => this.deps.logger.error({ err, alerts: events.map((e) => e.alertId) }, 'Alert transitions were not written to the journal; not delivering them.'))
  }

  /** Undefined once every appended record is written (group commit flushed), else when it is. */
  private written(): void | Promise<void> {
    const journal = this.deps.journal
    if (journal.flush === undefined || journal.flush()) return undefined
    return (async () => {
      do await journal.whenWritable()
      while (!journal.flush!())
    })()
  }

  /**
   * A message's rejects cost at most maxRejectsPerMessage rows: a 20 kB batch of 10,000 bad
   * elements would otherwise store 10,000 rows (input amplification). The first max − 1 are kept
   * as they are, then one row summarises the rest by reason; every reject is still counted.
   */
  private capRejects(rejects: Reject[]): Reject[] {
    const max = Math.max(1, this.deps.maxRejectsPerMessage ?? 20)
    if (rejects.length <= max) return rejects
    const kept = rejects.slice(0, max - 1)
    const byReason = new Map<string, number>()
    for (let i = max - 1; i < rejects.length; i++) {
      const reason = rejects[i]!.reason
      byReason.set(reason, (byReason.get(reason) ?? 0) + 1)
    }
    const first = rejects[max - 1]!
    const more = rejects.length - kept.length
    const reasons = [...byReason].map(([r, n]) => `${r} ${n}`).join(', ')
    kept.push({
      receivedAt: first.receivedAt,
      topic: first.topic,
      unitId: first.unitId,
      reason: 'too_many_rejects',
      detail: `${more} more rejects of this message were counted but not stored (validation.max_rejects_per_message is ${max}): ${reasons}`,
      payload: '',
    })
    return kept
  }

  private countRejects(job: Job): void {
    const { metrics } = this.deps
    // Every reject is counted (by reason, in one call per reason); the ones the cap kept out of
    // the table are counted again as not stored.
    const capped = job.stored !== job.rejects
    const firstUnstored = capped ? job.stored.length - 1 : job.rejects.length
    const all = new Map<string, number>()
    const unstored = new Map<string, number>()
    job.rejects.forEach((r, i) => {
      all.set(r.reason, (all.get(r.reason) ?? 0) + 1)
      if (i >= firstUnstored) unstored.set(r.reason, (unstored.get(r.reason) ?? 0) + 1)
    })
    for (const [reason, n] of all) metrics.rejects.inc({ reason }, n)
    for (const [reason, n] of unstored) metrics.rejectsNotStored.inc({ reason }, n)
    for (const r of job.stored) this.logReject(r.reason, r.detail, r.topic)
  }

  private counters(format: string, transport: Transport): { received: BoundCounter; accepted: BoundCounter } {
    // Consecutive messages mostly share their route: no key built for them.
    const last = this.lastCounters
    if (last !== null && last.format === format && last.transport === transport) return last.c
    const key = `${transport}\u0000${format}`
    let c = this.bound.get(key)
    if (c === undefined) {
      const { metrics } = this.deps
      // Formats are the decode routes' (a few, fixed by config): the map stays small.
      c = { received: boundCounter(metrics.messagesReceived, { format, transport }), accepted: boundCounter(metrics.fixesAccepted, { format, transport }) }
      this.bound.set(key, c)
    }
    this.lastCounters = { format, transport, c }
    return c
  }

  /** Appends now, or waits for space (in order); throws (not acknowledged) when the journal fails. */
  private append(record: Buffer): void | Promise<void> {
    const journal = this.deps.journal
    if (journal.append(record)) return undefined
    const started = this.now()
    return (async () => {
      while (!journal.append(record)) await journal.whenWritable()
      this.deps.metrics.ackWaitSeconds.observe((this.now() - started) / 1000)
    })()
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
