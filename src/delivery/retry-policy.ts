// When to try a failed delivery again: the configured schedule (last step repeating) with ±10 %
// jitter, Retry-After honoured on 429/503 when it asks for longer, never past the horizon.
// Pure: times are epoch ms passed in.

export interface RetryPolicy {
  /** Delays in ms; schedule[0] is before the first attempt, schedule[n] after the n-th failure. */
  schedule: readonly number[]
  horizonMs: number
  /** 0..1, e.g. Math.random. */
  random: () => number
  jitter?: number
}

/** Seconds or an HTTP date → ms from `now`; null when absent or unparseable. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null
  const v = value.trim()
  if (/^\d+$/.test(v)) return Number(v) * 1000
  const t = Date.parse(v)
  return Number.isNaN(t) ? null : Math.max(0, t - now)
}

export function jittered(ms: number, random: () => number, jitter = 0.1): number {
  return Math.max(0, Math.round(ms * (1 + (random() * 2 - 1) * jitter)))
}

/** Delay before the first attempt (schedule[0], usually 0). */
export function firstDelay(p: RetryPolicy): number {
  return jittered(p.schedule[0] ?? 0, p.random, p.jitter)
}

export type NextStep = { retryAt: number } | { dead: true }

/**
 * After the `attempts`-th failed attempt at `now`: the time of the next attempt, or dead when the
 * horizon (counted from the first attempt) has passed. The last attempt is placed at the horizon.
 */
export function nextAttempt(p: RetryPolicy, attempts: number, firstAttemptAt: number, now: number, retryAfterMs: number | null): NextStep {
  const deadline = firstAttemptAt + p.horizonMs
  if (now >= deadline) return { dead: true }
  const step = p.schedule[Math.min(attempts, p.schedule.length - 1)] ?? 0
  let delay = jittered(step, p.random, p.jitter)
  if (retryAfterMs !== null && retryAfterMs > delay) delay = retryAfterMs
  return { retryAt: Math.min(now + delay, deadline) }
}
