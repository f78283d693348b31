// The integrity stage as the engine runs it: every accepted fix (after validation, where the rules
// get it) goes to the detectors; each signal they close is journaled (the `integrity_signals`
// table), published as an `integrity.signal` event and kept in memory per unit for the map (the
// latest KEEP_PER_UNIT of each unit, MAX_UNITS units: bounded). The rule tick flushes every open
// stretch when the reports' local day changes (so a day's bulletin has the day's stationary
// share and the stretches still open at midnight), and so does the engine's stop. Pure apart from
// the callbacks: the composition root passes the journal and the publish path.
import type { Fix } from '../decode/fix.js'
import type { IntegrityDetector, IntegritySignal } from './signal.js'

/** Signals kept per unit for the API and the map (older ones are in ClickHouse). */
export const KEEP_PER_UNIT = 100
/** Units with kept signals; the one whose signals are oldest is forgotten beyond it. */
export const MAX_UNITS = 20_000

/** An `integrity.signal` event: the shape every outbound event has (src/delivery/outbound-event.ts). */
export interface IntegrityEvent {
  id: string
  type: 'integrity.signal'
  at: number
  data: Record<string, unknown>
  summary: string
  subject: string
}

export interface IntegrityStageDeps {
  /** The detectors (an IntegrityMonitor). */
  monitor: IntegrityDetector
  /** The local day (reports.timezone) of an engine time: a new day flushes the open stretches. */
  dayOf: (ts: number) => number
  /** Journals the signals (`integrity_signals` rows) before they are published. */
  journal: (signals: readonly IntegritySignal[]) => void | Promise<void>
  publish: (e: IntegrityEvent) => void
  /** The event's one-line summary in the configured locale. */
  summary: (s: IntegritySignal) => string
  /** The zone a unit patrols (units[].zone), for zone-filtered subscriptions and streams. */
  zoneOf?: (unitId: string) => string | undefined
  /** A journal append that failed: the signal is still published and kept. */
  onError?: (err: unknown, signals: readonly IntegritySignal[]) => void
}

/** A signal's event id: stable, so a replay or a retried delivery is recognised. */
export const signalId = (s: IntegritySignal): string => `integrity.${s.kind}.${s.unitId}.${s.from}`

export function integrityEvent(s: IntegritySignal, summary: string, zoneId?: string): IntegrityEvent {
  const data: Record<string, unknown> = { unitId: s.unitId, kind: s.kind, from: s.from, to: s.to, evidence: s.evidence }
  if (s.relatedUnitId !== undefined) data.relatedUnitId = s.relatedUnitId
  if (zoneId !== undefined) data.zoneId = zoneId
  return { id: signalId(s), type: 'integrity.signal', at: s.to, data, summary, subject: `unit:${s.unitId}` }
}

export class IntegrityStage {
  private readonly kept = new Map<string, IntegritySignal[]>()
  private day: number | null = null
  private pending: Promise<void> = Promise.resolve()

  constructor (private readonly d: IntegrityStageDeps) {}

  /** An accepted fix (fix-time order per unit, as the rules see them). */
  observe(fix: Fix): void {
    const out = this.d.monitor.observe(fix)
    if (out.length > 0) this.emit(out)
  }

  /** The rule tick: at the first tick of a new local day, every open stretch closes. */
  tick(at: number): void {
    const day = this.d.dayOf(at)
    if (this.day !== null && day !== this.day) this.flush()
    this.day = day
  }

  /** Closes every open stretch now (a new day, the engine's stop). */
  flush(): void {
    const out = this.d.monitor.flush()
    if (out.length > 0) this.emit(out)
  }

  /** Resolves when the signals emitted so far are journaled (and published). */
  idle(): Promise<void> {
    return this.pending
  }

  /** A unit's kept signals overlapping [from, to], newest first. */
  signals(unitId: string, from: number, to: number): IntegritySignal[] {
    return (this.kept.get(unitId) ?? []).filter((s) => s.to >= from && s.from <= to).reverse()
  }

  private emit(signals: IntegritySignal[]): void {
    for (const s of signals) this.keep(s)
    const publish = (): void => {
      for (const s of signals) this.d.publish(integrityEvent(s, this.d.summary(s), this.d.zoneOf?.(s.unitId)))
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

  private keep(s: IntegritySignal): void {
    let list = this.kept.get(s.unitId)
    if (list === undefined) {
      if (this.kept.size >= MAX_UNITS) this.kept.delete(this.kept.keys().next().value as string)
      list = []
    } else {
      this.kept.delete(s.unitId)
    }
    // Re-inserted: the map's order is the order of the units' latest signals.
    this.kept.set(s.unitId, list)
    list.push(s)
    if (list.length > KEEP_PER_UNIT) list.shift()
  }
}
