// The ClickHouse DDL for one server and for a cluster (clickhouse.cluster), as SQL text: one server
// byte-identical to the DDL of earlier releases (golden fixture), a cluster's statements all ON
// CLUSTER, replicated local tables behind Distributed ones, and every statement parsed by the
// embedded ClickHouse (EXPLAIN AST accepts ON CLUSTER DDL; no Keeper or remote_servers needed).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { validateConfig } from '../../../src/config/load.js'
import { openClickHouse } from '../../../src/store/clickhouse/client.js'
import { migrationStatements, DEDUP_WINDOW } from '../../../src/store/clickhouse/schema.js'
import { CLUSTER_DDL_SETTINGS, CLUSTER_QUERY_SETTINGS, SHARDING_KEYS, replicaPath } from '../../../src/store/clickhouse/ddl-dialect.js'
import { tempDir } from '../../helpers/harness.js'
import { rows } from '../../helpers/clickhouse.js'

const golden = JSON.parse(readFileSync(new URL('../../fixtures/clickhouse/single-node-ddl.json', import.meta.url), 'utf8')) as Record<string, string[]>
const DB = 'hexpatrol'
const CLUSTER = 'patrol_ch'
const queries = (o: { database: string; ttlDays: number; rejectsTtlDays: number; cluster?: string }) => migrationStatements(o).map((s) => s.query)
const cluster = queries({ database: DB, ttlDays: 400, rejectsTtlDays: 30, cluster: CLUSTER })
const single = queries({ database: DB, ttlDays: 400, rejectsTtlDays: 30 })

