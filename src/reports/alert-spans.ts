// Alert spans summed per subject: coverage and response gaps per zone, every other kind per unit,
// each clipped to the period; an alert still open counts until `openUntil`. Pure.
import { addSpan, noSpans, type SpanStats } from './aggregate.js'
import type { AlertSpanRow } from './report-queries.js'
import type { Interval } from './track.js'

/** The spans of one alert kind for one subject (a zone id for the gap kinds, a unit id otherwise); none: zeros. */
export type SpanLookup = (kind: string, subject: string) => SpanStats

const ZONE_KINDS = new Set(['coverage_gap', 'response_gap'])

export function alertSpanTotals(rows: readonly AlertSpanRow[], period: Interval, openUntil: number): SpanLookup {
  const by = new Map<string, SpanStats>()
  for (const a of rows) {
    const key = `${a.k}\n${ZONE_KINDS.has(a.k) ? a.zone : a.unit}`
    let x = by.get(key)
    if (x === undefined) by.set(key, (x = noSpans()))
    addSpan(x, a.opened_ms, a.resolved_ms ?? openUntil, period)
  }
  return (kind, subject) => by.get(`${kind}\n${subject}`) ?? noSpans()
}
