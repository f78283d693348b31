// Parses the durations the config accepts: `90s`, `30m`, `2h`, `1d`, `250ms`, or a bare number of seconds.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/

/** Returns milliseconds, or throws a message that says what a valid duration looks like. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new Error(`invalid duration ${value}: use a non-negative number of seconds`)
    return Math.round(value * 1000)
  }
  const m = PATTERN.exec(value)
  if (m === null) throw new Error(`invalid duration "${value}": use e.g. 90s, 30m, 2h, 1d, 250ms or a number of seconds`)
  return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 's']!)
}

/** The inverse, for messages and the docs: 90000 → "90s", 1800000 → "30m". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
