// Minute buckets of stored fixes exactly as the bulletin query (src/store/clickhouse/report-queries.ts) builds
// them: the USABLE filter (accuracy ≤ max_accuracy_m or unknown, not (0,0)), fix count, first and
// last fix time, median position and accuracy (-1: none reported). For the track filter's realism
// tests and bench/track-filter.ts, which run analyseTrack without ClickHouse.
import type { Fix } from '../../src/decode/fix.js'
import type { Bucket } from '../../src/reports/track.js'

/** ClickHouse's medianExact: the element at ⌊n/2⌋ of the sorted values. */
const med = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1] as number

export function bucketsOf(fixes: readonly Fix[], maxAccuracyM = 100): Bucket[] {
  const by = new Map<number, Fix[]>()
  for (const f of fixes) {
    if (f.accuracy !== null && f.accuracy > maxAccuracyM) continue
    if (f.lat === 0 && f.lon === 0) continue
    const m = Math.floor(f.ts / 60_000)
    const list = by.get(m)
    if (list === undefined) by.set(m, [f])
    else list.push(f)
  }
  return [...by.entries()].sort((a, b) => a[0] - b[0]).map(([m, fs]) => {
    const acc = fs.map((f) => f.accuracy).filter((a): a is number => a !== null)
    return [m * 60_000, fs.length, Math.min(...fs.map((f) => f.ts)), Math.max(...fs.map((f) => f.ts)), med(fs.map((f) => f.lat)), med(fs.map((f) => f.lon)), acc.length === 0 ? -1 : med(acc)]
  })
}
