// Named telemetry events (Vector's internal events): one call logs one structured line (pino) and
// increments one counter (prom-client) with the same labels, so logs and metrics never disagree.
// An event is defined once (counter, level, message, the labels it fixes) and emitted with the rest.
// A noisy event may log at most once per interval (every emit still counts, and the line says how
// many went unlogged); a component built without a logger or a registry passes undefined for it.
import type { Counter } from 'prom-client'

export type EventLevel = 'debug' | 'info' | 'warn' | 'error'

/** What an event logs with: pino's Logger, a child of it, or a test double with the levels used. */
export type EventLogger<V extends EventLevel> = Readonly<Record<V, (obj: object, msg: string) => void>>

export interface EventSpec<L extends string, F extends L, V extends EventLevel = EventLevel> {
  /** undefined: the event only logs (its component was built without a registry). */
  counter: Pick<Counter<L>, 'inc'> | undefined
  level: V
  /** The log message; an emit may give its own (e.g. an alert's summary). */
  message: string
  /** Labels the event itself fixes, e.g. `{ outcome: 'delivered' }`. */
  fixed?: Readonly<Record<F, string>>
  /** Counts by this (numeric) field of each emit instead of by 1, e.g. the records a line reports. */
  amountField?: string
  /**
   * Logs at most once per `ms` of `now` (the first emit logs; Infinity: only the first), each line
   * with `sinceLastLog`, the emits counted but not logged since the previous line.
   */
  logEvery?: { ms: number; now: () => number }
}

/**
 * Counts once with `labels` (plus the fixed ones) and logs one line carrying the same labels and
 * `fields`; a field never overrides a label, so the log says exactly what was counted.
 */
export type TelemetryEvent<L extends string, F extends L> =
  (labels: Readonly<Record<Exclude<L, F>, string>>, fields?: Readonly<Record<string, unknown>>, message?: string) => void

export function telemetryEvent<L extends string, F extends L = never, V extends EventLevel = EventLevel>(logger: EventLogger<V> | undefined, spec: EventSpec<L, F, V>): TelemetryEvent<L, F> {
  const { counter, level, message: defaultMessage, fixed, amountField, logEvery } = spec
  let loggedAt = -Infinity
  let unlogged = 0
  return (labels, fields = {}, message = defaultMessage) => {
    const all = { ...labels, ...fixed } as Record<L, string>
    const amount = amountField === undefined ? 1 : fields[amountField]
    if (typeof amount !== 'number') throw new TypeError(`The telemetry event "${defaultMessage}" counts by its field ${amountField}: give it a number.`)
    counter?.inc(all, amount)
    if (logger === undefined) return
    const line: Record<string, unknown> = { ...fields, ...all }
    if (logEvery !== undefined) {
      const t = logEvery.now()
      if (t - loggedAt < logEvery.ms) {
        unlogged++
        return
      }
      loggedAt = t
      line.sinceLastLog = unlogged
      unlogged = 0
    }
    logger[level](line, message)
  }
}
