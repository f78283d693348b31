// Every SQL statement of the reports stage, in one place: its ReportQueries (src/reports/report-queries.ts).
// All user input reaches ClickHouse as typed query parameters ({name:Type}); only the database name
// (validated by the config schema against ^[A-Za-z_][A-Za-z0-9_]*$) is spliced in. Plain SQL that runs on embedded chdb and on
// ClickHouse server >= 24 (no experimental settings, no analyzer-only syntax).
import type { ClickHouseClient } from '@clickhouse/client'
import type { Bucket } from '../../reports/track.js'
import type {
  AlertSpanRow, BulletinListing, BulletinRow, CellFreshness, CellSnapshots, EventRow, IntegritySignalRow, LevelChangeRowDb, PatrolTaskRow, PlanEventRow,
  ReportQueries, RoutePoint, UnitBuckets, ZoneSample,
} from '../../reports/report-queries.js'
import { ClickHouseIncidentStore } from './incidents.js'

export interface Db { client: ClickHouseClient; database: string }

/** Numbers, not strings, for Int64/UInt64 results. */
const SETTINGS = { output_format_json_quote_64bit_integers: 0 } as const

async function rows<T>(db: Db, query: string, params: Record<string, unknown>): Promise<T[]> {
  const rs = await db.client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: SETTINGS })
  return rs.json<T>()
}

/** What a report may use: unflagged, accurate enough, not the (0,0) of a receiver without a fix. */
const USABLE = `flags = 0 AND (accuracy IS NULL OR accuracy <= {maxAcc:Float64}) AND NOT (lat = 0 AND lon = 0)`
const RANGE = `ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts < fromUnixTimestamp64Milli({to:Int64})`

/**
 * One pass over `positions` for every per-unit figure: fixes per unit and minute (count, first
 * and last fix time, median position and accuracy) and the distinct H3 cells (ingest resolution) of the
 * period [cellsFrom, cellsTo) (the bucket range is padded). The median of a minute's fixes drops single
 * outliers; a day comes back as ~1,440 buckets a unit. The result travels column-wise and compact
 * (minute index, fix times as offsets within their minute): at the brief's volume (2.6 M fixes,
 * 432,000 buckets) shipping and parsing the rows was the bulk of the bulletin's time, not the scan.
 */
export async function unitBuckets(db: Db, p: { from: number; to: number; cellsFrom: number; cellsTo: number; maxAccuracyM: number; units?: string[] }): Promise<UnitBuckets[]> {
  const rs = await db.client.query({
    query: `
    SELECT unit_id, groupArray(m) AS m, groupArray(n) AS n, groupArray(d0) AS d0, groupArray(d1) AS d1,
           groupArray(mlat) AS mlat, groupArray(mlon) AS mlon, groupArray(macc) AS macc, uniqExactIfMerge(c) AS cells
    FROM (
      SELECT unit_id, intDiv(toUnixTimestamp64Milli(ts), 60000) AS m, toUInt32(count()) AS n,
             toUInt32(toUnixTimestamp64Milli(min(ts)) - m * 60000) AS d0, toUInt32(toUnixTimestamp64Milli(max(ts)) - m * 60000) AS d1,
             medianExact(lat) AS mlat, medianExact(lon) AS mlon,
             -- -1: no fix of the minute reported an accuracy (groupArray would skip a NULL and misalign the arrays)
             toFloat32(ifNull(medianExact(accuracy), -1)) AS macc,
             uniqExactIfState(h3, ts >= fromUnixTimestamp64Milli({cellsFrom:Int64}) AND ts < fromUnixTimestamp64Milli({cellsTo:Int64})) AS c
      FROM ${db.database}.positions
      WHERE ${RANGE} AND ${USABLE} ${p.units === undefined ? '' : 'AND unit_id IN {units:Array(String)}'}
      GROUP BY unit_id, m
    )
    GROUP BY unit_id ORDER BY unit_id`,
    query_params: { from: p.from, to: p.to, cellsFrom: p.cellsFrom, cellsTo: p.cellsTo, maxAcc: p.maxAccuracyM, units: p.units ?? [] },
    format: 'JSONCompactEachRow',
    clickhouse_settings: SETTINGS,
  })
  const r = await rs.json<[string, number[], number[], number[], number[], number[], number[], number[], number]>()
  return r.map(([unitId, m, n, d0, d1, lat, lon, acc, cells]) => ({
    unitId,
    cells: Number(cells),
    buckets: m.map((mi, i): Bucket => {
      const b = mi * 60000
      return [b, n[i] as number, b + (d0[i] as number), b + (d1[i] as number), lat[i] as number, lon[i] as number, acc[i] as number]
    // groupArray keeps no order across aggregation threads; TimSort is linear on sorted input.
    }).sort((a, b) => a[0] - b[0]),
  }))
}

