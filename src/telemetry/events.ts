// Named telemetry events (Vector's internal events): one call logs one structured line (pino) and
// increments one counter (prom-client) with the same labels, so logs and metrics never disagree.
// An event is defined once (counter, level, message, the labels it fixes) and emitted with the rest.
import type { Logger } from 'pino'
import type { Counter } from 'prom-client'

export type EventLevel = 'debug' | 'info' | 'warn' | 'error'

export interface EventSpec<L extends string, F extends L> {
  counter: Counter<L>
  level: EventLevel
  /** The log message; an emit may give its own (e.g. an alert's summary). */
  message: string
  /** Labels the event itself fixes, e.g. `{ outcome: 'delivered' }`. */
  fixed?: Readonly<Record<F, string>>
}

/**
 * Counts once with `labels` (plus the fixed ones) and logs one line carrying the same labels and
 * `fields`; a field never overrides a label, so the log says exactly what was counted.
 */
export type TelemetryEvent<L extends string, F extends L> =
  (labels: Readonly<Record<Exclude<L, F>, string>>, fields?: Readonly<Record<string, unknown>>, message?: string) => void

export function telemetryEvent<L extends string, F extends L = never>(logger: Logger, spec: EventSpec<L, F>): TelemetryEvent<L, F> {
  const { counter, level, message: defaultMessage, fixed } = spec
  return (labels, fields = {}, message = defaultMessage) => {
    const all = { ...labels, ...fixed } as Record<L, string>
    counter.inc(all)
    const line: Record<string, unknown> = { ...fields, ...all }
    logger[level](line, message)
  }
}
