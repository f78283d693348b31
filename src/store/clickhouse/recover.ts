// After a restart without a rule snapshot, recovers each zone's last cell visits from the
// positions table, so coverage does not report false gaps for areas patrolled before the restart.
// The cells are the live rules' cells: geoToH3 at the zone's resolution (the same function as
// h3-js latLngToCell), and only fixes the live rules would credit: unflagged, by the zone's units
// when its credit is `own`, and no less accurate than rules.coverage_max_accuracy_m.
import type { Logger } from 'pino'
import { latLngToCell } from 'h3-js'
import type { Config } from '../../config/schema.js'
import type { ClickHouseHandle } from './client.js'

export interface RecoveredVisit { zoneId: string; cell: string; ts: number }

const PROBE = { lat: 36.49, lon: 117.86, res: 9 }

/**
 * The argument order of the server's geoToH3: ClickHouse changed it from (lon, lat) to (lat, lon)
 * in 25.5 (setting `geotoh3_argument_order`, which older servers reject as unknown). One probe
 * against h3-js tells which order this server uses, so the same SQL runs on 24.x and on 26.x.
 */
export async function geoToH3Order(ch: ClickHouseHandle, settings: Record<string, string> = {}): Promise<'lat_lon' | 'lon_lat'> {
  const rs = await ch.client.query({
    query: `SELECT h3ToString(geoToH3(${PROBE.lat}, ${PROBE.lon}, ${PROBE.res})) AS h`,
    format: 'JSONEachRow',
    clickhouse_settings: settings,
  })
  const [row] = await rs.json<{ h: string }>()
  return row?.h === latLngToCell(PROBE.lat, PROBE.lon, PROBE.res) ? 'lat_lon' : 'lon_lat'
}

export async function recoverVisits(ch: ClickHouseHandle, config: Config, now: number, logger: Logger, settings: Record<string, string> = {}): Promise<RecoveredVisit[]> {
  const out: RecoveredVisit[] = []
  if (config.zones.length === 0) return out
  const args = (await geoToH3Order(ch, settings)) === 'lat_lon' ? 'lat, lon' : 'lon, lat'
  for (const zone of config.zones) {
    const cov = zone.coverage
    const since = now - Math.max(cov.max_interval, ...cov.priority_cells.map((p) => p.max_interval))
    const units = cov.credit === 'own' ? config.units.filter((u) => u.zone === zone.id).map((u) => u.id) : null
    if (units !== null && units.length === 0) continue
    const rs = await ch.client.query({
      query: `SELECT h3ToString(geoToH3(${args}, {res:UInt8})) AS cell, toUnixTimestamp64Milli(max(ts)) AS last_visit
              FROM ${ch.database}.positions
              WHERE ts >= fromUnixTimestamp64Milli({since:Int64}) AND flags = 0
                AND (accuracy IS NULL OR accuracy <= {max_accuracy:Float64})
                ${units === null ? '' : 'AND unit_id IN {units:Array(String)}'}
              GROUP BY cell`,
      query_params: { res: cov.resolution, since, units: units ?? [], max_accuracy: config.rules.coverage_max_accuracy_m },
      clickhouse_settings: settings,
      format: 'JSONEachRow',
    })
    for (const r of await rs.json<{ cell: string; last_visit: string | number }>()) out.push({ zoneId: zone.id, cell: r.cell, ts: Number(r.last_visit) })
  }
  logger.info({ visits: out.length }, 'Recovered coverage visits from ClickHouse.')
  return out
}
