// The SQL behind the map's replay: stored positions of a time range (optionally thinned to one
// fix per unit per step), and the coverage state of every zone at an instant (the latest coverage
// snapshot at or before it, with the zone ratios of that moment).
import type { ReplaySource } from '../../api/stored-reads.js'
import type { ClickHouseReader } from './alert-history.js'

/** How far back a snapshot may be to still describe an instant (snapshots are written every minute). */
const SNAPSHOT_LOOKBACK_MS = 24 * 3_600_000

const num = (v: string | number | null): number | null => (v === null ? null : Number(v))

export function replaySource(ch: ClickHouseReader): ReplaySource {
  const db = ch.database
  const rows = async <T>(query: string, params: Record<string, unknown>): Promise<T[]> => {
    const rs = await ch.client.query({ query, query_params: params, format: 'JSONEachRow' })
    return rs.json<T>()
  }
  return {
    async positions({ from, to, limit, stepMs, unit, after }) {
      // Keyset paging on (ts, unit_id). Thinned, a page starts at the start of the cursor's step
      // (buckets are aligned to the epoch, so the first fix of each unit and step is the same as
      // without the cursor) and keeps what lies after the cursor.
      const cts = after?.ts ?? -1
      const lo = stepMs > 0 ? Math.max(from, Math.floor(cts / stepMs) * stepMs) : Math.max(from, cts)
      // A page reads a window after `lo`, widened (×4) until it holds the page or reaches `to`:
      // every row outside the window is later than every row in it, so a full page from the
      // window is the page, and a page costs about its own rows, not the rest of the period.
      // One ClickHouse thread per query (SETTINGS): in-process (chdb) the other core stays with ingestion.
      let span = Math.max(60_000, Math.ceil((to - lo) / 16))
      for (;;) {
        const upper = Math.min(to, lo + span)
        const r = await rows<{ unit_id: string; ts_ms: string | number; lat: number; lon: number; speed: number | null }>(
          `SELECT unit_id, ts_ms, lat, lon, speed FROM (
             SELECT unit_id, toUnixTimestamp64Milli(ts) AS ts_ms, lat, lon, speed FROM ${db}.positions
             WHERE ts BETWEEN fromUnixTimestamp64Milli({lo:Int64}) AND fromUnixTimestamp64Milli({upper:Int64}) AND flags = 0
               ${unit === undefined ? '' : 'AND unit_id = {unit:String}'}
             ${stepMs > 0 ? 'ORDER BY ts_ms, unit_id LIMIT 1 BY unit_id, intDiv(ts_ms, {step:UInt32})' : ''})
           WHERE (ts_ms, unit_id) > ({cts:Int64}, {cunit:String})
           ORDER BY ts_ms, unit_id LIMIT {limit:UInt32}
           SETTINGS max_threads = 1`,
          { lo, upper, limit, step: stepMs, unit, cts, cunit: after?.unitId ?? '' },
        )
        if (r.length >= limit || upper >= to) return r.map((x) => ({ unitId: x.unit_id, ts: Number(x.ts_ms), lat: x.lat, lon: x.lon, speed: x.speed }))
        span *= 4
      }
    },
    async coverageAt(at, zone) {
      const params = { at, since: at - SNAPSHOT_LOOKBACK_MS, zone }
      const zoneCond = zone === undefined ? '' : 'AND zone_id = {zone:String}'
      const window = `BETWEEN fromUnixTimestamp64Milli({since:Int64}) AND fromUnixTimestamp64Milli({at:Int64}) ${zoneCond}`
      const cells = await rows<{ zone_id: string; cell: string; lv: string | number | null; snap: string | number }>(
        `SELECT zone_id, h3ToString(cell) AS cell, toUnixTimestamp64Milli(last_visit) AS lv, toUnixTimestamp64Milli(snapshot_at) AS snap
         FROM ${db}.coverage
         WHERE snapshot_at ${window}
           AND (zone_id, snapshot_at) IN (SELECT zone_id, max(snapshot_at) FROM ${db}.coverage WHERE snapshot_at ${window} GROUP BY zone_id)`,
        params,
      )
      const zones = await rows<{ zone_id: string; ratio: number; rr: number | null }>(
        `SELECT zone_id, argMax(ratio, at) AS ratio, argMax(response_ratio, at) AS rr FROM ${db}.coverage_zones
         WHERE at ${window} GROUP BY zone_id ORDER BY zone_id`,
        params,
      )
      let snapshotAt: number | null = null
      for (const c of cells) snapshotAt = Math.max(snapshotAt ?? 0, Number(c.snap))
      return {
        at,
        snapshotAt,
        zones: zones.map((z) => ({ zone: z.zone_id, ratio: z.ratio, responseRatio: z.rr })),
        cells: cells.map((c) => ({ zone: c.zone_id, cell: c.cell, lastVisit: num(c.lv) })),
      }
    },
  }
}
