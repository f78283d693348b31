// The ClickHouse writer against the embedded engine: schema idempotent, rows as written, a re-sent
// segment stored once (deduplication token), bad rows isolated into rejects, failures sorted, visits recovered.
import t from 'tap'
import { join } from 'node:path'
import { pino } from 'pino'
import { latLngToCell } from 'h3-js'
import { validateConfig } from '../../../src/config/load.js'
import { openClickHouse, rawInserter } from '../../../src/store/clickhouse/client.js'
import { migrate, schemaStatements, ttlStatements } from '../../../src/store/clickhouse/schema.js'
import { createDeliver, origin } from '../../../src/store/clickhouse/deliver.js'
import { classifyFailure } from '../../../src/store/clickhouse/retry-policy.js'
import { RecordBuilder, positionRow, rejectRow, alertRow, alertsRecord, coverageRow, zoneStatsRow, groupByTable, cellDecimal } from '../../../src/journal/record.js'
import { geoToH3Order, recoverVisits } from '../../../src/store/clickhouse/recover.js'
import { createMetrics } from '../../../src/telemetry/metrics.js'
import type { Fix } from '../../../src/decode/fix.js'
import type { AlertEvent } from '../../../src/rules/alert-event.js'
import { tempDir } from '../../helpers/harness.js'
import { rows, count } from '../../helpers/clickhouse.js'

const dir = tempDir()
const config = validateConfig({ data_dir: dir, clickhouse: { ttl_days: 30 } })
const ch = openClickHouse(config)
const db = ch.database
const metrics = createMetrics({ defaults: false })
const logger = pino({ level: 'silent' })
t.teardown(() => ch.close())

function fix(unit: string, ts: number, lat = 36.49, lon = 117.86): Fix {
  return { unitId: unit, ts, receivedAt: ts + 50, lat, lon, h3: latLngToCell(lat, lon, 9), speed: 8.5, heading: null, accuracy: 5, altitude: null, battery: 80, seq: 7, source: 'native', topic: `fleet/${unit}/position`, flags: 0 }
}

t.test('schema is created and re-created idempotently; TTL follows config', async (t) => {
  t.equal(ch.target, 'embedded')
  t.ok(ch.where.startsWith(join(dir, 'clickhouse')) || ch.where.includes('clickhouse'))
  await migrate(ch.client, { database: db, ttlDays: 30, rejectsTtlDays: 30 })
  await migrate(ch.client, { database: db, ttlDays: 0, rejectsTtlDays: 0 })
  await migrate(ch.client, { database: db, ttlDays: 30, rejectsTtlDays: 30 })
  const tables = await rows<{ name: string }>(ch.client, `SELECT name FROM system.tables WHERE database = '${db}' ORDER BY name`)
  t.same(tables.map((r) => r.name), ['alerts', 'audit', 'bulletins', 'coverage', 'coverage_zones', 'incidents', 'integrity_signals', 'patrol_tasks', 'plan_events', 'positions', 'positions_latest', 'positions_latest_mv', 'rejects'])
  const ddl = await rows<{ q: string }>(ch.client, `SELECT create_table_query AS q FROM system.tables WHERE database = '${db}' AND name = 'positions'`)
  t.match(ddl[0]!.q, /TTL toDateTime\(ts\) \+ toIntervalDay\(30\)/)
  t.match(ddl[0]!.q, /ORDER BY \(unit_id, ts\)/)
  t.match(ddl[0]!.q, /non_replicated_deduplication_window = 10000/)
  t.ok(await ch.ping())
  t.equal(schemaStatements({ database: 'x', ttlDays: 0, rejectsTtlDays: 0 }).some((s) => s.includes('TTL toDateTime(ts)')), false, 'no positions TTL when ttl_days is 0')
  t.match(ttlStatements({ database: 'x', ttlDays: 0, rejectsTtlDays: 5 }).join('\n'), /positions REMOVE TTL[\s\S]*rejects MODIFY TTL/)
})

