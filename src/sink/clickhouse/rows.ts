// Maps engine records to ClickHouse rows (JSONEachRow objects) and packs them into journal
// records. A journal record is UTF-8 text, one row per line: `<table code>\t<JSON row>\n`, so the
// sink can group lines by table and send them on without parsing the JSON again.
import type { Fix, Reject } from '../../decode/fix.js'
import type { AlertEvent } from '../../rules/alert-event.js'
import { cellToDecimalString } from '../../geo/h3-index.js'

export const TABLE_CODES = { p: 'positions', r: 'rejects', a: 'alerts', c: 'coverage', z: 'coverage_zones' } as const
export type TableCode = keyof typeof TABLE_CODES
export type TableName = (typeof TABLE_CODES)[TableCode]

// Patrol fleets revisit the same cells all day: cache the UInt64 decimal form of each cell
// (a BigInt conversion otherwise paid per fix). Bounded: cleared when it grows past the limit.
const DECIMAL_CACHE_LIMIT = 200_000
const decimalCache = new Map<string, string>()
export function cellDecimal(cell: string): string {
  let d = decimalCache.get(cell)
  if (d === undefined) {
    if (decimalCache.size >= DECIMAL_CACHE_LIMIT) decimalCache.clear()
    d = cellToDecimalString(cell)
    decimalCache.set(cell, d)
  }
  return d
}

export function positionRow(f: Fix): string {
  // Hand-built for speed on the hot path; JSON.stringify on strings keeps it valid JSON.
  return `{"unit_id":${JSON.stringify(f.unitId)},"ts":${f.ts},"received_at":${f.receivedAt},"lat":${f.lat},"lon":${f.lon},"h3":"${cellDecimal(f.h3)}","speed":${f.speed},"heading":${f.heading},"accuracy":${f.accuracy},"altitude":${f.altitude},"battery":${f.battery},"seq":${f.seq},"source":"${f.source}","topic":${JSON.stringify(f.topic)},"flags":${f.flags}}`
}

export function rejectRow(r: Reject): string {
  return JSON.stringify({ received_at: r.receivedAt, topic: r.topic, unit_id: r.unitId, reason: r.reason, detail: r.detail, payload: r.payload })
}

export function alertRow(e: AlertEvent): string {
  return JSON.stringify({
    at: e.at,
    alert_id: e.alertId,
    event_id: e.eventId,
    kind: e.kind,
    state: e.state,
    subject: e.subject,
    opened_at: e.openedAt,
    unit_id: e.unitId ?? '',
    zone_id: e.zoneId ?? '',
    post_id: e.postId ?? '',
    lat: e.position?.lat ?? null,
    lon: e.position?.lon ?? null,
    ratio: e.ratio ?? null,
    summary: e.summary,
    data: JSON.stringify(e),
  })
}

export interface CoverageCellRow { zoneId: string; cell: string; lat: number; lon: number; lastVisit: number | null; fresh: boolean }
export function coverageRow(at: number, c: CoverageCellRow): string {
  return `{"snapshot_at":${at},"zone_id":${JSON.stringify(c.zoneId)},"cell":"${cellDecimal(c.cell)}","lat":${c.lat},"lon":${c.lon},"last_visit":${c.lastVisit},"fresh":${c.fresh ? 1 : 0}}`
}

export interface ZoneStatsRow { zoneId: string; ratio: number; fresh: number; cells: number; responseRatio: number | null; liveUnits: number }
export function zoneStatsRow(at: number, z: ZoneStatsRow): string {
  return JSON.stringify({ at, zone_id: z.zoneId, ratio: z.ratio, fresh: z.fresh, cells: z.cells, response_ratio: z.responseRatio, live_units: z.liveUnits })
}

/** Builds one journal record from rows of several tables. */
export class RecordBuilder {
  private parts: string[] = []
  add(code: TableCode, row: string): this {
    this.parts.push(code, '\t', row, '\n')
    return this
  }
  get empty(): boolean {
    return this.parts.length === 0
  }
  build(): Buffer {
    const buf = Buffer.from(this.parts.join(''), 'utf8')
    this.parts = []
    return buf
  }
}

/** Splits records into JSONEachRow bodies per table. Lines of unknown tables are returned apart. */
export function groupByTable(records: readonly Buffer[]): { tables: Map<TableName, string[]>; unknown: number } {
  const tables = new Map<TableName, string[]>()
  let unknown = 0
  for (const rec of records) {
    const text = rec.toString('utf8')
    let start = 0
    while (start < text.length) {
      let end = text.indexOf('\n', start)
      if (end === -1) end = text.length
      const line = text.slice(start, end)
      start = end + 1
      if (line.length < 3 || line[1] !== '\t') {
        if (line.length > 0) unknown++
        continue
      }
      const table = TABLE_CODES[line[0] as TableCode]
      if (table === undefined) {
        unknown++
        continue
      }
      let rows = tables.get(table)
      if (rows === undefined) tables.set(table, (rows = []))
      rows.push(line.slice(2))
    }
  }
  return { tables, unknown }
}

/** A journal record holding alert transitions (ticks and API actions). */
export function alertsRecord(events: readonly AlertEvent[]): Buffer {
  const b = new RecordBuilder()
  for (const e of events) b.add('a', alertRow(e))
  return b.build()
}
