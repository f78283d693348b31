// Slows password guessing against the embedded broker: failures are counted per client address;
// past a few, that address is refused outright (no password check, no CONNACK) for a back-off that
// doubles with every further failure, up to a ceiling. Failures are logged in aggregate (one line
// per interval with the worst addresses), never one line per guess. Pure state + an injected clock.

export interface ThrottleOptions {
  /** Failures allowed before the back-off starts. */
  freeFailures: number
  /** First back-off, doubled per further failure. */
  baseBackoffMs: number
  maxBackoffMs: number
  /** An address with no failure for this long starts afresh. */
  forgetAfterMs: number
  /** Addresses tracked at most (the oldest are forgotten first): memory stays bounded under a spray. */
  maxAddresses: number
  now?: () => number
}

interface Entry { failures: number; blockedUntil: number; last: number }

export interface ThrottleSummary {
  failures: number
  refused: number
  /** Worst addresses first. */
  addresses: Array<{ address: string; failures: number; refused: number }>
}

export class AuthThrottle {
  private readonly entries = new Map<string, Entry>()
  private readonly now: () => number
  private window = new Map<string, { failures: number; refused: number }>()

  constructor(private readonly opts: ThrottleOptions) {
    this.now = opts.now ?? Date.now
  }

  private entry(address: string): Entry | undefined {
    const e = this.entries.get(address)
    if (e !== undefined && this.now() - e.last > this.opts.forgetAfterMs && this.now() >= e.blockedUntil) {
      this.entries.delete(address)
      return undefined
    }
    return e
  }

  private tally(address: string, key: 'failures' | 'refused'): void {
    const k = this.window.has(address) || this.window.size < this.opts.maxAddresses ? address : '(other)'
    let w = this.window.get(k)
    if (w === undefined) this.window.set(k, (w = { failures: 0, refused: 0 }))
    w[key]++
  }

  /** Whether the address is in its back-off now (then refuse without checking anything); counted. */
  blocked(address: string): boolean {
    const e = this.entry(address)
    if (e === undefined || this.now() >= e.blockedUntil) return false
    this.tally(address, 'refused')
    return true
  }

  failed(address: string): void {
    const now = this.now()
    let e = this.entry(address)
    if (e === undefined) {
      if (this.entries.size >= this.opts.maxAddresses) this.entries.delete(this.entries.keys().next().value!)
      e = { failures: 0, blockedUntil: 0, last: now }
      this.entries.set(address, e)
    }
    e.failures++
    e.last = now
    const over = e.failures - this.opts.freeFailures
    if (over > 0) e.blockedUntil = now + Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** Math.min(30, over - 1))
    this.tally(address, 'failures')
  }

  succeeded(address: string): void {
    this.entries.delete(address)
  }

  /** Back-off left for the address, ms (0 when not blocked). */
  backoffMs(address: string): number {
    const e = this.entries.get(address)
    return e === undefined ? 0 : Math.max(0, e.blockedUntil - this.now())
  }

  /** What happened since the last call (for one aggregated log line), or null when nothing did. */
  drain(top = 5): ThrottleSummary | null {
    if (this.window.size === 0) return null
    const rows = [...this.window].map(([address, w]) => ({ address, ...w }))
    this.window = new Map()
    rows.sort((a, b) => b.failures + b.refused - (a.failures + a.refused))
    return {
      failures: rows.reduce((n, r) => n + r.failures, 0),
      refused: rows.reduce((n, r) => n + r.refused, 0),
      addresses: rows.slice(0, top),
    }
  }
}