t.test('a segment is inserted once, even when delivered again', async (t) => {
  const deliver = createDeliver({ client: ch.client, database: db, instanceId: 'abcdef0123456789', logger, metrics })
  const now = Date.now()
  const rec = new RecordBuilder()
  for (let i = 0; i < 100; i++) rec.add('p', positionRow(fix(`P-${i % 5}`, now - 10_000 + i)))
  rec.add('r', rejectRow({ receivedAt: now, topic: 'fleet/x/position', unitId: 'x', reason: 'invalid_json', detail: 'bad', payload: '{' }))
  const records = [rec.build()]
  t.equal(await deliver({ id: 1 }, records), 'delivered')
  t.equal(await deliver({ id: 1 }, records), 'delivered', 'a retry after a crash')
  t.equal(await deliver({ id: 1 }, records), 'delivered')
  t.equal(await count(ch.client, db, 'positions'), 100, 'positions stored once')
  t.equal(await count(ch.client, db, 'rejects'), 1, 'rejects stored once')
  // Control: another segment id with the same rows is a different batch and is stored.
  t.equal(await deliver({ id: 2 }, records), 'delivered')
  t.equal(await count(ch.client, db, 'positions'), 200, 'control: a different token is not deduplicated')
  const stored = await rows<{ unit_id: string; h3: string; speed: number; heading: number | null }>(ch.client, `SELECT unit_id, h3ToString(h3) AS h3, speed, heading FROM ${db}.positions LIMIT 1`)
  t.equal(stored[0]!.h3, latLngToCell(36.49, 117.86, 9))
  t.equal(stored[0]!.heading, null, 'absent optional field stays NULL')
  const latest = await rows<{ c: string }>(ch.client, `SELECT count() AS c FROM ${db}.positions_latest FINAL`)
  t.equal(Number(latest[0]!.c), 5, 'one latest row per unit')
  t.equal(await geoToH3Order(ch), 'lat_lon', 'this ClickHouse takes geoToH3(lat, lon)')
  t.equal(await geoToH3Order(ch, { geotoh3_argument_order: 'lon_lat' }), 'lon_lat', 'an older server\'s order (lon, lat) is detected')
})

t.test('bad rows are isolated by bisection and stored as sink_rejected; neighbours land', async (t) => {
  const before = await count(ch.client, db, 'positions')
  const beforeRejects = await count(ch.client, db, 'rejects')
  const deliver = createDeliver({ client: ch.client, database: db, instanceId: 'abcdef0123456789', logger, metrics })
  const good = Array.from({ length: 9 }, (_, i) => positionRow(fix('B-1', Date.now() - 5000 + i)))
  const bad = good[0]!.replace(/"lat":[^,]+/, '"lat":"not-a-number"')
  const text = [...good.slice(0, 4), bad, ...good.slice(4)].map((r) => `p\t${r}\n`).join('')
  t.equal(await deliver({ id: 3 }, [Buffer.from(text)]), 'delivered')
  t.equal(await count(ch.client, db, 'positions'), before + 9, 'all good neighbours stored')
  const rej = await rows<{ reason: string; payload: string; topic: string; unit_id: string }>(ch.client, `SELECT reason, payload, topic, unit_id FROM ${db}.rejects WHERE reason = 'sink_rejected'`)
  t.equal(rej.length, 1, 'exactly the bad row went to rejects')
  t.match(rej[0]!.payload, /not-a-number/)
  t.equal(rej[0]!.unit_id, 'B-1', 'the reject keeps the unit id of the refused row')
  t.equal(rej[0]!.topic, 'fleet/B-1/position', 'and its topic')
  t.equal(await count(ch.client, db, 'rejects'), beforeRejects + 1)
  // A bad reject row itself cannot go anywhere: the segment is reported rejected.
  const badReject = `r\t{"received_at":"never","topic":1}\n`
  t.same(origin('{"topic":1,"unit_id":null}'), { topic: '', unitId: '' }, 'fields that are not strings are not taken')
  t.same(origin('{"topic":"a/b"'), { topic: '', unitId: '' }, 'a row that does not parse has no origin')
  t.same(origin('null'), { topic: '', unitId: '' })
  t.equal(await deliver({ id: 4 }, [Buffer.from(badReject)]), 'rejected')
})

