// When the rule timers run: the rule tick (silence, coverage, response coverage, release of held
// fixes) every rules.tick and a coverage snapshot every rules.coverage_snapshot_interval. Pure and
// clocked: the caller says what time it is (one timer in the engine, a fake clock in tests) and
// receives the outcomes through callbacks; nothing here does I/O or owns a timer.
import type { AlertEvent } from './alert-event.js'

export interface Ticker {
  tick(now: number): AlertEvent[]
}

export interface RuleSchedulerDeps {
  rules: Ticker
  tickMs: number
  snapshotMs: number
  /** Transitions a tick produced: journal them, then deliver (and persist the state). */
  emit(events: AlertEvent[]): void
  /** A tick without transitions: persist the state anyway (positions and coverage moved). */
  persist(): void
  /** A coverage snapshot is due. */
  snapshot(now: number): void
  /** After every tick, with its duration (metrics, gauges). */
  ticked?(now: number, seconds: number): void
  /** Monotonic clock for the tick duration (default performance.now). */
  elapsedMs?: () => number
}

export class RuleScheduler {
  private readonly deps: RuleSchedulerDeps
  private readonly elapsedMs: () => number
  private nextTick: number
  private nextSnapshot: number

  constructor(deps: RuleSchedulerDeps, startedAt: number) {
    this.deps = deps
    this.elapsedMs = deps.elapsedMs ?? (() => performance.now())
    this.nextTick = startedAt + deps.tickMs
    this.nextSnapshot = startedAt + deps.snapshotMs
  }

  /** How often beat() should be called so neither job runs late by more than this. */
  get periodMs(): number {
    return Math.max(1, Math.min(this.deps.tickMs, this.deps.snapshotMs))
  }

  /** Runs whatever is due at `now`; a job that fell behind runs once, not once per missed period. */
  beat(now: number): void {
    if (now >= this.nextTick) {
      this.nextTick = now + this.deps.tickMs
      this.tick(now)
    }
    if (now >= this.nextSnapshot) {
      this.nextSnapshot = now + this.deps.snapshotMs
      this.deps.snapshot(now)
    }
  }

  /** Runs one rule tick now (also the final tick at shutdown). */
  tick(now: number): void {
    const started = this.elapsedMs()
    const events = this.deps.rules.tick(now)
    const seconds = (this.elapsedMs() - started) / 1000
    if (events.length > 0) this.deps.emit(events)
    else this.deps.persist()
    this.deps.ticked?.(now, seconds)
  }
}
