import t from 'tap'
import { Readable } from 'node:stream'
import { createClient, ClickHouseError, type ClickHouseClient } from '@clickhouse/client'
import { startClickHouseHttp, type ClickHouseHttp } from './clickhouse-http.js'
import { planRequest, settingLiteral, namedFormat, statusOf } from './clickhouse-http-plan.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startEngine, tempDir, waitFor } from './harness.js'
import { connect } from './publisher.js'
import { committedPositions } from './clickhouse.js'
import { engineProcess } from './engine-process.js'
import { freePort } from './mosquitto.js'

const zoneConfig = {
  units: [{ id: 'P-1', zone: 'g1' }],
  zones: [{ id: 'g1', geometry: { type: 'Polygon', coordinates: [[[117.85, 36.48], [117.87, 36.48], [117.87, 36.50], [117.85, 36.50], [117.85, 36.48]]] }, coverage: { max_interval: '30m' } }],
  rules: { tick: '200ms', allowed_lateness: '0s' },
}

t.test('a request maps to settings, database, statement, params and format as a server reads them', async (t) => {
  const q = new URLSearchParams([
    ['query_id', 'q1'], ['param_unit', "it\\'s"], ['insert_deduplication_token', 'tok'], ['wait_end_of_query', '1'],
    ['enable_http_compression', '1'], ['database', 'db'], ['query', 'INSERT INTO db.t FORMAT JSONEachRow'],
  ])
  const p = planRequest(q, Buffer.from('{"a":1}\n'))
  t.same(p.settings, [{ name: 'insert_deduplication_token', value: 'tok' }], 'interface parameters and HTTP-only settings are not SET')
  t.same(p.params, { unit: "it\\'s" }, 'param_* kept verbatim (already escaped text)')
  t.equal(p.database, 'db')
  t.equal(p.queryId, 'q1')
  t.ok(p.compress)
  t.same(p.insert?.prefix, 'INSERT INTO db.t FORMAT JSONEachRow', 'the rows stay apart from the statement')
  const s = planRequest(new URLSearchParams([['default_format', 'JSONEachRow']]), Buffer.from('SELECT 1 FORMAT JSON'))
  t.equal(s.statement, 'SELECT 1 FORMAT JSON', 'a body-only request is the statement')
  t.equal(s.format, 'JSON', 'the named format wins over default_format')
  t.equal(planRequest(new URLSearchParams(), Buffer.from('SELECT 1')).format, 'TabSeparated', 'TabSeparated by default, as on a server')
  t.equal(namedFormat('SELECT 1'), null)
  t.equal(settingLiteral('1'), '1')
  t.equal(settingLiteral("a'b"), "'a\\'b'")
  t.throws(() => planRequest(new URLSearchParams(), Buffer.alloc(0)), /Empty query/)
  t.throws(() => planRequest(new URLSearchParams([['bad-name', '1']]), Buffer.from('SELECT 1')), /UNKNOWN_SETTING/)
  t.equal(statusOf(60), 404)
  t.equal(statusOf(62), 400)
  t.equal(statusOf(999), 500)
})