/** Alerts open at some time in [from, to): when each opened and (if it did) resolved. */
export async function alertSpans(db: Db, p: { from: number; to: number }): Promise<AlertSpanRow[]> {
  return rows<AlertSpanRow>(db, `
    SELECT alert_id, any(kind) AS k, any(subject) AS subj, any(unit_id) AS unit, any(zone_id) AS zone, any(post_id) AS post,
           toUnixTimestamp64Milli(min(opened_at)) AS opened_ms,
           if(countIf(state = 'resolved') = 0, NULL, toUnixTimestamp64Milli(minIf(at, state = 'resolved'))) AS resolved_ms
    FROM ${db.database}.alerts
    WHERE opened_at < fromUnixTimestamp64Milli({to:Int64})
    GROUP BY alert_id
    HAVING resolved_ms IS NULL OR resolved_ms > {from:Int64}
    ORDER BY opened_ms, alert_id`, p)
}

/** Alert transitions in [from, to), optionally of one unit: Traccar's "events" report. */
export async function events(db: Db, p: { from: number; to: number; unit?: string; limit: number }): Promise<EventRow[]> {
  const r = await rows<EventRow & { at_ms: number }>(db, `
    SELECT toUnixTimestamp64Milli(at) AS at_ms, concat(kind, '.', state) AS type, alert_id, subject, unit_id, zone_id, summary, lat, lon
    FROM ${db.database}.alerts
    WHERE at >= fromUnixTimestamp64Milli({from:Int64}) AND at < fromUnixTimestamp64Milli({to:Int64})
      ${p.unit === undefined ? '' : 'AND unit_id = {unit:String}'}
    ORDER BY at_ms, event_id LIMIT {limit:UInt32}`, { ...p, unit: p.unit ?? '' })
  return r.map(({ at_ms: atMs, ...e }) => ({ ...e, at: atMs }))
}

/** A unit's stored fixes in [from, to), flagged ones included (marked): Traccar's "route". */
export async function route(db: Db, p: { unit: string; from: number; to: number; limit: number }): Promise<RoutePoint[]> {
  // Aliases must not shadow columns used in WHERE (ClickHouse resolves aliases there).
  const r = await rows<Omit<RoutePoint, 'ts'> & { ts_ms: number }>(db, `
    SELECT toUnixTimestamp64Milli(ts) AS ts_ms, lat, lon, speed, accuracy, flags FROM ${db.database}.positions
    WHERE unit_id = {unit:String} AND ${RANGE} ORDER BY ts LIMIT {limit:UInt32}`, p)
  return r.map(({ ts_ms: ts, ...x }) => ({ ts, ...x }))
}

/** The coverage ratio time series (one row per zone per snapshot) in [from, to). */
export async function zoneSeries(db: Db, p: { from: number; to: number }): Promise<ZoneSample[]> {
  const r = await rows<Omit<ZoneSample, 'at'> & { at_ms: number }>(db, `
    SELECT zone_id, toUnixTimestamp64Milli(at) AS at_ms, ratio, response_ratio FROM ${db.database}.coverage_zones
    WHERE at >= fromUnixTimestamp64Milli({from:Int64}) AND at < fromUnixTimestamp64Milli({to:Int64})
    ORDER BY zone_id, at_ms`, p)
  return r.map(({ at_ms: atMs, ...z }) => ({ ...z, at: atMs }))
}

/** Priority cells' last visit at every snapshot: how overdue they got. `cells` are H3 ids (hex). */
export async function prioritySnapshots(db: Db, p: { from: number; to: number; cells: string[] }): Promise<CellSnapshots[]> {
  if (p.cells.length === 0) return []
  const r = await rows<Omit<CellSnapshots, 'cell'> & { cell_id: string }>(db, `
    SELECT zone_id, h3ToString(cell) AS cell_id,
           arraySort(groupArray((toUnixTimestamp64Milli(snapshot_at), if(last_visit IS NULL, NULL, toUnixTimestamp64Milli(assumeNotNull(last_visit)))))) AS s
    FROM ${db.database}.coverage
    WHERE snapshot_at >= fromUnixTimestamp64Milli({from:Int64}) AND snapshot_at < fromUnixTimestamp64Milli({to:Int64})
      AND cell IN (SELECT arrayJoin(arrayMap(c -> stringToH3(c), {cells:Array(String)})))
    GROUP BY zone_id, cell ORDER BY zone_id, cell_id`, p)
  return r.map(({ cell_id: cell, ...x }) => ({ ...x, cell }))
}

