// Persists the rule engine's state (unit rule states, open alerts, coverage, zone timers) so a
// restart neither re-fires open alerts nor forgets coverage. The cost of a save follows what
// changed, never the size of the fleet: each save appends ONE line (the RuleDelta) to
// `changes.jsonl`. save() only queues the delta: a small one (an alert's save) is serialised and
// appended at once; a large one's units are serialised in slices of SLICE per event-loop turn and
// its line is written asynchronously; in order, each line once whole (a line is the
// unit of durability: it is written complete or, on a crash, torn and ignored). When the log
// outgrows the base, the merged state is compacted into `base.jsonl` the same way, so neither a
// save nor a compaction blocks the loop for more than a slice. Deltas saved while another waits
// its turn join it (group commit: one line, one append), so a burst of saves (the engine saves
// before delivering each alert) costs one write, and an alert waits for at most the write in
// progress and its own, never for a queue of writes. Files are 0600 in a 0700 directory (they
// hold live positions).
//
// Layout: base.jsonl = one header line {version, alerts, responseRatios, zoneTimers}, then one line
// per zone ({c: zoneId, s: state}) and per unit ({u: UnitStateJSON}); changes.jsonl (and, during a
// compaction, changes.old.jsonl) = one RuleDelta per line. Loading replays base, old log, log.
// Replaying a delta twice is harmless (last write wins), so a crash at any point loses at most
// the line being written, and a torn last line is ignored.
import { appendFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { appendFile, type FileHandle } from 'node:fs/promises'
import { setImmediate as turn } from 'node:timers/promises'
import { join } from 'node:path'
import { ensurePrivateDir, PRIVATE_FILE_MODE, writePrivateFileAtomicAsync } from '../private-files.js'
import type { RuleDelta, RuleSnapshot, ZoneTimersJSON } from '../rules/state-codec.js'
import type { AlertBookJSON } from '../rules/alert-book.js'

/** Entries serialised per slice of a save or a compaction (each slice is one synchronous step). */
const SLICE = 100
/**
 * A delta of at most this many units (an alert's save under load: a few hundred) is serialised in
 * one step (~1–2 ms): slicing it would make the alert wait one event-loop turn per slice, and under
 * ingest load a turn is tens of milliseconds. Larger deltas (a tick over a big fleet) are sliced.
 */
const ONE_STEP_UNITS = 500
/**
 * A line of at most this size is appended synchronously: a page-cache write of microseconds (the
 * log is not fsynced either way), instead of open, write and close on the thread pool, each a
 * loop turn behind the ingest callbacks. Larger lines are appended asynchronously.
 */
const SYNC_APPEND_BYTES = 256 * 1024
/** Compaction starts once the log is larger than this and larger than the base. */
const MIN_COMPACT_BYTES = 4 * 1024 * 1024

interface Merged {
  alerts: AlertBookJSON
  responseRatios: RuleSnapshot['responseRatios']
  zoneTimers: ZoneTimersJSON[]
  /** zone id → serialised coverage state */
  coverage: Map<string, string>
  /** unit id → serialised UnitStateJSON */
  units: Map<string, string>
}

export interface StoreOptions {
  /** Log size that triggers a compaction (default: 4 MB, or the base's size when larger). */
  compactBytes?: number
  /** A write or compaction that failed (disk full, permissions): the engine logs it and runs on. */
  onError?: (err: unknown) => void
}

export class RuleStateStore {
  private readonly base: string
  private readonly log: string
  private readonly oldLog: string
  /** The single-file snapshot of earlier versions, read once when no base exists yet. */
  private readonly legacy: string
  private readonly compactBytes: number
  private merged: Merged = { alerts: { version: 1, open: [] }, responseRatios: [], zoneTimers: [], coverage: new Map(), units: new Map() }
  private logBytes = 0
  private baseBytes = 0
  private compacting: Promise<void> | null = null
  /** Deltas saved and not yet written, oldest first; `writing` drains them. */
  private readonly queue: Array<{ delta: RuleDelta; done: Promise<void>; written: () => void }> = []
  private readonly onError: (err: unknown) => void
  private writing: Promise<void> | null = null
  /** Slices run by saves (for tests: a large delta takes several event-loop turns). */
  saveSlices = 0
  /** Compactions completed (for tests and metrics). */
  compactions = 0

  constructor(dir: string, opts: StoreOptions = {}) {
    ensurePrivateDir(dir)
    this.base = join(dir, 'base.jsonl')
    this.log = join(dir, 'changes.jsonl')
    this.oldLog = join(dir, 'changes.old.jsonl')
    this.legacy = join(dir, 'snapshot.json')
    this.compactBytes = opts.compactBytes ?? MIN_COMPACT_BYTES
    this.onError = opts.onError ?? (() => {})
  }

  /** The saved state, or null when nothing was saved. Lines that do not parse (a torn tail) are skipped. */
  load(): RuleSnapshot | null {
    let found = false
    if (!existsSync(this.base) && existsSync(this.legacy)) {
      const snap = parse(readFileSync(this.legacy, 'utf8')) as RuleSnapshot | null
      if (snap !== null) {
        found = true
        this.apply({ units: snap.units, removed: [], alerts: snap.alerts, coverage: snap.coverage, responseRatios: snap.responseRatios, zoneTimers: snap.zoneTimers ?? [] })
      }
    }
    if (existsSync(this.base)) {
      found = true
      const text = readFileSync(this.base, 'utf8')
      this.baseBytes = text.length
      const lines = text.split('\n')
      const header = parse(lines[0] ?? '') as { version?: number; alerts?: AlertBookJSON; responseRatios?: RuleSnapshot['responseRatios']; zoneTimers?: ZoneTimersJSON[] } | null
      if (header?.version === 1 && header.alerts !== undefined) {
        this.merged.alerts = header.alerts
        this.merged.responseRatios = header.responseRatios ?? []
        this.merged.zoneTimers = header.zoneTimers ?? []
      }
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i] as string
        const o = parse(line) as { u?: { id: string }; c?: string; s?: unknown } | null
        if (o?.u !== undefined) this.merged.units.set(o.u.id, JSON.stringify(o.u))
        else if (o?.c !== undefined) this.merged.coverage.set(o.c, JSON.stringify(o.s))
      }
    }
    for (const file of [this.oldLog, this.log]) {
      if (!existsSync(file)) continue
      found = true
      const text = readFileSync(file, 'utf8')
      if (file === this.log) this.logBytes = text.length
      for (const line of text.split('\n')) {
        const d = parse(line) as RuleDelta | null
        if (d !== null) this.apply(d)
      }
    }
    if (!found) return null
    const m = this.merged
    return {
      version: 1,
      units: [...m.units.values()].map((s) => JSON.parse(s) as RuleSnapshot['units'][number]),
      alerts: m.alerts,
      coverage: [...m.coverage].map(([zoneId, s]) => ({ zoneId, state: JSON.parse(s) as unknown })),
      responseRatios: m.responseRatios,
      zoneTimers: m.zoneTimers,
    }
  }

  /**
   * Queues one delta; it is written after the deltas saved before it, in one line with every delta
   * saved while it waits for the write in progress (mergeDeltas: the same effect). The delta must
   * not change afterwards (RuleEngine.takeDelta() hands over copies). The promise resolves once
   * the line is written (or its failure was reported to onError): it never rejects.
   */
  save(delta: RuleDelta): Promise<void> {
    // Not written yet (drain() takes a delta off the queue before writing it): this one joins it.
    const waiting = this.queue.at(-1)
    if (waiting !== undefined) {
      waiting.delta = mergeDeltas(waiting.delta, delta)
      return waiting.done
    }
    let written!: () => void
    const done = new Promise<void>((resolve) => (written = resolve))
    this.queue.push({ delta, done, written })
    this.writing ??= this.drain()
    return done
  }

  /** Waits until every saved delta is written and a running compaction is done. */
  async flush(): Promise<void> {
    await this.writing
    await this.compacting
  }

  private async drain(): Promise<void> {
    for (let q = this.queue.shift(); q !== undefined; q = this.queue.shift()) {
      try {
        await this.write(q.delta)
      } catch (err) {
        this.onError(err)
      }
      q.written()
    }
    this.writing = null
  }

  private async write(d: RuleDelta): Promise<void> {
    const units: string[] = []
    const slice = d.units.length <= ONE_STEP_UNITS ? ONE_STEP_UNITS : SLICE
    for (let i = 0; i < d.units.length; i += slice) {
      if (i > 0) await turn()
      this.saveSlices++
      for (const u of d.units.slice(i, i + slice)) {
        const s = JSON.stringify(u)
        this.merged.units.set(u.id, s)
        units.push(s)
      }
    }
    this.applyRest(d)
    const line = `{"units":[${units.join(',')}],${JSON.stringify({ ...d, units: undefined }).slice(1)}\n`
    if (line.length <= SYNC_APPEND_BYTES) appendFileSync(this.log, line, { mode: PRIVATE_FILE_MODE })
    else await appendFile(this.log, line, { mode: PRIVATE_FILE_MODE })
    this.logBytes += line.length
    if (this.compacting === null && this.logBytes > Math.max(this.compactBytes, this.baseBytes)) {
      this.compacting = this.compact().catch((err: unknown) => {
        this.compacting = null
        this.onError(err)
      })
    }
  }

  /** A delta read back by load(): its units, then the rest. */
  private apply(d: RuleDelta): void {
    for (const u of d.units) this.merged.units.set(u.id, JSON.stringify(u))
    this.applyRest(d)
  }

  /** Everything of a delta but its units (write() merges those as it serialises them). */
  private applyRest(d: RuleDelta): void {
    const m = this.merged
    for (const id of d.removed) m.units.delete(id)
    if (d.alerts !== null) m.alerts = d.alerts
    for (const c of d.coverage) m.coverage.set(c.zoneId, JSON.stringify(c.state))
    m.responseRatios = d.responseRatios
    m.zoneTimers = d.zoneTimers
  }

  /**
   * Rotates the log, then writes the merged state to a new base in slices, yielding between them.
   * Deltas saved meanwhile go to the fresh log, which load() replays after the base.
   */
  private async compact(): Promise<void> {
    renameSync(this.log, this.oldLog)
    this.logBytes = 0
    let bytes = 0
    await writePrivateFileAtomicAsync(this.base, async (fh) => {
      const m = this.merged
      const header = `${JSON.stringify({ version: 1, alerts: m.alerts, responseRatios: m.responseRatios, zoneTimers: m.zoneTimers })}\n`
      await fh.write(header)
      bytes += header.length
      const lines = (function* () {
        for (const [c, st] of m.coverage) yield `{"c":${JSON.stringify(c)},"s":${st}}`
        // A live iterator: entries changed between slices are also in the fresh log.
        for (const u of m.units.values()) yield `{"u":${u}}`
      })()
      let chunk: string[] = []
      for (const line of lines) {
        chunk.push(line)
        if (chunk.length < SLICE) continue
        bytes += await writeLines(fh, chunk)
        chunk = []
      }
      bytes += await writeLines(fh, chunk)
    })
    rmSync(this.oldLog, { force: true })
    this.baseBytes = bytes
    this.compactions++
    this.compacting = null
  }

}