/** The table a CREATE TABLE statement creates (db.name), or null. */
const created = (q: string) => /^CREATE TABLE IF NOT EXISTS (\w+)\.(\w+)/.exec(q)?.[2] ?? null
/** A statement without its target and engine, to compare a local table with its one-server form. */
function body(q: string): string {
  return q.replace(/^CREATE TABLE IF NOT EXISTS \S+( ON CLUSTER \w+)? \(/, '(').replace(/ENGINE = .*\n/, 'ENGINE\n').replace(/SETTINGS .*$/s, '')
}

t.test('unset, the DDL is byte-identical to the one-server DDL of earlier releases', async (t) => {
  t.same(queries({ database: 'hexpatrol', ttlDays: 400, rejectsTtlDays: 30 }), golden['hexpatrol 400 30'])
  t.same(queries({ database: 'hp2', ttlDays: 0, rejectsTtlDays: 0 }), golden['hp2 0 0'])
  t.same(queries({ database: 'hp2', ttlDays: 0, rejectsTtlDays: 0, cluster: undefined }), golden['hp2 0 0'], 'an explicit undefined too')
  t.notOk(single.some((q) => /ON CLUSTER|Replicated|Distributed|_local/.test(q)))
})

t.test('on a cluster every statement runs ON CLUSTER', async (t) => {
  t.ok(cluster.length > 0)
  for (const q of cluster) t.match(q, new RegExp(`^(CREATE|ALTER) \\S+ (IF NOT EXISTS )?(VIEW IF NOT EXISTS )?\\S+ ON CLUSTER ${CLUSTER}\\b`), q.slice(0, 80))
  t.equal(cluster[0], `CREATE DATABASE IF NOT EXISTS ${DB} ON CLUSTER ${CLUSTER}`)
  t.notOk(cluster.some((q) => q.includes('non_replicated')), 'no non-replicated setting remains')
})

t.test('every local table is Replicated*MergeTree with {shard}/{replica}, the same table as on one server', async (t) => {
  const locals = cluster.filter((q) => created(q)?.endsWith('_local'))
  const singleTables = single.map(created).filter((n): n is string => n !== null)
  t.same(locals.map((q) => created(q)), singleTables.map((n) => `${n}_local`), 'one local table per one-server table, in order')
  for (const q of locals) {
    const name = created(q)!
    const base = name.replace(/_local$/, '')
    t.match(q, new RegExp(`ENGINE = Replicated(Replacing)?MergeTree\\('/clickhouse/tables/\\{shard\\}/\\{database\\}/${name}', '\\{replica\\}'(, \\w+)?\\)`), name)
    t.equal(replicaPath(base), `/clickhouse/tables/{shard}/{database}/${name}`)
    const one = single.find((s) => created(s) === base)!
    t.equal(body(q), body(one), `${name}: same columns, PARTITION BY, ORDER BY and TTL as ${base}`)
    // The engine family (and a ReplacingMergeTree's version column) is kept.
    const family = /ENGINE = (\w+)(?:\((\w+)\))?/.exec(one)!
    t.match(q, new RegExp(`ENGINE = Replicated${family[1]}\\(.*'\\{replica\\}'${family[2] === undefined ? '' : `, ${family[2]}`}\\)`), `${name}: ${family[0]}`)
    if (one.includes('deduplication_window')) t.match(q, new RegExp(`SETTINGS replicated_deduplication_window = ${DEDUP_WINDOW}, replicated_deduplication_window_seconds = \\d+`))
    if (one.includes('ttl_only_drop_parts')) t.match(q, /ttl_only_drop_parts = 1/)
  }
})

t.test('each Distributed table points at its local table, under the usual name, with a deterministic sharding key', async (t) => {
  const dist = cluster.filter((q) => q.includes('ENGINE = Distributed('))
  const locals = cluster.map(created).filter((n): n is string => n?.endsWith('_local') === true)
  t.equal(dist.length, locals.length)
  for (const local of locals) {
    const name = local.replace(/_local$/, '')
    const q = dist.find((d) => created(d) === name)
    t.ok(q, `${name} is Distributed`)
    t.equal(q, `CREATE TABLE IF NOT EXISTS ${DB}.${name} ON CLUSTER ${CLUSTER} AS ${DB}.${local} ENGINE = Distributed(${CLUSTER}, ${DB}, ${local}, ${SHARDING_KEYS[name]})`)
    t.ok(cluster.indexOf(q!) > cluster.findIndex((c) => created(c) === local), `${name} follows ${local}`)
    t.notMatch(SHARDING_KEYS[name]!, /rand|now|today/i, `${name}: a retried insert splits as the first did`)
  }
  t.equal(SHARDING_KEYS.positions_latest, SHARDING_KEYS.positions, 'a unit\'s latest row on the shard of its positions')
})

t.test('the materialized view and the ALTERs work on the local tables', async (t) => {
  const mv = cluster.find((q) => q.includes('MATERIALIZED VIEW'))!
  t.match(mv, `CREATE MATERIALIZED VIEW IF NOT EXISTS ${DB}.positions_latest_mv ON CLUSTER ${CLUSTER} TO ${DB}.positions_latest_local AS`)
  t.match(mv, `FROM ${DB}.positions_local WHERE flags = 0`)
  const alters = cluster.filter((q) => q.startsWith('ALTER'))
  t.same(alters, [
    `ALTER TABLE ${DB}.positions_local ON CLUSTER ${CLUSTER} MODIFY TTL toDateTime(ts) + INTERVAL 400 DAY`,
    `ALTER TABLE ${DB}.rejects_local ON CLUSTER ${CLUSTER} MODIFY TTL toDateTime(received_at) + INTERVAL 30 DAY`,
  ])
  t.same(queries({ database: DB, ttlDays: 0, rejectsTtlDays: 0, cluster: CLUSTER }).filter((q) => q.startsWith('ALTER')), [
    `ALTER TABLE ${DB}.positions_local ON CLUSTER ${CLUSTER} REMOVE TTL`,
    `ALTER TABLE ${DB}.rejects_local ON CLUSTER ${CLUSTER} REMOVE TTL`,
  ])
  t.same(migrationStatements({ database: DB, ttlDays: 0, rejectsTtlDays: 0, cluster: CLUSTER }).filter((s) => s.query.startsWith('ALTER')).map((s) => s.settings), [{ materialize_ttl_after_modify: 0, ...CLUSTER_DDL_SETTINGS }, { materialize_ttl_after_modify: 0, ...CLUSTER_DDL_SETTINGS }])
  for (const s of migrationStatements({ database: DB, ttlDays: 0, rejectsTtlDays: 0, cluster: CLUSTER })) t.equal(s.settings?.distributed_ddl_output_mode, 'throw_only_active', 'a host that is down does not stall start-up')
  t.notOk(migrationStatements({ database: DB, ttlDays: 0, rejectsTtlDays: 0 }).some((s) => s.settings?.distributed_ddl_output_mode !== undefined))
})

t.test('clickhouse.cluster: an identifier, and only with clickhouse.url', async (t) => {
  t.throws(() => validateConfig({ clickhouse: { cluster: CLUSTER } }), { code: 'HEXP_ERR_CONFIG', message: /clickhouse\.cluster: needs clickhouse\.url/ })
  t.throws(() => validateConfig({ clickhouse: { url: 'http://127.0.0.1:8123', cluster: 'patrol-ch; DROP' } }), { code: 'HEXP_ERR_CONFIG', message: /clickhouse\.cluster/ })
  t.throws(() => validateConfig({ clickhouse: { url: 'http://127.0.0.1:8123', cluster: '' } }), { code: 'HEXP_ERR_CONFIG', message: /clickhouse\.cluster/ })
  const c = validateConfig({ clickhouse: { url: 'http://127.0.0.1:8123', cluster: CLUSTER } })
  t.equal(c.clickhouse.cluster, CLUSTER)
  t.equal(validateConfig({}).clickhouse.cluster, undefined)
})

t.test('the embedded ClickHouse parses every statement, and knows every setting the cluster DDL uses', async (t) => {
  const ch = openClickHouse(validateConfig({ data_dir: tempDir() }))
  t.teardown(() => ch.close())
  const all = [...cluster, ...queries({ database: DB, ttlDays: 0, rejectsTtlDays: 0, cluster: CLUSTER }).filter((q) => q.startsWith('ALTER')), ...single]
  for (const q of all) {
    const ast = await rows<Record<string, string>>(ch.client, `EXPLAIN AST ${q}`)
    const text = ast.map((r) => Object.values(r).join('')).join('\n')
    t.match(text, q.startsWith('ALTER') ? /^AlterQuery/ : /^CreateQuery/, q.slice(0, 70))
    if (q.includes('ENGINE = Replicated')) t.match(text, /Function Replicated\w*MergeTree/)
    if (q.includes('ENGINE = Distributed')) t.match(text, /Function Distributed \(children 1\)\n\s+ExpressionList \(children 4\)/)
  }
  // A malformed statement fails, so the loop above checks something.
  await t.rejects(rows(ch.client, `EXPLAIN AST CREATE TABLE ${DB}.x ON CLUSTER ${CLUSTER} (a String ENGINE = MergeTree`), /Syntax error/)
  const mt = await rows<{ name: string }>(ch.client, `SELECT name FROM system.merge_tree_settings WHERE name IN ('replicated_deduplication_window', 'replicated_deduplication_window_seconds', 'ttl_only_drop_parts') ORDER BY name`)
  t.same(mt.map((r) => r.name), ['replicated_deduplication_window', 'replicated_deduplication_window_seconds', 'ttl_only_drop_parts'])
  // The per-query settings are known, and the values accepted (ClickHouse >= 23.10 names).
  const r = await ch.client.query({ query: 'SELECT getSetting(\'distributed_product_mode\') AS mode, getSetting(\'distributed_foreground_insert\') AS fg', format: 'JSONEachRow', clickhouse_settings: CLUSTER_QUERY_SETTINGS })
  t.same(await r.json(), [{ mode: 'global', fg: true }])
  const ddl = await ch.client.query({ query: 'SELECT getSetting(\'distributed_ddl_output_mode\') AS m', format: 'JSONEachRow', clickhouse_settings: { ...CLUSTER_DDL_SETTINGS } as Record<string, string> })
  t.same(await ddl.json(), [{ m: 'throw_only_active' }])
})

t.test('a server client sends the cluster settings with every request only when clickhouse.cluster is set', async (t) => {
  const seen: URLSearchParams[] = []
  const server = createServer((req, res) => {
    seen.push(new URL(req.url ?? '/', 'http://x').searchParams)
    req.resume()
    req.on('end', () => res.end(''))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  for (const cluster of [CLUSTER, undefined]) {
    const ch = openClickHouse(validateConfig({ data_dir: tempDir(), clickhouse: { url, ...(cluster === undefined ? {} : { cluster }) } }))
    await ch.client.command({ query: 'SELECT 1' })
    await ch.close()
    const p = seen.pop()!
    t.equal(p.get('distributed_foreground_insert'), cluster === undefined ? null : '1', `cluster ${cluster ?? 'unset'}`)
    t.equal(p.get('distributed_product_mode'), cluster === undefined ? null : 'global')
    t.equal(p.get('date_time_input_format'), 'basic')
  }
})
