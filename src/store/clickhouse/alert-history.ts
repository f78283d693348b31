// Alert history from the `alerts` table (one row per transition): alerts folded to their latest
// state, filtered and paged newest first by (opened_at, alert_id), and one alert's transitions
// (the API's AlertHistory, src/api/stored-reads.ts).
import type { AlertView } from '../../rules/alert-book.js'
import type { AlertEvent, AlertKind, AlertState } from '../../rules/alert-event.js'
import type { AlertHistory, AlertHistoryQuery } from '../../api/stored-reads.js'

export interface ClickHouseReader {
  client: { query(o: { query: string; query_params?: Record<string, unknown>; format: 'JSONEachRow' }): Promise<{ json<T>(): Promise<T[]> }> }
  database: string
}

// Same-millisecond transitions (opened then resolved on one fix) are ordered by their lifecycle.
const RANK = `multiIf(state = 'opened', 0, state = 'acknowledged', 1, 2)`

interface Row {
  alert_id: string
  k: string
  subj: string
  opened_ms: string | number
  last_state: string
  last_data: string
  ack_ms: string | number
  acks: string | number
  res_ms: string | number
  ress: string | number
}

export async function queryAlertHistory(ch: ClickHouseReader, q: AlertHistoryQuery): Promise<AlertView[]> {
  const where = ['opened_at >= fromUnixTimestamp64Milli({from:Int64})', 'opened_at < fromUnixTimestamp64Milli({to:Int64})']
  if (q.kind !== undefined) where.push('kind = {kind:String}')
  if (q.zone !== undefined) where.push('zone_id = {zone:String}')
  if (q.unit !== undefined) where.push('unit_id = {unit:String}')
  const having = ['1']
  if (q.states !== null) having.push('last_state IN {states:Array(String)}')
  if (q.after !== undefined) having.push('(opened_ms < {co:Int64} OR (opened_ms = {co:Int64} AND alert_id < {cid:String}))')
  // Aliases differ from column names: ClickHouse would resolve an alias inside WHERE.
  const rs = await ch.client.query({
    query: `SELECT alert_id, any(kind) AS k, any(subject) AS subj, toUnixTimestamp64Milli(min(opened_at)) AS opened_ms,
              argMax(state, (at, ${RANK})) AS last_state, argMax(data, (at, ${RANK})) AS last_data,
              toUnixTimestamp64Milli(maxIf(at, state = 'acknowledged')) AS ack_ms, countIf(state = 'acknowledged') AS acks,
              toUnixTimestamp64Milli(maxIf(at, state = 'resolved')) AS res_ms, countIf(state = 'resolved') AS ress
            FROM ${ch.database}.alerts
            WHERE ${where.join(' AND ')}
            GROUP BY alert_id
            HAVING ${having.join(' AND ')}
            ORDER BY opened_ms DESC, alert_id DESC
            LIMIT {limit:UInt32}`,
    query_params: { from: q.from, to: q.to, kind: q.kind, zone: q.zone, unit: q.unit, states: q.states ?? [], co: q.after?.openedAt, cid: q.after?.id, limit: q.limit },
    format: 'JSONEachRow',
  })
  return (await rs.json<Row>()).map((r) => {
    const last = JSON.parse(r.last_data) as AlertEvent
    const v: AlertView = { id: r.alert_id, kind: r.k as AlertKind, subject: r.subj, state: r.last_state as AlertState, openedAt: Number(r.opened_ms), last }
    if (Number(r.acks) > 0) {
      v.acknowledgedAt = Number(r.ack_ms)
      if (last.acknowledgedBy !== undefined) v.acknowledgedBy = last.acknowledgedBy
      if (last.ackNote !== undefined) v.ackNote = last.ackNote
    }
    if (Number(r.ress) > 0) v.resolvedAt = Number(r.res_ms)
    return v
  })
}

/** Every stored transition of one alert, in order (each event once, even if stored twice). */
export async function queryAlertTransitions(ch: ClickHouseReader, alertId: string): Promise<AlertEvent[]> {
  const rs = await ch.client.query({
    query: `SELECT data FROM ${ch.database}.alerts WHERE alert_id = {id:String}
            ORDER BY at, ${RANK} LIMIT 1 BY event_id`,
    query_params: { id: alertId },
    format: 'JSONEachRow',
  })
  return (await rs.json<{ data: string }>()).map((r) => JSON.parse(r.data) as AlertEvent)
}

/** The API's alert history, read from this database. */
export function clickHouseAlertHistory(ch: ClickHouseReader): AlertHistory {
  return {
    history: (q) => queryAlertHistory(ch, q),
    transitions: (id) => queryAlertTransitions(ch, id),
  }
}