/** One delta with the effect of `a` then `b` written as two lines (units first, then removals, per line). */
export function mergeDeltas(a: RuleDelta, b: RuleDelta): RuleDelta {
  const units = new Map(a.units.map((u) => [u.id, u]))
  for (const u of b.units) units.set(u.id, u)
  const again = new Set(b.units.map((u) => u.id))
  const removed = new Set(a.removed.filter((id) => !again.has(id)))
  for (const id of b.removed) removed.add(id)
  const coverage = new Map(a.coverage.map((c) => [c.zoneId, c]))
  for (const c of b.coverage) coverage.set(c.zoneId, c)
  return {
    units: [...units.values()],
    removed: [...removed],
    alerts: b.alerts ?? a.alerts,
    coverage: [...coverage.values()],
    responseRatios: b.responseRatios,
    zoneTimers: b.zoneTimers,
  }
}

async function writeLines(fh: FileHandle, lines: string[]): Promise<number> {
  if (lines.length === 0) return 0
  const text = `${lines.join('\n')}\n`
  await fh.write(text)
  return text.length
}

function parse(line: string): unknown {
  if (line === '') return null
  try {
    return JSON.parse(line) as unknown
  } catch {
    // A line cut short by power loss: skip it rather than refuse to start.
    return null
  }
}
