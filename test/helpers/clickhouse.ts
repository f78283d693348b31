// Reads back what the engine stored, for assertions against what was published.
import type { ClickHouseClient } from '@clickhouse/client'

export interface StoredFix { unit_id: string; ts: number; lat: number; lon: number; h3: string; seq: number | null; flags: number }

export async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const rs = await client.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })
  return rs.json<T>()
}

export async function count(client: ClickHouseClient, db: string, table: string): Promise<number> {
  const r = await rows<{ c: number }>(client, `SELECT count() AS c FROM ${db}.${table}`)
  return Number(r[0]?.c ?? 0)
}

export async function storedFixes(client: ClickHouseClient, db: string): Promise<StoredFix[]> {
  const r = await rows<StoredFix & { ts: string }>(client, `SELECT unit_id, toUnixTimestamp64Milli(ts) AS ts, lat, lon, h3ToString(h3) AS h3, seq, flags FROM ${db}.positions`)
  return r.map((x) => ({ ...x, ts: Number(x.ts) }))
}

/** Every stored fix as `unit|seq`, the key the ledger checks compare with what was published. */
export async function storedKeys(client: ClickHouseClient, db: string): Promise<string[]> {
  const r = await rows<{ unit_id: string; seq: string | number }>(client, `SELECT unit_id, seq FROM ${db}.positions`)
  return r.map((x) => `${x.unit_id}|${Number(x.seq)}`)
}

/** Position rows this engine process has had confirmed by ClickHouse (from its own metrics). */
export async function committedPositions(metrics: { rowsCommitted: { get(): Promise<{ values: Array<{ labels: Record<string, unknown>; value: number }> }> } }): Promise<number> {
  return (await metrics.rowsCommitted.get()).values.find((v) => v.labels.table === 'positions')?.value ?? 0
}
