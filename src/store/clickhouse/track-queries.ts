// A unit's stored track from `positions` (the API's track read, src/api/stored-reads.ts): the SQL
// lives here, beside the schema it depends on, so the composition root holds none.
import type { TrackPoint } from '../../api/stored-reads.js'
import type { ClickHouseHandle } from './client.js'

/** One unit's stored track between two fix times, in fix-time order. Reads one range of the (unit_id, ts) sort key. */
export async function readTrack(ch: ClickHouseHandle, unitId: string, from: number, to: number, limit: number): Promise<TrackPoint[]> {
  const rs = await ch.client.query({
    // Aliases must not shadow column names used in WHERE (ClickHouse resolves aliases there).
    query: `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, lat, lon, speed, accuracy, h3ToString(h3) AS cell, flags FROM ${ch.database}.positions
            WHERE unit_id = {unit:String} AND ts BETWEEN fromUnixTimestamp64Milli({from:Int64}) AND fromUnixTimestamp64Milli({to:Int64})
            ORDER BY ts LIMIT {limit:UInt32}`,
    query_params: { unit: unitId, from, to, limit },
    format: 'JSONEachRow',
  })
  const rows = await rs.json<{ ts_ms: string | number; lat: number; lon: number; speed: number | null; accuracy: number | null; cell: string; flags: number }>()
  return rows.map((r) => ({ ts: Number(r.ts_ms), lat: r.lat, lon: r.lon, speed: r.speed, accuracy: r.accuracy, h3: r.cell, flags: r.flags }))
}
