// Pure reductions of the small report inputs: a zone's coverage time series, priority cells'
// staleness, and alert spans clipped to the period. Every duration is clipped to [from, to).

export interface SeriesStats {
  samples: number
  mean: number | null
  min: number | null
  /** Time the ratio stood below the min_ratio in force at each sample: each sample stands until the next (at most capMs). */
  belowMinMs: number
  responseMean: number | null
  responseMin: number | null
}

const r4 = (x: number): number => Math.round(x * 10_000) / 10_000

export function seriesStats(samples: ReadonlyArray<{ at: number; ratio: number; response_ratio: number | null }>, minRatio: number | ((at: number) => number), period: { from: number; to: number }, capMs: number): SeriesStats {
  let sum = 0
  let min = Infinity
  let rSum = 0
  let rN = 0
  let rMin = Infinity
  let below = 0
  const minAt = typeof minRatio === 'number' ? () => minRatio : minRatio
  samples.forEach((s, i) => {
    sum += s.ratio
    min = Math.min(min, s.ratio)
    if (s.response_ratio !== null) {
      rSum += s.response_ratio
      rN++
      rMin = Math.min(rMin, s.response_ratio)
    }
    if (s.ratio < minAt(s.at)) {
      const next = samples[i + 1]?.at ?? period.to
      below += Math.max(0, Math.min(next, s.at + capMs, period.to) - Math.max(s.at, period.from))
    }
  })
  const n = samples.length
  return {
    samples: n,
    mean: n === 0 ? null : r4(sum / n),
    min: n === 0 ? null : r4(min),
    belowMinMs: below,
    responseMean: rN === 0 ? null : r4(rSum / rN),
    responseMin: rN === 0 ? null : r4(rMin),
  }
}

export interface PriorityFigures {
  cell: string
  name: string | null
  maxIntervalMs: number
  /** Longest time past max_interval without a visit, at any snapshot. */
  maxOverdueMs: number
  /** Time spent overdue (snapshot spacing, capped like the ratio series). */
  overdueMs: number
  /** Never visited in any snapshot of the period. */
  neverVisited: boolean
}

export function priorityFigures(cell: { cell: string; name: string | null; maxIntervalMs: number }, snaps: ReadonlyArray<[number, number | null]>, period: { from: number; to: number }, capMs: number): PriorityFigures {
  let maxOver = 0
  let over = 0
  let visited = false
  snaps.forEach(([at, last], i) => {
    if (last !== null) visited = true
    // Never visited since the engine started: count from the start of the period.
    const since = at - (last ?? period.from)
    const o = since - cell.maxIntervalMs
    if (o > 0) {
      maxOver = Math.max(maxOver, o)
      const next = snaps[i + 1]?.[0] ?? period.to
      over += Math.max(0, Math.min(next, at + capMs, period.to) - at)
    }
  })
  return { ...cell, maxOverdueMs: maxOver, overdueMs: over, neverVisited: snaps.length > 0 && !visited }
}

export interface SpanStats { count: number; totalMs: number; longestMs: number }
export const noSpans = (): SpanStats => ({ count: 0, totalMs: 0, longestMs: 0 })

/** Adds an alert's span (open until resolved, or until the period's end) to the stats. */
export function addSpan(s: SpanStats, openedAt: number, resolvedAt: number | null, period: { from: number; to: number }): void {
  const d = Math.max(0, Math.min(resolvedAt ?? period.to, period.to) - Math.max(openedAt, period.from))
  s.count++
  s.totalMs += d
  s.longestMs = Math.max(s.longestMs, d)
}

/** Union length of intervals inside [from, to). */
export function unionMs(intervals: ReadonlyArray<{ from: number; to: number }>, period: { from: number; to: number }): number {
  const xs = intervals.map((i) => ({ from: Math.max(i.from, period.from), to: Math.min(i.to, period.to) })).filter((i) => i.to > i.from).sort((a, b) => a.from - b.from)
  let total = 0
  let end = -Infinity
  for (const i of xs) {
    if (i.to <= end) continue
    total += i.to - Math.max(i.from, end)
    end = i.to
  }
  return total
}