t.test('@clickhouse/client against the test server: ping, DDL, deduplicated inserts, selects, errors', async (t) => {
  const ch: ClickHouseHttp = await startClickHouseHttp(t)
  // The engine's own client options (src/store/clickhouse/client.ts): compression both ways, keep-alive.
  const client: ClickHouseClient = createClient({
    url: ch.url,
    username: 'default',
    password: '',
    keep_alive: { enabled: true, idle_socket_ttl: 2500 },
    compression: { request: true, response: true },
    clickhouse_settings: { date_time_input_format: 'basic' },
  })
  t.teardown(() => client.close())

  t.same(await client.ping(), { success: true }, 'GET /ping')
  t.equal((await client.ping({ select: true })).success, true, 'ping as a SELECT')

  await client.command({ query: 'CREATE DATABASE IF NOT EXISTS hx' })
  await client.command({ query: "CREATE TABLE hx.p (unit_id String, ts DateTime64(3, 'UTC'), seq UInt64) ENGINE = MergeTree ORDER BY (unit_id, ts) SETTINGS non_replicated_deduplication_window = 1000" })

  // The way deliver.ts inserts: a raw JSONEachRow body under a deduplication token.
  const insert = async (rows: string[], token: string) => {
    const res = await client.exec({
      query: 'INSERT INTO hx.p FORMAT JSONEachRow',
      values: Readable.from([Buffer.from(rows.join('\n'))], { objectMode: false }),
      clickhouse_settings: { insert_deduplication_token: token, insert_deduplicate: 1, date_time_input_format: 'basic' },
    })
    res.stream.resume()
    await new Promise((r) => res.stream.once('end', r))
    return res.summary
  }
  const rows = ['{"unit_id":"u1","ts":"2026-01-01 00:00:00.000","seq":1}', '{"unit_id":"u1","ts":"2026-01-01 00:00:01.000","seq":2}']
  const first = await insert(rows, 'seg-1')
  t.equal(first?.written_rows, '2', 'X-ClickHouse-Summary carries the rows written')
  await insert(rows, 'seg-1')
  t.same(await ch.query('SELECT count() AS c FROM hx.p'), [{ c: 2 }], 'the same token twice: stored once')
  await insert(rows, 'seg-2')
  t.same(await ch.query('SELECT count() AS c FROM hx.p'), [{ c: 4 }], 'another token: stored again')
  // A setting lasts one request: the token is not left on the session for the next statement.
  t.same(await ch.query("SELECT getSetting('insert_deduplication_token') AS tok, getSetting('date_time_input_format') AS f"), [{ tok: '', f: 'best_effort' }], 'settings last one request (chdb defaults to best_effort)')
  await client.insert({ table: 'hx.p', values: [{ unit_id: 'u2', ts: '2026-01-01 00:00:02.000', seq: 3 }], format: 'JSONEachRow' })
  t.same(await ch.query("SELECT count() AS c FROM hx.p WHERE unit_id = 'u2'"), [{ c: 1 }], 'client.insert (values as objects)')

  const each = await client.query({
    query: 'SELECT unit_id, seq FROM hx.p WHERE unit_id = {unit:String} AND seq IN {seqs:Array(UInt64)} ORDER BY seq LIMIT {n:UInt32}',
    query_params: { unit: 'u1', seqs: [1, 2], n: 10 },
    format: 'JSONEachRow',
  })
  t.equal(each.response_headers['x-clickhouse-format'], 'JSONEachRow')
  t.same(await each.json(), [{ unit_id: 'u1', seq: '1' }, { unit_id: 'u1', seq: '1' }, { unit_id: 'u1', seq: '2' }, { unit_id: 'u1', seq: '2' }], 'JSONEachRow, 64-bit integers quoted by default as on a server')

  const json = await client.query({ query: 'SELECT count() AS c FROM hx.p', format: 'JSON', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })
  const body = await json.json<{ c: number }>()
  t.same(body.data, [{ c: 5 }], 'JSON with meta and data')
  t.equal(body.rows, 1)

  const odd = "it's a\ttab \\ and\nline"
  const echo = await client.query({ query: 'SELECT {s:String} AS s, {a:Array(String)} AS a', query_params: { s: odd, a: [odd, "q'"] }, format: 'JSONEachRow' })
  t.same(await echo.json(), [{ s: odd, a: [odd, "q'"] }], 'parameters bound from their escaped text, as a server binds them')

  const tsv = await client.query({ query: 'SELECT 1 AS a, 2 AS b', format: 'TabSeparatedWithNames' })
  t.equal(await tsv.text(), 'a\tb\n1\t2\n')

  const err = await client.query({ query: 'SELECT * FROM hx.nope', format: 'JSONEachRow' }).catch((e: unknown) => e)
  t.ok(err instanceof ClickHouseError, 'a failed statement raises ClickHouseError')
  t.equal((err as ClickHouseError).code, '60')
  t.equal((err as ClickHouseError).type, 'UNKNOWN_TABLE')
  const bad = await client.command({ query: 'SELEC 1' }).catch((e: unknown) => e)
  t.equal((bad as ClickHouseError).type, 'SYNTAX_ERROR', 'a syntax error too')
  const badRow = await insert(['{"unit_id":"u3","ts":"2026-01-01 00:00:00.000","seq":"not a number"}'], 'bad').catch((e: unknown) => e)
  t.ok(badRow instanceof ClickHouseError, 'a row ClickHouse refuses raises on the insert')

  // Several engines at once: three clients send the same five batches under the same tokens, all
  // in flight together (a new partition owner re-sending what the old one may have stored).
  await client.command({ query: 'CREATE TABLE hx.q (b UInt32, i UInt32) ENGINE = MergeTree ORDER BY (b, i) SETTINGS non_replicated_deduplication_window = 1000' })
  const clients = [0, 1, 2].map(() => createClient({ url: ch.url, compression: { request: true, response: true } }))
  t.teardown(() => Promise.all(clients.map((c) => c.close())))
  await Promise.all(clients.flatMap((c) => [0, 1, 2, 3, 4].map((b) => c.insert({
    table: 'hx.q',
    values: Array.from({ length: 10 }, (_, i) => ({ b, i })),
    format: 'JSONEachRow',
    clickhouse_settings: { insert_deduplication_token: `batch-${b}` },
  }))))
  t.same(await ch.query('SELECT count() AS c, uniqExact(b, i) AS u FROM hx.q'), [{ c: 50, u: 50 }], 'concurrent clients, same tokens: each batch stored once')

  const r = await fetch(`${ch.url}/?query=${encodeURIComponent('SELECT * FROM hx.nope')}`)
  t.equal(r.status, 404, 'an unknown table answers 404, as a server does')
  t.equal(r.headers.get('x-clickhouse-exception-code'), '60')
})

