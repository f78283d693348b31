// Ships one sealed journal segment to ClickHouse: one insert per table, each with a deterministic
// insert_deduplication_token (instance id + segment id + table), so a segment re-sent after a crash
// or a retry is stored once. Data errors are not retried: those rows go to `rejects` as sink_rejected.
import type { Logger } from 'pino'
import type { ClickHouseClient } from '@clickhouse/client'
import { execInserter, type InsertJsonLines } from './client.js'
import type { Metrics } from '../../telemetry/metrics.js'
import { groupByTable, positionTs, rejectRow, type TableName } from '../../journal/record.js'
import { classifyFailure } from './retry-policy.js'
import { truncateString } from '../../decode/truncate.js'
import type { BatchStatus } from '../../journal/shipper.js'

export interface DeliverDeps {
  client: ClickHouseClient
  /** The embedded engine's direct insert (ClickHouseHandle.insertJsonLines); without it, inserts go through `client`. */
  insertJsonLines?: InsertJsonLines | undefined
  database: string
  /** Distinguishes this data directory's segment ids from any other's (see instance-id.ts). */
  instanceId: string
  logger: Logger
  metrics: Metrics
  now?: () => number
  onHealth?: (up: boolean) => void
}

/**
 * Where a refused row came from, so its reject can be traced to a device: the row's own topic and
 * unit id when it still parses as JSON (the refusal is about a value, not the syntax), else ''.
 */
export function origin(row: string): { topic: string; unitId: string } {
  try {
    const o = JSON.parse(row) as { topic?: unknown; unit_id?: unknown }
    return { topic: typeof o.topic === 'string' ? truncateString(o.topic, 1024) : '', unitId: typeof o.unit_id === 'string' ? truncateString(o.unit_id, 256) : '' }
  } catch {
    return { topic: '', unitId: '' }
  }
}

export function createDeliver(deps: DeliverDeps) {
  const { client, database, instanceId, logger, metrics } = deps
  const now = deps.now ?? Date.now
  const insertLines = deps.insertJsonLines ?? execInserter(client, database)

  async function insert(table: TableName, rows: string[], token: string): Promise<void> {
    const started = process.hrtime.bigint()
    // Rows are already JSON lines in the journal: send them as a raw body (no re-encoding).
    const body = Buffer.from(rows.join('\n'))
    const settings = { insert_deduplication_token: token, insert_deduplicate: 1, async_insert: 0, date_time_input_format: 'basic' }
    await insertLines(table, body, settings)
    metrics.insertSeconds.observe({ table }, Number(process.hrtime.bigint() - started) / 1e9)
    metrics.batchRows.observe({ table }, rows.length)
    metrics.rowsCommitted.inc({ table }, rows.length)
  }

  function observeLag(rows: string[]): void {
    const t = now()
    for (const row of rows) {
      const ts = positionTs(row)
      if (Number.isFinite(ts)) metrics.lagSeconds.observe(Math.max(0, (t - ts) / 1000))
    }
  }

  /**
   * Inserts rows; on a data error, bisects with derived tokens (deterministic, so retries still
   * deduplicate) until the bad rows are isolated. Returns the rows ClickHouse refused.
   */
  async function insertIsolating(table: TableName, rows: string[], token: string): Promise<{ bad: string[]; error: string }> {
    try {
      await insert(table, rows, token)
      return { bad: [], error: '' }
    } catch (err) {
      const kind = classifyFailure(err)
      metrics.insertErrors.inc({ table, kind })
      if (kind === 'retriable') throw err
      if (rows.length === 1) return { bad: rows, error: (err as Error).message }
      const mid = rows.length >> 1
      const left = await insertIsolating(table, rows.slice(0, mid), `${token}-l`)
      const right = await insertIsolating(table, rows.slice(mid), `${token}-r`)
      return { bad: [...left.bad, ...right.bad], error: left.error || right.error }
    }
  }

  /** One table's rows under one token: 'retriable' (nothing refused, try again), else delivered or rejected. */
  async function deliverTable(table: TableName, rows: string[], token: string, where: Record<string, unknown>): Promise<BatchStatus> {
    try {
      const { bad, error } = await insertIsolating(table, rows, token)
      deps.onHealth?.(true)
      if (table === 'positions') observeLag(rows)
      if (bad.length === 0) return 'delivered'
      logger.error({ ...where, table, rows: bad.length, err: error }, 'ClickHouse refused rows as bad data; they are stored in the rejects table as sink_rejected.')
      if (table === 'rejects') return 'rejected'
      const at = now()
      const moved = bad.map((row) => {
        const { topic, unitId } = origin(row)
        return rejectRow({ receivedAt: at, topic, unitId, reason: 'sink_rejected', detail: `${table}: ${error}`.slice(0, 500), payload: row.slice(0, 2048) })
      })
      await insert('rejects', moved, `${token}-sink-rejected`)
      return 'delivered'
    } catch (err) {
      deps.onHealth?.(false)
      logger.warn({ ...where, table, rows: rows.length, err }, 'ClickHouse insert failed; the rows are kept and retried.')
      return 'retriable'
    }
  }

  async function deliver(seg: { id: number }, records: Buffer[]): Promise<BatchStatus> {
    const { tables, unknown } = groupByTable(records)
    if (unknown > 0) logger.warn({ segment: seg.id, lines: unknown }, 'Journal segment holds lines of no known table; they were skipped.')
    let status: BatchStatus = 'delivered'
    for (const [table, rows] of tables) {
      const s = await deliverTable(table, rows, `${instanceId}-${seg.id}-${table}`, { segment: seg.id })
      if (s === 'retriable') return s
      if (s === 'rejected') status = s
    }
    return status
  }
  /**
   * Cluster mode: a partition's position rows under a token derived from the stream sequences
   * they cover (the same rows re-sent by a new owner are stored once). Throws when retriable.
   */
  async function positions(rows: string[], token: string): Promise<void> {
    await tableRows('positions', rows, token)
  }
  /** Cluster mode: a partition's rows of one table (incidents, plan events) the same way. */
  async function tableRows(table: TableName, rows: string[], token: string): Promise<void> {
    if (await deliverTable(table, rows, token, { token }) === 'retriable') throw new Error('ClickHouse did not take the rows (see the warning logged before); they are retried')
  }
  return Object.assign(deliver, { positions, tableRows })
}
