// Patrol integrity without I/O: the detectors fed every accepted fix, the day change that closes
// every open stretch, and the latest signals of each unit kept for the API and the map (the latest
// KEEP_PER_UNIT of each unit, MAX_UNITS units: bounded). The single engine's stage (stage.ts)
// journals and publishes what it returns; in cluster mode every engine's replica runs one on the
// log's one order, so each holds the same signals, and the unit's partition owner carries them out
// (src/cluster/replica.ts). Pure: the same fixes and ticks give the same signals.
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

/** A signal's event id: stable, so a replay or a retried delivery is recognised. */
export const signalId = (s: IntegritySignal): string => `integrity.${s.kind}.${s.unitId}.${s.from}`

export function integrityEvent(s: IntegritySignal, summary: string, zoneId?: string): IntegrityEvent {
  const data: Record<string, unknown> = { unitId: s.unitId, kind: s.kind, from: s.from, to: s.to, evidence: s.evidence }
  if (s.relatedUnitId !== undefined) data.relatedUnitId = s.relatedUnitId
  if (zoneId !== undefined) data.zoneId = zoneId
  return { id: signalId(s), type: 'integrity.signal', at: s.to, data, summary, subject: `unit:${s.unitId}` }
}

export interface IntegrityDetectionDeps {
  /** The detectors (an IntegrityMonitor). */
  monitor: IntegrityDetector
  /** The local day (reports.timezone) of an engine time: a new day flushes the open stretches. */
  dayOf: (ts: number) => number
  /** The event's one-line summary in the configured locale. */
  summary: (s: IntegritySignal) => string
  /** The zone a unit patrols (units[].zone), for zone-filtered subscriptions and streams. */
  zoneOf?: (unitId: string) => string | undefined
}

export class IntegrityDetection {
  private readonly kept = new Map<string, IntegritySignal[]>()
  private day: number | null = null

  constructor (private readonly d: IntegrityDetectionDeps) {}

  /** An accepted fix (fix-time order per unit, as the rules see them): the signals it closed. */
  observe(fix: Fix): IntegritySignal[] {
    return this.keepAll(this.d.monitor.observe(fix))
  }

  /** The rule tick: at the first tick of a new local day, every open stretch closes. */
  tick(at: number): IntegritySignal[] {
    const day = this.d.dayOf(at)
    const changed = this.day !== null && day !== this.day
    this.day = day
    return changed ? this.flush() : []
  }

  /** Closes every open stretch now (a new day, a single engine's stop). */
  flush(): IntegritySignal[] {
    return this.keepAll(this.d.monitor.flush())
  }

  /** The signal as an `integrity.signal` event. */
  event(s: IntegritySignal): IntegrityEvent {
    return integrityEvent(s, this.d.summary(s), this.d.zoneOf?.(s.unitId))
  }

  /** A unit's kept signals overlapping [from, to], newest first. */
  signals(unitId: string, from: number, to: number): IntegritySignal[] {
    return (this.kept.get(unitId) ?? []).filter((s) => s.to >= from && s.from <= to).reverse()
  }

  private keepAll(signals: IntegritySignal[]): IntegritySignal[] {
    for (const s of signals) this.keep(s)
    return signals
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
