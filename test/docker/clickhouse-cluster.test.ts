// docker/clickhouse/config.d/cluster.xml, checked without a ClickHouse server: the embedded engine
// loads it as server configuration and sees the cluster the engine's clickhouse.cluster names,
// one shard of one replica, and the {shard}/{replica} macros the local tables' paths use.
import t from 'tap'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers/harness.js'

const file = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docker', 'clickhouse', 'config.d', 'cluster.xml')
const require = createRequire(import.meta.url)
const { Session } = require('chdb') as { Session: new (path: string, o: { connectionArgs: string[] }) => { query(q: string, format: string): string; close(): void } }
const session = new Session(join(tempDir(), 'clickhouse'), { connectionArgs: [`--config-file=${file}`] })
t.teardown(() => session.close())

t.test('the cluster and macros are declared', async (t) => {
  t.equal(session.query(`SELECT shard_num, replica_num, host_name, port FROM system.clusters WHERE cluster = 'hexpatrol'`, 'TSV').trim(), '1\t1\tlocalhost\t9000')
  t.equal(session.query('SELECT macro, substitution FROM system.macros ORDER BY macro', 'TSV').trim(), 'replica\tch1\nshard\t01')
})
