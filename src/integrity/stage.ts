// The integrity stage as a single engine runs it: every accepted fix (after validation, where the
// rules get it) goes to the detection (detection.ts: the detectors and the signals kept per unit
// for the map); each signal they close is journaled (the `integrity_signals` table), then
// published as an `integrity.signal` event. The rule tick flushes every open
// stretch when the reports' local day changes (so a day's bulletin has the day's stationary
// share and the stretches still open at midnight), and so does the engine's stop. Pure apart from
// the callbacks: the composition root passes the journal and the publish path.
import type { Fix } from '../decode/fix.js'
import type { IntegritySignal } from './signal.js'
import { IntegrityDetection, type IntegrityDetectionDeps, type IntegrityEvent } from './detection.js'

export interface IntegrityStageDeps extends IntegrityDetectionDeps {
  /** Journals the signals (`integrity_signals` rows) before they are published. */
  journal: (signals: readonly IntegritySignal[]) => void | Promise<void>
  publish: (e: IntegrityEvent) => void
  /** A journal append that failed: the signal is still published and kept. */
  onError?: (err: unknown, signals: readonly IntegritySignal[]) => void
}

export class IntegrityStage {
  private readonly detection: IntegrityDetection
  private pending: Promise<void> = Promise.resolve()

  constructor (private readonly d: IntegrityStageDeps) {
    this.detection = new IntegrityDetection(d)
  }

  /** An accepted fix (fix-time order per unit, as the rules see them). */
  observe(fix: Fix): void {
    this.emit(this.detection.observe(fix))
  }

  /** The rule tick: at the first tick of a new local day, every open stretch closes. */
  tick(at: number): void {
    this.emit(this.detection.tick(at))
  }

  /** Closes every open stretch now (a new day, the engine's stop). */
  flush(): void {
    this.emit(this.detection.flush())
  }

  /** Resolves when the signals emitted so far are journaled (and published). */
  idle(): Promise<void> {
    return this.pending
  }

  /** A unit's kept signals overlapping [from, to], newest first. */
  signals(unitId: string, from: number, to: number): IntegritySignal[] {
    return this.detection.signals(unitId, from, to)
  }

  private emit(signals: IntegritySignal[]): void {
    if (signals.length === 0) return
    const publish = (): void => {
      for (const s of signals) this.d.publish(this.detection.event(s))
    }
    const failed = (err: unknown): void => this.d.onError?.(err, signals)
    let done: void | Promise<void>
    try {
      done = this.d.journal(signals)
    } catch (err) {
      failed(err)
      publish()
      return
    }
    if (done === undefined) {
      publish()
      return
    }
    // In order: a later batch is published after an earlier one.
    this.pending = this.pending.then(() => done).then(publish, (err: unknown) => {
      failed(err)
      publish()
    })
  }
}