t.test('embedded direct insert (chdb raw insert): a re-sent segment stored once, bad rows isolated', async (t) => {
  t.ok(ch.insertJsonLines, 'the embedded engine has the direct path')
  const deliver = createDeliver({ client: ch.client, insertJsonLines: ch.insertJsonLines, database: db, instanceId: 'fedcba9876543210', logger, metrics })
  const mine = () => rows<{ n: string }>(ch.client, `SELECT count() AS n FROM ${db}.positions WHERE unit_id LIKE 'RAW-%'`).then((r) => Number(r[0]!.n))
  const now = Date.now()
  const rec = new RecordBuilder()
  for (let i = 0; i < 50; i++) rec.add('p', positionRow(fix(`RAW-${i % 5}`, now - 10_000 + i)))
  t.equal(await deliver({ id: 1 }, [rec.build()]), 'delivered')
  t.equal(await deliver({ id: 1 }, [rec.build()]), 'delivered', 'a retry after a crash')
  t.equal(await mine(), 50, 'stored once (insert_deduplication_token honoured)')
  const beforeRejects = await count(ch.client, db, 'rejects')
  const good = Array.from({ length: 5 }, (_, i) => positionRow(fix('RAW-9', now - 5000 + i)))
  const bad = good[0]!.replace(/"lat":[^,]+/, '"lat":"not-a-number"')
  const text = [...good.slice(0, 2), bad, ...good.slice(2)].map((r) => `p\t${r}\n`).join('')
  t.equal(await deliver({ id: 2 }, [Buffer.from(text)]), 'delivered')
  t.equal(await mine(), 55, 'the good neighbours stored')
  t.equal(await count(ch.client, db, 'rejects'), beforeRejects + 1, 'the bad row in rejects: its parse error was sorted as permanent')
})

t.test('rawInserter: a failure carries ClickHouse\'s numeric code, so it is sorted like the HTTP path\'s', async (t) => {
  const calls: unknown[] = []
  const ok = rawInserter({ rawInsert: async (p) => { calls.push(p) } }, 'hx')
  await ok('positions', Buffer.from('{}'), { insert_deduplicate: 1 })
  t.same(calls, [{ table: 'hx.positions', format: 'JSONEachRow', values: Buffer.from('{}'), settings: { insert_deduplicate: 1 } }])
  const parse = rawInserter({ rawInsert: async () => { throw Object.assign(new Error('Code: 27. Cannot parse input'), { code: 'CHDB_INSERT', clickhouseCode: 27 }) } }, 'hx')
  const err = await parse('positions', Buffer.from('x'), {}).catch((e: unknown) => e)
  t.match(err, { message: 'Code: 27. Cannot parse input', code: 27 })
  t.equal(classifyFailure(err), 'permanent')
  const odd = rawInserter({ rawInsert: async () => { throw 'gone' } }, 'hx') // eslint-disable-line no-throw-literal
  const err2 = await odd('positions', Buffer.from('x'), {}).catch((e: unknown) => e)
  t.match(err2, { message: 'gone' })
  t.equal(classifyFailure(err2), 'retriable', 'no code: retried')
})

