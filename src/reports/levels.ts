// The patrol level in force per zone over a period, rebuilt from the stored level changes (the
// audit rows of `zone.level`, each with its expiry) and the zone's base level: what a bulletin
// shows and what "time below min_ratio" is measured against. Pure.

export interface LevelChangeRow { at: number; zone_id: string; level: string; expires_ms: number | null }
export interface LevelSpan { level: string; from: number; to: number }

/** The level timeline of one zone clipped to [from, to): adjacent spans of the same level merged. */
export function levelSpans(base: string, changes: readonly LevelChangeRow[], period: { from: number; to: number }): LevelSpan[] {
  // Breakpoints (time, level): each change from its time, a return to base at its expiry.
  const points: Array<[number, string]> = [[-Infinity, base]]
  let expiry: number | null = null
  for (const c of [...changes].sort((a, b) => a.at - b.at)) {
    if (expiry !== null && expiry <= c.at) points.push([expiry, base])
    points.push([c.at, c.level])
    expiry = c.expires_ms
  }
  if (expiry !== null) points.push([expiry, base])
  const out: LevelSpan[] = []
  points.forEach(([at, level], i) => {
    const from = Math.max(at, period.from)
    const to = Math.min(points[i + 1]?.[0] ?? Infinity, period.to)
    if (to <= from) return
    const last = out[out.length - 1]
    if (last !== undefined && last.level === level) last.to = to
    else out.push({ level, from, to })
  })
  return out
}

/** The level in force at `at` on a timeline (the first span's before it, the last's after it; `none` on an empty one). */
export function levelAt(spans: readonly LevelSpan[], at: number, none: string): string {
  let level = spans[0]?.level ?? none
  for (const s of spans) if (s.from <= at) level = s.level
  return level
}
