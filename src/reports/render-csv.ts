// CSV (RFC 4180) of a report's tables: one row per unit, zone, post, stop, trip, route point or
// event. Nested figures are flattened to dotted column names. Cells that a spreadsheet would run
// as a formula (=, +, -, @ first) are prefixed with a quote. The header row is in the configured
// locale (Chinese names the report's own keys; English keeps the JSON keys).
import { reportTexts } from '../i18n/report-texts.js'
import type { Locale } from '../i18n/locale.js'
type Flat = Record<string, string | number | boolean | null>

export function flatten(x: Record<string, unknown>, prefix = '', out: Flat = {}): Flat {
  for (const [k, v] of Object.entries(x)) {
    const key = prefix === '' ? k : `${prefix}.${k}`
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out)
    else if (Array.isArray(v)) out[key] = v.every((e) => typeof e !== 'object' || e === null) ? v.join(' ') : v.length
    else out[key] = v as string | number | boolean | null
  }
  return out
}

function cell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return ''
  let s = String(v)
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function toCsv(rows: ReadonlyArray<Record<string, unknown>>, locale: Locale = 'en'): string {
  const header = reportTexts(locale, 'UTC').csvHeader
  const flat = rows.map((r) => flatten(r))
  const cols: string[] = []
  const seen = new Set<string>()
  for (const r of flat) {
    for (const k of Object.keys(r)) {
      if (seen.has(k)) continue
      cols.push(k)
      seen.add(k)
    }
  }
  const lines = [cols.map((c) => cell(header(c))).join(',')]
  for (const r of flat) lines.push(cols.map((c) => cell(r[c])).join(','))
  return `${lines.join('\r\n')}\r\n`
}