t.test('alerts, coverage and zone stats rows are valid for their tables', async (t) => {
  const deliver = createDeliver({ client: ch.client, database: db, instanceId: 'abcdef0123456789', logger, metrics })
  const now = Date.now()
  const ev: AlertEvent = { eventId: 'al_1.opened', alertId: 'al_1', type: 'radius_breach.opened', kind: 'radius_breach', state: 'opened', subject: 'unit:P-1/post:s1', at: now, openedAt: now, unitId: 'P-1', unitName: 'P-1', unitKind: 'vehicle', postId: 's1', postName: 's1', position: { lat: 36.5, lon: 117.9, ts: now, accuracy: 5, h3: latLngToCell(36.5, 117.9, 9) }, distanceM: 1900, radiusM: 1500, summary: 'P-1 left its post' }
  const rec = new RecordBuilder()
  rec.add('c', coverageRow(now, { zoneId: 'g1', cell: latLngToCell(36.5, 117.9, 9), lat: 36.5, lon: 117.9, lastVisit: null, fresh: false }))
  rec.add('c', coverageRow(now, { zoneId: 'g1', cell: latLngToCell(36.51, 117.9, 9), lat: 36.51, lon: 117.9, lastVisit: now - 1000, fresh: true }))
  rec.add('z', zoneStatsRow(now, { zoneId: 'g1', ratio: 0.5, fresh: 1, cells: 2, responseRatio: null, liveUnits: 0 }))
  t.equal(await deliver({ id: 5 }, [rec.build(), alertsRecord([ev]), Buffer.from('garbage line\nx\ty\n')]), 'delivered')
  const a = await rows<{ kind: string; state: string; data: string }>(ch.client, `SELECT kind, state, data FROM ${db}.alerts`)
  t.equal(a.length, 1)
  t.same(JSON.parse(a[0]!.data).distanceM, 1900)
  t.equal(await count(ch.client, db, 'coverage'), 2)
  t.equal(await count(ch.client, db, 'coverage_zones'), 1)
  t.equal(alertRow(ev).includes('"unit_id":"P-1"'), true)
})

t.test('groupByTable splits lines and counts unknown ones', async (t) => {
  const { tables, unknown } = groupByTable([Buffer.from('p\t{"a":1}\nr\t{"b":2}\nq\t{}\n\nzz\np\t{"a":2}')])
  t.same(tables.get('positions'), ['{"a":1}', '{"a":2}'])
  t.same(tables.get('rejects'), ['{"b":2}'])
  t.equal(unknown, 2)
  t.equal(cellDecimal('8930a6b4557ffff'), BigInt('0x8930a6b4557ffff').toString())
  t.equal(cellDecimal('8930a6b4557ffff'), BigInt('0x8930a6b4557ffff').toString(), 'cached')
})

t.test('coverage visits are recovered from positions', async (t) => {
  const cfg = validateConfig({
    data_dir: dir,
    units: [{ id: 'P-0', zone: 'g1' }],
    zones: [{ id: 'g1', geometry: { type: 'Polygon', coordinates: [[[117.8, 36.4], [117.95, 36.4], [117.95, 36.6], [117.8, 36.6], [117.8, 36.4]]] } }, { id: 'g2', geometry: { type: 'Polygon', coordinates: [[[117.8, 36.4], [117.95, 36.4], [117.95, 36.6], [117.8, 36.4]]] }, coverage: { credit: 'any' } }, { id: 'g3', geometry: { type: 'Polygon', coordinates: [[[117.8, 36.4], [117.95, 36.4], [117.95, 36.6], [117.8, 36.4]]] } }],
  })
  // P-0 also reported from far away on network location (accuracy 800 m): the live rules would not credit that.
  const inaccurate = { ...fix('P-0', Date.now() - 60_000, 36.55, 117.9), accuracy: 800 }
  const deliver = createDeliver({ client: ch.client, database: db, instanceId: 'abcdef0123456789', logger, metrics })
  t.equal(await deliver({ id: 77 }, [Buffer.from(`p\t${positionRow(inaccurate)}\n`)]), 'delivered')
  for (const settings of [{}, { geotoh3_argument_order: 'lon_lat' }] as Array<Record<string, string>>) {
    const visits = await recoverVisits(ch, cfg, Date.now(), logger, settings)
    const g1 = visits.filter((v) => v.zoneId === 'g1')
    t.same(g1.map((v) => v.cell), [latLngToCell(36.49, 117.86, 9)], `own credit: only the zone units' cells, never the inaccurate fix's (${JSON.stringify(settings)})`)
    t.ok(visits.filter((v) => v.zoneId === 'g2').length >= 1, 'any credit: every unit')
    t.equal(visits.filter((v) => v.zoneId === 'g3').length, 0, 'a zone without units recovers nothing')
  }
  t.same(await recoverVisits(ch, validateConfig({ data_dir: dir }), Date.now(), logger), [], 'no zones: nothing to recover, no query')
})

