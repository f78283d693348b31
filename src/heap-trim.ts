// Gives the JavaScript heap's unused memory back to the system. Since Node 22 (V8 12), the pages a
// garbage collection frees stay mapped and resident in a pool for reuse; V8 gives them back (and
// shrinks its young generation to the minimum) only in a memory-reducing collection: under memory
// pressure, or from V8's memory reducer, which waits for a low allocation rate that an engine
// taking fixes all day never shows. Without one, the engine's resident memory stays at the heap's
// high-water mark (a start-up backlog, a terminal flushing a tunnel's fixes, a day's archive) for
// the rest of its life. So, at most once an hour, when the heap holds at least 256 MiB more than it
// uses, the engine runs one: a pause of a tenth to a third of a second at a district's size
// (bench/soak.ts, 300 units: 129–316 ms, resident memory 702 → 315 MB; 5,000 units after a day:
// 538 ms, 1,613 → 815 MB), growing with the heap in use. docs/operations.md, "Days of uptime".
import { getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

export interface HeapSample {
  /** V8's committed heap in use by its spaces (getHeapStatistics().total_physical_size). */
  physical: number
  /** Bytes of live and not yet collected objects (used_heap_size). */
  used: number
}

export interface HeapTrimOptions {
  /** Least memory the heap must hold beyond its use (its pool included) before a trim is worth its pause. */
  minReclaimBytes: number
  /** Least wall time between two trims. */
  minIntervalMs: number
}

export const HEAP_TRIM_DEFAULTS: HeapTrimOptions = { minReclaimBytes: 256 * 1024 * 1024, minIntervalMs: 3_600_000 }

/**
 * When to trim, from samples of the heap. The pool is not visible from JavaScript: its pages were
 * committed once, so the highest committed size since the last trim, less what is used now,
 * bounds what a trim gives back (samples miss peaks between them, so it errs low).
 */
export class HeapTrimPolicy {
  private peak = 0
  private last: number

  constructor(private readonly o: HeapTrimOptions, startedAt: number) {
    this.last = startedAt
  }

  /** Records a sample; true when a trim is due now. */
  due(s: HeapSample, now: number): boolean {
    if (s.physical > this.peak) this.peak = s.physical
    return now - this.last >= this.o.minIntervalMs && this.peak - s.used >= this.o.minReclaimBytes
  }

  /** After a trim: the heap as it left it. */
  trimmed(s: HeapSample, now: number): void {
    this.peak = s.physical
    this.last = now
  }
}

/** V8's gc extension: a full collection without options, a memory-reducing one with `flavor: 'last-resort'`. */
export type Gc = (o?: { type: 'major'; execution: 'sync'; flavor: 'regular' | 'last-resort' }) => void

let gcFunction: Gc | undefined
/**
 * V8's gc extension, installed for new contexts once (the same as starting Node with --expose-gc,
 * without its global `gc` in the engine's own context). Its last-resort flavour is the
 * memory-reducing collection.
 */
export function v8Gc(): Gc {
  if (gcFunction === undefined) {
    setFlagsFromString('--expose-gc')
    gcFunction = runInNewContext('gc') as Gc
  }
  return gcFunction
}

export interface TrimResult { pauseMs: number; rssBefore: number; rssAfter: number }

/** Runs one memory-reducing collection and says what it cost and gave back (resident set size). */
export function trimHeap(gc: Gc = v8Gc()): TrimResult {
  const rssBefore = process.memoryUsage.rss()
  const t0 = performance.now()
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })
  const pauseMs = performance.now() - t0
  return { pauseMs, rssBefore, rssAfter: process.memoryUsage.rss() }
}

export function heapSample(): HeapSample {
  const h = getHeapStatistics()
  return { physical: h.total_physical_size, used: h.used_heap_size }
}

export interface HeapTrimmerDeps {
  logger: { info(o: object, msg: string): void }
  /** Seconds each trim paused the engine (a histogram: its count is the trims). */
  observePause(seconds: number): void
  options?: HeapTrimOptions
  /** Wall clock: memory is the machine's, whatever clock the rules follow. */
  now?: () => number
  sample?: () => HeapSample
  trim?: () => TrimResult
}

/** Checks the heap when called (the engine calls it each minute) and trims it when the policy says so. */
export class HeapTrimmer {
  private readonly policy: HeapTrimPolicy
  private readonly now: () => number
  private readonly sample: () => HeapSample
  private readonly trim: () => TrimResult

  constructor(private readonly d: HeapTrimmerDeps) {
    this.now = d.now ?? Date.now
    this.sample = d.sample ?? heapSample
    this.trim = d.trim ?? (() => trimHeap())
    this.policy = new HeapTrimPolicy(d.options ?? HEAP_TRIM_DEFAULTS, this.now())
  }

  /** True when it trimmed. */
  check(): boolean {
    if (!this.policy.due(this.sample(), this.now())) return false
    const r = this.trim()
    this.policy.trimmed(this.sample(), this.now())
    this.d.observePause(r.pauseMs / 1000)
    const mb = (b: number) => Math.round(b / 1048576)
    this.d.logger.info({ component: 'memory', pauseMs: Math.round(r.pauseMs), residentMbBefore: mb(r.rssBefore), residentMbAfter: mb(r.rssAfter) }, 'Gave the heap\'s unused memory back to the system (one memory-reducing garbage collection).')
    return true
  }
}
