// The cluster DDL created for real on the embedded ClickHouse, given a server config with the
// {shard}/{replica} macros and a two-shard remote_servers cluster (shard 1 this process, shard 2 a
// loopback address where nothing listens). The embedded engine starts no Keeper (the in-process
// test keeper declared below lets it create replicated tables, which stay read-only), so the DDL
// worker cannot run ON CLUSTER, so the statements run without their ON CLUSTER clause and
// nothing is inserted; what this checks beyond parsing: the engines' arguments and macros, the
// Distributed tables' cluster, local table and sharding key (an integer of the row's columns), the
// view over the local tables, and that the engine's read queries run on the Distributed tables
// with the cluster settings (and need them: ClickHouse refuses their IN subqueries without).
import t from 'tap'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { migrationStatements } from '../../../src/store/clickhouse/schema.js'
import { CLUSTER_QUERY_SETTINGS } from '../../../src/store/clickhouse/ddl-dialect.js'
import { planEvents } from '../../../src/store/clickhouse/report-queries.js'
import { replaySource } from '../../../src/store/clickhouse/replay-queries.js'
import { tempDir } from '../../helpers/harness.js'

const DB = 'hexpatrol'
const CLUSTER = 'patrol_ch'
const dir = tempDir()
const config = join(dir, 'config.xml')
writeFileSync(config, `<clickhouse>
  <tcp_port>9000</tcp_port>
  <macros><shard>01</shard><replica>r1</replica></macros>
  <zookeeper><implementation>testkeeper</implementation></zookeeper>
  <remote_servers>
    <${CLUSTER}>
      <shard><internal_replication>true</internal_replication><replica><host>localhost</host><port>9000</port></replica></shard>
      <shard><internal_replication>true</internal_replication><replica><host>127.0.0.2</host><port>9000</port></replica></shard>
    </${CLUSTER}>
  </remote_servers>
</clickhouse>
`)
const path = join(dir, 'clickhouse')
const require = createRequire(import.meta.url)
// The config is server configuration: it must be given when the embedded server starts, by the
// first session on this path; the client's connection then shares that server.
const { Session } = require('chdb') as { Session: new (path: string, o: { connectionArgs: string[] }) => { close(): void } }
const session = new Session(path, { connectionArgs: [`--config-file=${config}`] })
const { createChdbConnection } = require('chdb/connection') as { createChdbConnection(o: { path: string }): unknown }
// skip_unavailable_shards: shard 2 is an address where nothing listens.
const client: ClickHouseClient = createClient({ connection: createChdbConnection({ path }), clickhouse_settings: { ...CLUSTER_QUERY_SETTINGS, skip_unavailable_shards: 1 } } as Parameters<typeof createClient>[0])
t.teardown(async () => {
  // Replicated tables without a running Keeper keep the embedded server from shutting down.
  await client.command({ query: `DROP DATABASE IF EXISTS ${DB} SYNC` })
  await client.close()
  session.close()
})

async function rows<T>(query: string, settings: Record<string, string | number> = {}): Promise<T[]> {
  const rs = await client.query({ query, format: 'JSONEachRow', clickhouse_settings: settings })
  return rs.json<T>()
}

t.test('the cluster DDL creates replicated local tables, Distributed tables and the view', async (t) => {
  const clusters = await rows<{ shard_num: number; is_local: number }>(`SELECT shard_num, is_local FROM system.clusters WHERE cluster = '${CLUSTER}' ORDER BY shard_num`)
  t.same(clusters.map((c) => Number(c.is_local)), [1, 0], 'shard 1 is this process, shard 2 elsewhere')
  const creates = migrationStatements({ database: DB, ttlDays: 400, rejectsTtlDays: 30, cluster: CLUSTER }).map((s) => s.query).filter((q) => q.startsWith('CREATE'))
  for (const q of creates) await client.command({ query: q.replace(` ON CLUSTER ${CLUSTER}`, '') })
  const tables = await rows<{ name: string; engine: string }>(`SELECT name, engine FROM system.tables WHERE database = '${DB}' ORDER BY name`)
  const locals = tables.filter((r) => r.name.endsWith('_local'))
  t.equal(locals.length, 12)
  for (const l of locals) t.match(l.engine, /^Replicated(Replacing)?MergeTree$/, l.name)
  const replicas = await rows<{ table: string; zookeeper_path: string; replica_name: string }>(`SELECT table, zookeeper_path, replica_name FROM system.replicas WHERE database = '${DB}' ORDER BY table`)
  t.same(replicas.map((r) => [r.table, r.zookeeper_path, r.replica_name]), locals.map((l) => [l.name, `/clickhouse/tables/01/${DB}/${l.name}`, 'r1']), 'macros expanded: {shard}, {database}, {replica}')
  const dist = tables.filter((r) => r.engine === 'Distributed')
  t.same(dist.map((d) => `${d.name}_local`).sort(), locals.map((l) => l.name), 'one Distributed table per local table')
  t.ok(tables.some((r) => r.name === 'positions_latest_mv' && r.engine === 'MaterializedView'))
  const mv = await rows<{ q: string }>(`SELECT create_table_query AS q FROM system.tables WHERE database = '${DB}' AND name = 'positions_latest_mv'`)
  t.match(mv[0]!.q, new RegExp(`TO ${DB}.positions_latest_local[\\s\\S]*FROM ${DB}.positions_local`))
})

t.test('the engine\'s reads run on the Distributed tables with the cluster settings', async (t) => {
  // Without distributed_product_mode, ClickHouse refuses an IN subquery over a Distributed table
  // inside a query over another one, on a cluster of more than one shard.
  await t.rejects(rows(`SELECT count() FROM ${DB}.plan_events WHERE activation_id IN (SELECT activation_id FROM ${DB}.plan_events)`, { distributed_product_mode: 'deny' }), /Double-distributed|distributed_product_mode/i)
  t.same(await planEvents({ client, database: DB }, { from: 0, to: Date.now() }), [])
  const replay = replaySource({ client, database: DB })
  const cov = await replay.coverageAt(Date.now())
  t.same(cov.cells, [])
  t.same(await rows(`SELECT unit_id FROM ${DB}.positions_latest FINAL`), [])
})
