// Opening cluster mode when NATS is not there yet: engines and NATS servers are often started
// together (a compose stack, a machine's boot), and an engine that exits at once on "JetStream did
// not answer" leaves the start-up to a restart policy. `retryOpen` tries again after a pause while
// the failure is a LogUnavailableError and the bound has not passed, telling the caller each time
// (the engine logs it); any other error (a wrong partition count, a bug) is thrown at once, and so
// is the last unavailability once the bound is reached. Clocked and pure apart from `open`.
import { LogUnavailableError } from '../log/log-errors.js'

export interface RetryOpenOptions {
  /** Give up after this long (default 60 s); 0 tries once. */
  boundMs?: number
  /** Pause between attempts (default 2 s). */
  pauseMs?: number
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  /** Told about each failure that is tried again (attempt number from 1, the error, the pause). */
  onRetry?: (attempt: number, err: LogUnavailableError, pauseMs: number) => void
}

export async function retryOpen<T>(open: () => Promise<T>, o: RetryOpenOptions = {}): Promise<T> {
  const now = o.now ?? Date.now
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const pause = o.pauseMs ?? 2000
  const until = now() + (o.boundMs ?? 60_000)
  for (let attempt = 1; ; attempt++) {
    try {
      return await open()
    } catch (err) {
      if (!(err instanceof LogUnavailableError) || now() + pause > until) throw err
      o.onRetry?.(attempt, err, pause)
      await sleep(pause)
    }
  }
}
