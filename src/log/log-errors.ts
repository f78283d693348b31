// The log's errors. LogUnavailableError is retriable: nothing was acknowledged, the device keeps
// the fix and re-sends it (its dedup id makes the re-send safe). LogClosedError is misuse during
// shutdown. Their codes are in the HEXP_ERR_ catalogue (src/errors.ts, docs/errors.md);
// /readyz shows HEXP_ERR_LOG_UNAVAILABLE while NATS does not answer.

export class LogUnavailableError extends Error {
  readonly code = 'HEXP_ERR_LOG_UNAVAILABLE'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'LogUnavailableError'
  }
}

export class LogClosedError extends Error {
  readonly code = 'HEXP_ERR_LOG_CLOSED'
  constructor(what: string) {
    super(`${what}: the log is closed (the engine is stopping); nothing was appended or read`)
    this.name = 'LogClosedError'
  }
}
