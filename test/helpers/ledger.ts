// Compares what was published with what ClickHouse holds, by (unit, seq): the only honest check of
// "none missing, none duplicated".
export interface LedgerDiff { missing: string[]; duplicated: string[]; unexpected: string[] }

export function compareLedger(published: Iterable<string>, stored: Iterable<string>): LedgerDiff {
  const want = new Set(published)
  const seen = new Map<string, number>()
  for (const k of stored) seen.set(k, (seen.get(k) ?? 0) + 1)
  const missing = [...want].filter((k) => !seen.has(k))
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([k]) => k)
  const unexpected = [...seen.keys()].filter((k) => !want.has(k))
  return { missing, duplicated, unexpected }
}

export function summary(d: LedgerDiff): string {
  return `missing ${d.missing.length} (e.g. ${d.missing.slice(0, 3).join(', ')}), duplicated ${d.duplicated.length} (e.g. ${d.duplicated.slice(0, 3).join(', ')}), unexpected ${d.unexpected.length}`
}
