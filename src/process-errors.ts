// The process's policy for errors nobody handled. Request handlers (fastify's error handler: a
// coded 500 and an error log) and live-stream connections (their StreamWriter) contain their own
// errors, so those never get here. What still does is sorted: a client connection's error
// (EPIPE, ECONNRESET, a write after end, …) belongs to one socket and cannot have left engine
// state half-changed, so it is counted, logged and ignored: never fatal to ingestion. Anything
// else is a bug in a stage whose state is now unknown: logged as fatal, then the engine stops
// (bounded) and the process exits 1; the journal makes the restart lose nothing acknowledged.
import { telemetryEvent } from './telemetry/events.js'

/** Error codes that belong to one client connection, never to the engine's state. */
const CONNECTION_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNABORTED', 'ERR_STREAM_WRITE_AFTER_END', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_PREMATURE_CLOSE'])

export type UncaughtKind = 'connection' | 'fatal'

export function classifyUncaught(err: unknown): UncaughtKind {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && CONNECTION_CODES.has(code) ? 'connection' : 'fatal'
}

export interface ProcessErrorPolicyOptions {
  logger: { warn(obj: object, msg: string): void; fatal(obj: object, msg: string): void }
  /** hexpatrol_uncaught_connection_errors_total */
  counter: { inc(): void }
  /** Stops the engine and exits 1 (called once). */
  fatal(): void
  now?: () => number
  /** At most one log line per this period for connection errors (each is counted). Default 60 s. */
  logEveryMs?: number
}

/** The handler for process 'uncaughtException' and 'unhandledRejection'. */
export function processErrorHandler(o: ProcessErrorPolicyOptions): (err: unknown, origin: string) => void {
  const connectionError = telemetryEvent(o.logger, { counter: o.counter, level: 'warn', logEvery: { ms: o.logEveryMs ?? 60_000, now: o.now ?? Date.now },
    message: 'A client connection failed outside its handler; it is ignored and the engine carries on.' })
  let fatal = false
  return (err, origin) => {
    if (classifyUncaught(err) === 'connection') {
      connectionError({}, { err, origin })
      return
    }
    o.logger.fatal({ err, origin }, 'Unexpected error outside any handler: the engine stops (exit 1); everything acknowledged is in the journal.')
    if (fatal) return
    fatal = true
    o.fatal()
  }
}
