// The incidents stage's reads (its IncidentStore, src/incidents/incident-store.ts) from the
// `incidents` table (created in schema.ts; rows are written through the journal, journal/record.ts):
// the incident query and the hotspot density (parameterised; no string-built values). Cells are
// stored at resolution 15 and coarsened in SQL (h3ToParent), so no query depends on geoToH3's argument order.
import type { ClickHouseClient } from '@clickhouse/client'
import type { CellScore, HotspotSpec } from '../../incidents/hotspots.js'
import type { IncidentQuery, IncidentRow, IncidentStore } from '../../incidents/incident-store.js'

export class ClickHouseIncidentStore implements IncidentStore {
  constructor(private readonly client: ClickHouseClient, private readonly db: string) {}

  /** Which of `ids` are stored already. */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set()
    const rs = await this.client.query({
      query: `SELECT DISTINCT id FROM ${this.db}.incidents WHERE id IN {ids:Array(String)}`,
      query_params: { ids },
      format: 'JSONEachRow',
    })
    return new Set((await rs.json<{ id: string }>()).map((r) => r.id))
  }

  async query(q: IncidentQuery): Promise<IncidentRow[]> {
    const rs = await this.client.query({
      // Aliases must not shadow columns used in WHERE (ClickHouse resolves aliases there).
      query: `SELECT id, type, priority, toUnixTimestamp64Milli(ts) AS ts_ms, lat, lon, zone_id, address, description
              FROM ${this.db}.incidents FINAL
              WHERE ts BETWEEN fromUnixTimestamp64Milli({from:Int64}) AND fromUnixTimestamp64Milli({to:Int64})
                AND ({type:String} = '' OR type = {type:String}) AND ({zone:String} = '' OR zone_id = {zone:String}) AND ({id:String} = '' OR id = {id:String})
              ORDER BY ts DESC, id LIMIT {limit:UInt32}`,
      query_params: { from: q.from, to: q.to, type: q.type ?? '', zone: q.zone ?? '', id: q.id ?? '', limit: q.limit },
      format: 'JSONEachRow',
    })
    const rows = await rs.json<{ id: string; type: string; priority: number; ts_ms: string | number; lat: number; lon: number; zone_id: string; address: string; description: string }>()
    return rows.map((r) => ({ id: r.id, type: r.type, priority: Number(r.priority), ts: Number(r.ts_ms), lat: r.lat, lon: r.lon, zone: r.zone_id, address: r.address, description: r.description }))
  }

  async get(id: string): Promise<IncidentRow | null> {
    const rows = await this.query({ from: 0, to: 8_000_000_000_000, id, limit: 1 })
    return rows[0] ?? null
  }

  /** Incidents of a zone timed at or after `from` (the rate window after a restart), oldest first. */
  async zonedSince(from: number): Promise<Array<{ id: string; zoneId: string; ts: number }>> {
    const rs = await this.client.query({
      query: `SELECT id, zone_id, toUnixTimestamp64Milli(ts) AS ts_ms FROM ${this.db}.incidents FINAL
              WHERE ts >= fromUnixTimestamp64Milli({from:Int64}) AND zone_id != ''
              ORDER BY ts, id`,
      query_params: { from },
      format: 'JSONEachRow',
    })
    return (await rs.json<{ id: string; zone_id: string; ts_ms: string | number }>()).map((r) => ({ id: r.id, zoneId: r.zone_id, ts: Number(r.ts_ms) }))
  }

  /** Incident density per cell at `now` (hotspots.ts scoreIncidents() is the reference), best first. */
  async hotspotScores(spec: HotspotSpec, now: number, limit: number): Promise<CellScore[]> {
    const types = Object.keys(spec.weights).filter((k) => k !== 'default')
    const rs = await this.client.query({
      query: `SELECT h3ToString(h3ToParent(h3, {res:UInt8})) AS cell,
                     sum(transform(toString(type), {types:Array(String)}, {weights:Array(Float64)}, {def:Float64})
                         * pow(0.5, ({now:Int64} - toUnixTimestamp64Milli(ts)) / {half:Float64})) AS score,
                     count() AS n
              FROM ${this.db}.incidents FINAL
              WHERE ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts <= fromUnixTimestamp64Milli({now:Int64})
              GROUP BY cell
              HAVING score >= {min:Float64}
              ORDER BY score DESC, cell
              LIMIT {limit:UInt32}`,
      query_params: {
        res: spec.resolution,
        types,
        weights: types.map((t) => spec.weights[t] as number),
        def: spec.weights.default ?? 1,
        now,
        half: spec.halfLifeMs,
        from: now - spec.windowMs,
        min: spec.minScore,
        limit,
      },
      format: 'JSONEachRow',
    })
    return (await rs.json<{ cell: string; score: number; n: string | number }>()).map((r) => ({ cell: r.cell, score: Number(r.score), count: Number(r.n) }))
  }
}