/** Per zone cell, the share of snapshots in [from, to) in which it was fresh (the coverage map). */
export async function cellFreshness(db: Db, p: { from: number; to: number }): Promise<CellFreshness[]> {
  const r = await rows<Omit<CellFreshness, 'cell' | 'fresh'> & { cell_id: string; fresh_share: number }>(db, `
    SELECT zone_id, h3ToString(cell) AS cell_id, avg(fresh) AS fresh_share FROM ${db.database}.coverage
    WHERE snapshot_at >= fromUnixTimestamp64Milli({from:Int64}) AND snapshot_at < fromUnixTimestamp64Milli({to:Int64})
    GROUP BY zone_id, cell ORDER BY zone_id, cell_id`, p)
  return r.map((x) => ({ zone_id: x.zone_id, cell: x.cell_id, fresh: x.fresh_share }))
}

/**
 * Every patrol level change made before `to` (the audit rows of `zone.level` and of
 * `level.suggestion.accept` that changed something; the latter name the zone in `zoneId`): the
 * level set and its expiry, to rebuild the level in force over a period.
 */
export async function levelChanges(db: Db, p: { to: number }): Promise<LevelChangeRowDb[]> {
  // at_ms: an alias must not shadow the column the WHERE uses.
  const r = await rows<Omit<LevelChangeRowDb, 'at'> & { at_ms: number }>(db, `
    SELECT toUnixTimestamp64Milli(at) AS at_ms, if(action = 'zone.level', target, JSONExtractString(details, 'zoneId')) AS zone_id, JSONExtractString(details, 'to') AS level,
           JSONExtract(details, 'expiresAt', 'Nullable(Int64)') AS expires_ms
    FROM ${db.database}.audit
    WHERE action IN ('zone.level', 'level.suggestion.accept') AND JSONHas(details, 'to') AND at < fromUnixTimestamp64Milli({to:Int64})
    ORDER BY at_ms, zone_id`, p)
  return r.map(({ at_ms: atMs, ...c }) => ({ ...c, at: atMs }))
}

/**
 * Every stored event of the plan activations that started in [from, to) — their arrivals and
 * misses too when these came after the period's end. FINAL folds a retried insert (same event_id).
 */
export async function planEvents(db: Db, p: { from: number; to: number }): Promise<PlanEventRow[]> {
  const r = await rows<Omit<PlanEventRow, 'at'> & { at_ms: number }>(db, `
    SELECT toUnixTimestamp64Milli(at) AS at_ms, type, activation_id, plan_id, incident_id, checkpoint, unit_id, elapsed_ms, data
    FROM ${db.database}.plan_events FINAL
    WHERE activation_id IN (
      SELECT activation_id FROM ${db.database}.plan_events
      WHERE type = 'plan.activated' AND at >= fromUnixTimestamp64Milli({from:Int64}) AND at < fromUnixTimestamp64Milli({to:Int64}))
    ORDER BY at_ms, event_id`, p)
  return r.map(({ at_ms: atMs, ...e }) => ({ ...e, at: atMs }))
}

/** Integrity signals overlapping [from, to); FINAL folds a signal stored twice. */
export async function integritySignals(db: Db, p: { from: number; to: number; limit: number }): Promise<IntegritySignalRow[]> {
  // Aliases apart from the columns: WHERE compares the DateTime64 columns, not the milliseconds.
  const r = await rows<Omit<IntegritySignalRow, 'started_at' | 'ended_at'> & { started_ms: number; ended_ms: number }>(db, `
    SELECT unit_id, kind, toUnixTimestamp64Milli(started_at) AS started_ms, toUnixTimestamp64Milli(ended_at) AS ended_ms, related_unit_id, evidence
    FROM ${db.database}.integrity_signals FINAL
    WHERE started_at < fromUnixTimestamp64Milli({to:Int64}) AND ended_at >= fromUnixTimestamp64Milli({from:Int64})
    ORDER BY started_ms, unit_id, kind
    LIMIT {limit:UInt32}`, p)
  return r.map(({ started_ms: from, ended_ms: to, ...x }) => ({ ...x, started_at: from, ended_at: to }))
}

