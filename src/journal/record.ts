// The journal record format, its one owner: builds records and reads them back. A record is UTF-8
// text, one row per line: `<table code>\t<JSON row>\n`, each row a ClickHouse JSONEachRow object of
// its table, pre-encoded on the hot path so the sink sends lines on without parsing them again.
// Only this module knows the layout: readers (the sink's table split, the re-delivery filter's
// seed, the lag probe, the unshipped-incidents read model) go through the functions below, never
// through string searches of their own. Besides fixes and what the rules derive from them, the
// operators' acknowledged state travels this way too: incidents (i), plan events (e), audit rows
// (u) and make-up patrol task events (t), so they are durable before the API answers and reach
// ClickHouse exactly once; and the patrol integrity signals (g), journaled before they are published.
import { latLngToCell } from 'h3-js'
import type { Fix, Reject } from '../decode/fix.js'
import type { AlertEvent } from '../rules/alert-event.js'
import type { OutboundEvent } from '../delivery/outbound-event.js'
import type { IncidentJournal, IncidentRecord } from '../incidents/incident-journal.js'
import { INCIDENT_CELL_RESOLUTION } from '../incidents/hotspots.js'
import { cellToDecimalString } from '../geo/h3-index.js'
import type { IntegritySignal } from '../integrity/signal.js'
import { signalId } from '../integrity/detection.js'

export const TABLE_CODES = {
  p: 'positions', r: 'rejects', a: 'alerts', c: 'coverage', z: 'coverage_zones',
  i: 'incidents', e: 'plan_events', u: 'audit', g: 'integrity_signals', t: 'patrol_tasks',
} as const
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
  // Hand-built for speed on the hot path; JSON.stringify on strings keeps it valid JSON. The
  // field order is part of the format: positionTs() reads `ts` right after `unit_id`.
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
    lat: e.position?.lat ?? e.checkpoint?.lat ?? null,
    lon: e.position?.lon ?? e.checkpoint?.lon ?? null,
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

export function incidentRow(r: IncidentRecord): string {
  return JSON.stringify({
    id: r.id,
    type: r.type,
    priority: r.priority,
    ts: r.ts,
    lat: r.lat,
    lon: r.lon,
    h3: cellToDecimalString(latLngToCell(r.lat, r.lon, INCIDENT_CELL_RESOLUTION)),
    zone_id: r.zone,
    address: r.address,
    description: r.description,
    source: r.source,
    created_at: r.createdAt,
  })
}

/** A plan event (activation, arrival, miss, completion, deactivation) as a `plan_events` row. */
export function planEventRow(e: OutboundEvent): string {
  const d = e.data as { activationId: string; planId: string; incidentId: string | null; checkpoint?: { name: string }; unitId?: string; elapsedMs?: number }
  return JSON.stringify({
    at: e.at,
    event_id: e.id,
    type: e.type,
    activation_id: d.activationId,
    plan_id: d.planId,
    incident_id: d.incidentId ?? '',
    checkpoint: d.checkpoint?.name ?? '',
    unit_id: d.unitId ?? '',
    elapsed_ms: d.elapsedMs ?? null,
    summary: e.summary,
    data: JSON.stringify(e.data),
  })
}

/** A patrol integrity signal (src/integrity/) as an `integrity_signals` row; `at` is when the engine closed it. */
export function integrityRow(at: number, s: IntegritySignal): string {
  return JSON.stringify({
    detected_at: at,
    event_id: signalId(s),
    unit_id: s.unitId,
    kind: s.kind,
    started_at: s.from,
    ended_at: s.to,
    related_unit_id: s.relatedUnitId ?? '',
    evidence: JSON.stringify(s.evidence),
  })
}

/** A make-up patrol task event (assigned, completed, expired, cancelled) as a `patrol_tasks` row. */
export function patrolTaskRow(e: OutboundEvent): string {
  const d = e.data as { taskId: string; zoneId: string; unitId: string; by: string; status: string; reason?: string; assignedAt: number; startedAt: number | null; endedAt: number | null; visited: number; total: number; etaS: number }
  return JSON.stringify({
    at: e.at,
    event_id: e.id,
    type: e.type,
    task_id: d.taskId,
    zone_id: d.zoneId,
    unit_id: d.unitId,
    by: d.by,
    status: d.status,
    reason: d.reason ?? '',
    assigned_at: d.assignedAt,
    started_at: d.startedAt,
    ended_at: d.endedAt,
    visited: d.visited,
    total: d.total,
    eta_s: d.etaS,
    summary: e.summary,
    data: JSON.stringify(e.data),
  })
}

