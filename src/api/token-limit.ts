// Requests per token per fixed window (after authentication; @fastify/rate-limit throttles per IP
// before it, and runs only one limiter per request). Memory is one entry per token name.
export class TokenLimit {
  private readonly windows = new Map<string, { resetAt: number; count: number }>()

  constructor(private readonly max: number, private readonly windowMs: number, private readonly now: () => number) {}

  /** Counts a request; returns the seconds to wait when over the limit, else null. */
  take(name: string): number | null {
    const now = this.now()
    let w = this.windows.get(name)
    if (w === undefined || w.resetAt <= now) this.windows.set(name, (w = { resetAt: now + this.windowMs, count: 0 }))
    if (++w.count <= this.max) return null
    return Math.ceil((w.resetAt - now) / 1000)
  }
}
