// Retry delays for the shipper: exponential with full jitter (AWS architecture blog), so many
// engines that lost ClickHouse at the same moment do not come back in lock-step.

/**
 * Delay before retry number `attempt` (1-based): uniform in [minMs, min(maxMs, minMs·2^attempt)].
 * Never below minMs (a floor keeps a dead sink from being hammered), never above maxMs.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 52))
  const r = Math.min(Math.max(random(), 0), 1)
  return Math.max(minMs, Math.round(minMs + r * (cap - minMs)))
}
