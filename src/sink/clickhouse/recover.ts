// After a restart without a rule snapshot, recovers each zone's last cell visits from the
// positions table, so coverage does not report false gaps for areas patrolled before the restart.
import type { Logger } from 'pino'
import type { Config } from '../../config/schema.js'
import type { ClickHouseHandle } from './client.js'
import { PINNED_SETTINGS } from './client.js'

export interface RecoveredVisit { zoneId: string; cell: string; ts: number }

export async function recoverVisits(ch: ClickHouseHandle, config: Config, now: number, logger: Logger): Promise<RecoveredVisit[]> {
  const out: RecoveredVisit[] = []
  for (const zone of config.zones) {
    const cov = zone.coverage
    const since = now - Math.max(cov.max_interval, ...cov.priority_cells.map((p) => p.max_interval))
    const units = cov.credit === 'own' ? config.units.filter((u) => u.zone === zone.id).map((u) => u.id) : null
    if (units !== null && units.length === 0) continue
    const rs = await ch.client.query({
      query: `SELECT h3ToString(geoToH3(lat, lon, {res:UInt8})) AS cell, toUnixTimestamp64Milli(max(ts)) AS last_visit
              FROM ${ch.database}.positions
              WHERE ts >= fromUnixTimestamp64Milli({since:Int64}) AND flags = 0 ${units === null ? '' : 'AND unit_id IN {units:Array(String)}'}
              GROUP BY cell`,
      query_params: { res: cov.resolution, since, units: units ?? [] },
      clickhouse_settings: { ...PINNED_SETTINGS },
      format: 'JSONEachRow',
    })
    for (const r of await rs.json<{ cell: string; last_visit: string | number }>()) out.push({ zoneId: zone.id, cell: r.cell, ts: Number(r.last_visit) })
  }
  logger.info({ visits: out.length }, 'Recovered coverage visits from ClickHouse.')
  return out
}