t.test('a real engine with clickhouse.url at the test server: migrates, stores fixes from MQTT, answers track and history', async (t) => {
  const ch = await startClickHouseHttp(t)
  const dataDir = tempDir()
  const db = 'hexpatrol_http'
  const h = await startEngine({ ...zoneConfig, clickhouse: { url: ch.url, database: db } }, { dataDir })
  t.teardown(() => h.engine.stop())
  t.equal(h.engine.testHandle().ch.target, 'server', 'the engine talks HTTP to it, as to a server')
  await waitFor(async () => (await h.engine.readiness()).clickhouse!.ok, 30_000, 200)
  const tables = await ch.query<{ name: string }>(`SELECT name FROM system.tables WHERE database = '${db}' ORDER BY name`)
  t.ok(['alerts', 'positions', 'rejects'].every((n) => tables.some((r) => r.name === n)), 'the schema was migrated over HTTP')
  const ddl = await ch.query<{ statement: string }>(`SHOW CREATE TABLE ${db}.positions`)
  t.match(ddl[0]?.statement, /non_replicated_deduplication_window = \d+/, 'positions keeps a deduplication window, so tokens count')

  const pub = await connect(h.mqttUrl, { clientId: `chhttp-${process.pid}` })
  const now = Date.now()
  for (let i = 0; i < 20; i++) await pub.publishAsync('fleet/P-1/position', JSON.stringify({ ts: now - 60_000 + i * 1000, lat: 36.485 + i * 0.0005, lon: 117.86, seq: i, ...(i === 19 ? { sos: true } : {}) }), { qos: 1 })
  await pub.endAsync()
  await waitFor(async () => (await committedPositions(h.engine.metrics)) >= 20, 60_000)
  t.same(await ch.query(`SELECT count() AS c, uniqExact(seq) AS u FROM ${db}.positions`), [{ c: 20, u: 20 }], 'every fix stored once')

  const auth = { authorization: `Bearer ${readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()}` }
  const track = await (await fetch(`${h.httpUrl}/api/v1/units/P-1/track?from=${now - 120_000}&to=${now}`, { headers: auth })).json() as { points: Array<{ ts: number; lat: number }> }
  t.equal(track.points.length, 20, 'the API\'s track read (query parameters bound over HTTP)')
  t.ok(track.points.every((p, i) => i === 0 || p.ts > track.points[i - 1]!.ts), 'in fix-time order')
  t.equal(track.points[0]?.ts, now - 60_000)
  const replay = await (await fetch(`${h.httpUrl}/api/v1/replay/positions?from=${now - 120_000}&to=${now}`, { headers: auth })).text()
  t.match(replay, /P-1/, 'replay of stored positions')

  // The SOS alert is stored by the alert sink and comes back from ClickHouse as history.
  await waitFor(async () => (await ch.query<{ c: number }>(`SELECT count() AS c FROM ${db}.alerts`))[0]!.c > 0, 60_000, 200)
  const history = await (await fetch(`${h.httpUrl}/api/v1/alerts?state=all&from=${now - 3_600_000}`, { headers: auth })).json() as { alerts: Array<{ kind: string; last: { unitId: string } }> }
  t.match(history.alerts, [{ kind: 'unit_sos', last: { unitId: 'P-1' } }], 'the alert history read')
  const warned = h.logs.filter((l) => Number(l.level) >= 40).map((l) => String(l.msg))
  t.same(warned.filter((m) => /ClickHouse/.test(m)), [], 'no ClickHouse call failed on the way')
})

t.test('two engine processes share the endpoint: both migrate the same database and store their own fixes', { timeout: 300_000 }, async (t) => {
  const ch = await startClickHouseHttp(t)
  const db = 'hexpatrol_shared'
  const engines = await Promise.all(['a', 'b'].map(async (name) => {
    const port = await freePort()
    const e = await engineProcess(tempDir(`hexp-chhttp-${name}-`), { clickhouse: { url: ch.url, database: db }, broker: { port }, journal: { segment_max_age: '250ms' } })
    t.teardown(() => e.stop())
    return { name, e, mqttUrl: `mqtt://127.0.0.1:${port}` }
  }))
  // Started together: both create the schema at once (IF NOT EXISTS, one statement at a time here).
  await Promise.all(engines.map((x) => x.e.start()))
  const now = Date.now()
  for (const x of engines) {
    const pub = await connect(x.mqttUrl, { clientId: `chhttp-pub-${x.name}` })
    for (let i = 0; i < 10; i++) await pub.publishAsync(`fleet/${x.name.toUpperCase()}-1/position`, JSON.stringify({ ts: now - 30_000 + i * 1000, lat: 36.485 + i * 0.0005, lon: 117.86, seq: i }), { qos: 1 })
    await pub.endAsync()
  }
  const counted = await waitFor(async () => {
    const r = await ch.query<{ unit_id: string; c: number }>(`SELECT unit_id, count() AS c FROM ${db}.positions GROUP BY unit_id ORDER BY unit_id`)
    return r.length === 2 && r.every((x) => x.c >= 10) ? r : false
  }, 60_000, 250)
  t.same(counted, [{ unit_id: 'A-1', c: 10 }, { unit_id: 'B-1', c: 10 }], 'each engine\'s fixes stored once, in the one shared database')
  for (const x of engines) t.equal((await x.e.readyz())?.status, 200, `engine ${x.name} ready (its ClickHouse is the shared endpoint)`)
})
