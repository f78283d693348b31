// Opens the ClickHouse client: a server (clickhouse.url) over HTTP, or the embedded chdb engine
// under <data_dir>/clickhouse plugged into the same @clickhouse/client API. One code path serves both.
// With clickhouse.cluster, every request carries the cluster settings (ddl-dialect.ts).
import { ensurePrivateDir } from '../../private-files.js'
import { createRequire } from 'node:module'
import { Readable } from 'node:stream'
import { join, resolve } from 'node:path'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import type { ResolvedConfig } from '../../config/resolve.js'
import { redactUrl } from '../../telemetry/redact.js'
import { CLUSTER_QUERY_SETTINGS } from './ddl-dialect.js'

/**
 * Inserts JSON lines into one table of the database, with per-insert settings. Embedded, chdb's raw
 * insert hands the bytes to ClickHouse's parallel parser without copying them into the SQL text (half
 * the CPU per row of the HTTP-shaped path: bench/sink.ts); a server (or a wrapped client) takes them
 * as an HTTP insert's body (execInserter). Failures carry ClickHouse's error code.
 */
export type InsertJsonLines = (table: string, body: Buffer, settings: Record<string, string | number>) => Promise<void>

interface ChdbRawInsert {
  rawInsert(p: { table: string; format: 'JSONEachRow'; values: Buffer; settings: Record<string, string | number> }): Promise<unknown>
}

export interface ClickHouseHandle {
  client: ClickHouseClient
  /** Embedded only: the direct insert path (see InsertJsonLines); a server takes inserts through `client`. */
  insertJsonLines?: InsertJsonLines
  target: 'embedded' | 'server'
  /** Where the rows go, for logs: the URL without credentials, or the embedded path. */
  where: string
  database: string
  ping(): Promise<boolean>
  close(): Promise<void>
}

export function openClickHouse(config: ResolvedConfig): ClickHouseHandle {
  const ch = config.clickhouse
  const database = ch.database
  if (ch.url !== undefined) {
    const client = createClient({
      url: ch.url,
      username: ch.username,
      password: ch.password ?? '',
      request_timeout: ch.request_timeout,
      // Below the server's keep-alive timeout (10 s self-hosted, 3 s Cloud) to avoid ECONNRESET.
      keep_alive: { enabled: true, idle_socket_ttl: 2500 },
      compression: { request: true, response: true },
      clickhouse_settings: { date_time_input_format: 'basic', ...(ch.cluster === undefined ? {} : CLUSTER_QUERY_SETTINGS) },
    })
    return handle(client, 'server', redactUrl(ch.url), database)
  }
  const path = resolve(join(config.data_dir, 'clickhouse'))
  ensurePrivateDir(path)
  const require = createRequire(import.meta.url)
  const { createChdbConnection } = require('chdb/connection') as { createChdbConnection(o: { path: string }): { chdb: ChdbRawInsert } }
  const connection = createChdbConnection({ path })
  const client = createClient({ connection } as unknown as Parameters<typeof createClient>[0])
  return { ...handle(client, 'embedded', path, database), insertJsonLines: rawInserter(connection.chdb, database) }
}

/** The insert through the client's HTTP interface: the rows as the request's body, the settings as its settings. */
export function execInserter(client: ClickHouseClient, database: string): InsertJsonLines {
  return async (table, body, settings) => {
    const res = await client.exec({
      query: `INSERT INTO ${database}.${table} FORMAT JSONEachRow`,
      values: Readable.from([body], { objectMode: false }),
      clickhouse_settings: settings,
    })
    res.stream.resume()
    await new Promise<void>((resolve, reject) => {
      res.stream.once('end', resolve)
      res.stream.once('close', resolve)
      res.stream.once('error', reject)
    })
  }
}

/** chdb's raw insert, its errors given ClickHouse's numeric code as `code` (what retry-policy.ts sorts by). */
export function rawInserter(chdb: ChdbRawInsert, database: string): InsertJsonLines {
  return async (table, body, settings) => {
    try {
      await chdb.rawInsert({ table: `${database}.${table}`, format: 'JSONEachRow', values: body, settings })
    } catch (err) {
      const e = err as { message?: unknown; clickhouseCode?: unknown }
      throw Object.assign(new Error(String(e.message ?? err)), { code: e.clickhouseCode, cause: err })
    }
  }
}

function handle(client: ClickHouseClient, target: 'embedded' | 'server', where: string, database: string): ClickHouseHandle {
  let closed = false
  return {
    client,
    target,
    where,
    database,
    async ping() {
      if (closed) return false
      try {
        // `this.client`, not the closure: a wrapped client (fault injection) must be the one pinged.
        const r = await this.client.ping()
        return r.success
      } catch {
        return false
      }
    },
    async close() {
      if (closed) return
      closed = true
      await client.close()
    },
  }
}