/**
 * Every stored event of the make-up patrol tasks assigned in [from, to) — their outcomes too when
 * these came after the period's end. Each row carries its task's assignment time; FINAL folds a
 * retried insert (same event_id).
 */
export async function patrolTasks(db: Db, p: { from: number; to: number }): Promise<PatrolTaskRow[]> {
  const r = await rows<Omit<PatrolTaskRow, 'at' | 'assigned_at' | 'started_at' | 'ended_at'> & { at_ms: number; assigned_ms: number; started_ms: number | null; ended_ms: number | null }>(db, `
    SELECT toUnixTimestamp64Milli(at) AS at_ms, type, task_id, zone_id, unit_id, by, status, reason,
           toUnixTimestamp64Milli(assigned_at) AS assigned_ms, toUnixTimestamp64Milli(started_at) AS started_ms,
           toUnixTimestamp64Milli(ended_at) AS ended_ms, visited, total
    FROM ${db.database}.patrol_tasks FINAL
    WHERE assigned_at >= fromUnixTimestamp64Milli({from:Int64}) AND assigned_at < fromUnixTimestamp64Milli({to:Int64})
    ORDER BY at_ms, event_id`, p)
  return r.map(({ at_ms: at, assigned_ms: assigned, started_ms: started, ended_ms: ended, ...e }) => ({ ...e, at, assigned_at: assigned, started_at: started, ended_at: ended }))
}

export async function insertBulletin(db: Db, b: BulletinRow): Promise<void> {
  await db.client.insert({
    table: `${db.database}.bulletins`,
    values: [b],
    format: 'JSONEachRow',
    // A retried insert of the same generation is stored once.
    clickhouse_settings: { insert_deduplication_token: `${b.kind}:${b.period}:${b.generated_at}` },
  })
}

/** The newest generation of a period's bulletin, or null. */
export async function getBulletin(db: Db, p: { kind: string; period: string }): Promise<BulletinRow | null> {
  const r = await rows<BulletinRow>(db, `
    SELECT kind, period, toUnixTimestamp64Milli(period_from) AS period_from, toUnixTimestamp64Milli(period_to) AS period_to,
           toUnixTimestamp64Milli(generated_at) AS generated_at, timezone, body
    FROM ${db.database}.bulletins WHERE kind = {kind:String} AND period = {period:String}
    ORDER BY generated_at DESC LIMIT 1`, p)
  return r[0] ?? null
}

export async function listBulletins(db: Db, p: { kind?: string; limit: number }): Promise<BulletinListing[]> {
  return rows<BulletinListing>(db, `
    SELECT kind, period, toUnixTimestamp64Milli(max(generated_at)) AS generated_at, toUInt32(count()) AS generations
    FROM ${db.database}.bulletins ${p.kind === undefined ? '' : 'WHERE kind = {kind:String}'}
    GROUP BY kind, period ORDER BY period DESC, kind LIMIT {limit:UInt32}`, { kind: p.kind ?? '', limit: p.limit })
}

/** The reports stage's queries against this database (hotspot scores are the incidents' query). */
export function clickHouseReportQueries(db: Db): ReportQueries {
  const incidents = new ClickHouseIncidentStore(db.client, db.database)
  return {
    unitBuckets: (p) => unitBuckets(db, p),
    alertSpans: (p) => alertSpans(db, p),
    events: (p) => events(db, p),
    route: (p) => route(db, p),
    zoneSeries: (p) => zoneSeries(db, p),
    prioritySnapshots: (p) => prioritySnapshots(db, p),
    cellFreshness: (p) => cellFreshness(db, p),
    levelChanges: (p) => levelChanges(db, p),
    planEvents: (p) => planEvents(db, p),
    integritySignals: (p) => integritySignals(db, p),
    patrolTasks: (p) => patrolTasks(db, p),
    insertBulletin: (b) => insertBulletin(db, b),
    getBulletin: (p) => getBulletin(db, p),
    listBulletins: (p) => listBulletins(db, p),
    hotspotScores: (spec, now, limit) => incidents.hotspotScores(spec, now, limit),
  }
}