/** The make-up patrol stage's journal: its task events as `patrol_tasks` rows, one record per call. */
export function patrolTaskJournal(append: (record: Buffer) => void | Promise<void>): (events: readonly OutboundEvent[]) => void | Promise<void> {
  return (events) => append(rowsRecord('t', events.map(patrolTaskRow)))
}

/** One state-changing API request, as the `audit` table keeps it (who, what, when, from where). */
export interface AuditEntry {
  /** Token name, or `anonymous` for a failed login. */
  actor: string
  /** What was done, e.g. `alert.acknowledge`, `POST /api/v1/webhooks`. */
  action: string
  /** The resource acted on (alert id, webhook id), '' when none. */
  target: string
  details: Record<string, unknown>
  /** Client address. */
  ip: string
}

export function auditRow(at: number, e: AuditEntry): string {
  return JSON.stringify({ at, actor: e.actor, action: e.action, target: e.target, ip: e.ip, details: JSON.stringify(e.details) })
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

/** A journal record of rows of one table (incidents, plan events, audit rows). */
export function rowsRecord(code: TableCode, rows: readonly string[]): Buffer {
  const b = new RecordBuilder()
  for (const row of rows) b.add(code, row)
  return b.build()
}

/** The incidents stage's journal: its incidents and plan events as records, each handed to `append`. */
export function incidentJournal(append: (record: Buffer) => void | Promise<void>): IncidentJournal {
  return {
    incidents: (rows) => append(rowsRecord('i', rows.map(incidentRow))),
    planEvents: (events) => append(rowsRecord('e', events.map(planEventRow))),
  }
}

/** Every incident row of the records, parsed back (damaged lines are skipped). */
export function * readIncidents(records: Iterable<Buffer>): Generator<IncidentRecord> {
  for (const rec of records) {
    // A tab is escaped inside JSON: a record without "i<tab>" holds no incident (the common case
    // of a segment of fixes, checked natively without decoding it).
    if (!rec.includes('i\t')) continue
    for (const line of rec.toString('utf8').split('\n')) {
      if (!line.startsWith('i\t')) continue
      let r: Record<string, unknown>
      try {
        r = JSON.parse(line.slice(2)) as Record<string, unknown>
      } catch {
        continue
      }
      if (typeof r.id !== 'string' || typeof r.ts !== 'number' || typeof r.lat !== 'number' || typeof r.lon !== 'number') continue
      yield {
        id: r.id,
        type: String(r.type),
        priority: Number(r.priority),
        ts: r.ts,
        lat: r.lat,
        lon: r.lon,
        zone: String(r.zone_id),
        address: String(r.address),
        description: String(r.description),
        source: String(r.source),
        createdAt: Number(r.created_at),
      }
    }
  }
}

/** The fields of a journaled position that identify the fix (see ingest/recent-fixes.ts). */
export interface PositionIdentity { unitId: string; ts: number; lat: number; lon: number }

/** Every position row of the records, parsed. Damaged lines are skipped (they cannot match a fix). */
export function * readPositions(records: Iterable<Buffer>): Generator<PositionIdentity> {
  for (const rec of records) {
    for (const line of rec.toString('utf8').split('\n')) {
      if (!line.startsWith('p\t')) continue
      let r: { unit_id?: unknown; ts?: unknown; lat?: unknown; lon?: unknown }
      try {
        r = JSON.parse(line.slice(2)) as typeof r
      } catch {
        continue
      }
      if (typeof r.unit_id === 'string' && typeof r.ts === 'number' && typeof r.lat === 'number' && typeof r.lon === 'number') {
        yield { unitId: r.unit_id, ts: r.ts, lat: r.lat, lon: r.lon }
      }
    }
  }
}

/**
 * The fix time (ms) of a position row as positionRow() wrote it, without parsing the JSON (the
 * shipper measures end-to-end lag on every row). NaN for a row not in that layout.
 */
export function positionTs(row: string): number {
  // `{"unit_id":"…","ts":<digits>,`: the unit id is JSON-encoded, so the first `","ts":` after its
  // opening quote closes it (a quote inside the id is escaped as \").
  const i = row.indexOf('","ts":')
  if (!row.startsWith('{"unit_id":"') || i < 0) return Number.NaN
  const start = i + 7
  const end = row.indexOf(',', start)
  return end < 0 ? Number.NaN : Number(row.slice(start, end))
}
