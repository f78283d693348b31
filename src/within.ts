// Bounds how long a caller waits for a promise it cannot cancel (a NATS request during an outage
// waits its whole client timeout, longer than a probe or a stalled read may): `within` settles as
// the promise does, or rejects with the error `onTimeout` makes after `ms`. The timer is cleared
// either way and unref'd, so it never holds the process up; a late outcome is ignored.

export class TimedOutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`)
    this.name = 'TimedOutError'
  }
}

export function within<T>(p: Promise<T>, ms: number, onTimeout: () => Error = () => new TimedOutError('the operation', ms)): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms)
    timer.unref()
  })
  // A rejection of `p` after the timeout is not unhandled: the caller has moved on.
  p.catch(() => undefined)
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}