t.test('failures are sorted into retriable and permanent', async (t) => {
  t.equal(classifyFailure(Object.assign(new Error('x'), { code: '27' })), 'permanent')
  t.equal(classifyFailure(Object.assign(new Error('x'), { code: '53' })), 'permanent')
  t.equal(classifyFailure(Object.assign(new Error('x'), { code: 'ECONNRESET' })), 'retriable')
  t.equal(classifyFailure(Object.assign(new Error('x'), { code: '252' })), 'retriable', 'TOO_MANY_PARTS is retried')
  t.equal(classifyFailure(new Error('timeout')), 'retriable')
  t.equal(classifyFailure(null), 'retriable')
})

t.test('an unreachable server is a retriable failure and reports health', async (t) => {
  const other = openClickHouse(validateConfig({ data_dir: dir, clickhouse: { url: 'http://127.0.0.1:1', request_timeout: '2s' } }))
  t.teardown(() => other.close())
  const health: boolean[] = []
  const deliver = createDeliver({ client: other.client, database: db, instanceId: 'abcdef0123456789', logger, metrics, onHealth: (up) => health.push(up) })
  t.equal(await deliver({ id: 9 }, [Buffer.from(`p\t${positionRow(fix('Z', Date.now()))}\n`)]), 'retriable')
  t.same(health, [false])
})

t.test('server target: URL without credentials, secrets from env', async (t) => {
  const h = openClickHouse(validateConfig({ data_dir: dir, clickhouse: { url: 'http://user:pw@127.0.0.1:1', password_env: 'CHPW' } }, undefined, { CHPW: 'x' }))
  t.equal(h.target, 'server')
  t.equal(h.where, 'http://127.0.0.1:1/')
  t.equal(await h.ping(), false, 'nothing listens on port 1')
  await h.close()
})

t.test('cluster mode positions(): rows under a stream-sequence token, a re-sent range stored once', async (t) => {
  const deliver = createDeliver({ client: ch.client, database: db, instanceId: 'abcdef0123456789', logger, metrics })
  const unit = 'CL-1'
  const now = Date.now()
  const batch = Array.from({ length: 20 }, (_, i) => positionRow(fix(unit, now - 60_000 + i)))
  const stored = () => rows<{ n: string }>(ch.client, `SELECT count() AS n FROM ${db}.positions WHERE unit_id = '${unit}'`).then((r) => Number(r[0]!.n))
  await deliver.positions(batch.slice(0, 10), 'hexpatrol-cluster:p3:0:10')
  t.equal(await stored(), 10)
  await deliver.positions(batch.slice(0, 10), 'hexpatrol-cluster:p3:0:10')
  t.equal(await stored(), 10, 'a new owner repeating the intent\'s range with the same token: stored once')
  await deliver.positions(batch.slice(10), 'hexpatrol-cluster:p3:10:20')
  t.equal(await stored(), 20, 'the next range')
  const bad = batch[0]!.replace(unit, 'CL-2').replace(/"lat":[^,]+/, '"lat":"nope"')
  const beforeRejects = await count(ch.client, db, 'rejects')
  await deliver.positions([positionRow(fix('CL-2', now)), bad], 'hexpatrol-cluster:p4:0:2')
  t.equal(Number((await rows<{ n: string }>(ch.client, `SELECT count() AS n FROM ${db}.positions WHERE unit_id = 'CL-2'`))[0]!.n), 1, 'the good row stored')
  t.equal(await count(ch.client, db, 'rejects'), beforeRejects + 1, 'the bad one in rejects (not retried)')
})

t.test('cluster mode positions(): ClickHouse away throws (the partition worker retries)', async (t) => {
  const other = openClickHouse(validateConfig({ data_dir: dir, clickhouse: { url: 'http://127.0.0.1:1', request_timeout: '2s' } }))
  t.teardown(() => other.close())
  const health: boolean[] = []
  const deliver = createDeliver({ client: other.client, database: db, instanceId: 'abcdef0123456789', logger, metrics, onHealth: (up) => health.push(up) })
  await t.rejects(deliver.positions([positionRow(fix('Z', Date.now()))], 'hexpatrol-cluster:p0:0:1'), /ClickHouse did not take the rows \(see the warning logged before\); they are retried/)
  t.same(health, [false])
})
