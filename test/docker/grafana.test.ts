// The provisioned Grafana dashboard against the real schema: every ClickHouse panel query is
// expanded the way Grafana and the ClickHouse plugin expand it (variables, $__conditionalAll,
// backend macros) and executed on an embedded ClickHouse created by migrate(), with sample rows
// written by the engine's own row builders. A broken dashboard query fails here, not for a user.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { latLngToCell } from 'h3-js'
import { parse as parseYaml } from 'yaml'
import { migrate } from '../../src/store/clickhouse/schema.js'
import { alertRow, coverageRow, positionRow, rejectRow, zoneStatsRow } from '../../src/journal/record.js'
import type { AlertEvent, AlertKind, AlertState } from '../../src/rules/alert-event.js'
import type { Fix } from '../../src/decode/fix.js'
import { createMetrics } from '../../src/telemetry/metrics.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const docker = join(root, 'docker')
const DB = 'hexpatrol'

interface Target { refId: string; datasource?: { type?: string; uid?: string }; rawSql?: string; format?: number; queryType?: string; editorType?: string; expr?: string }
interface Panel { id: number; type: string; title: string; datasource?: { type?: string; uid?: string }; targets?: Target[]; panels?: Panel[]; options?: Record<string, unknown> }
interface Variable { name: string; type: string; query?: string; datasource?: { type?: string; uid?: string }; multi?: boolean; includeAll?: boolean }
interface Dashboard { uid: string; title: string; panels: Panel[]; templating: { list: Variable[] } }

const dashboard = JSON.parse(readFileSync(join(docker, 'grafana/dashboards/hexpatrol.json'), 'utf8')) as Dashboard
const datasources = (parseYaml(readFileSync(join(docker, 'grafana/provisioning/datasources/clickhouse.yaml'), 'utf8')) as {
  datasources: Array<{ uid: string; type: string; jsonData?: Record<string, unknown>; secureJsonData?: Record<string, unknown> }>
}).datasources
const CH_TYPE = 'grafana-clickhouse-datasource'
const chUid = datasources.find((d) => d.type === CH_TYPE)?.uid
const promUid = datasources.find((d) => d.type === 'prometheus')?.uid

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])])
}
const panels = allPanels(dashboard.panels)
const chPanels = panels.filter((p) => p.datasource?.type === CH_TYPE)
const promPanels = panels.filter((p) => p.datasource?.type === 'prometheus')

// ---------------------------------------------------------------------------------------------
// Expansion, in Grafana's order: the plugin's frontend applies $__conditionalAll, Grafana replaces
// template variables, then the plugin's backend expands $__ macros (pkg/macros/macros.go).

/** Arguments of the call whose '(' is at `open`, split on top-level commas; and the index after ')'. */
function macroArgs(sql: string, open: number): { args: string[]; end: number } {
  let depth = 0
  let quote: string | null = null
  const args: string[] = []
  let start = open + 1
  for (let i = open; i < sql.length; i++) {
    const c = sql[i]!
    if (quote !== null) {
      if (c === quote) quote = null
      continue
    }
    if (c === "'" || c === '"') quote = c
    else if (c === '(') depth++
    else if (c === ')') {
      depth--
      if (depth === 0) {
        args.push(sql.slice(start, i).trim())
        return { args, end: i + 1 }
      }
    } else if (c === ',' && depth === 1) {
      args.push(sql.slice(start, i).trim())
      start = i + 1
    }
  }
  throw new Error(`unbalanced parentheses after ${sql.slice(open, open + 40)}`)
}

/** Replaces every `$__name(args)` using fn; `name` may be followed only by '('. */
function replaceCalls(sql: string, name: string, fn: (args: string[]) => string): string {
  const token = `$__${name}(`
  for (let at = sql.lastIndexOf(token); at !== -1; at = sql.lastIndexOf(token)) {
    const { args, end } = macroArgs(sql, at + token.length - 1)
    sql = sql.slice(0, at) + fn(args) + sql.slice(end)
  }
  return sql
}

interface Selection { [variable: string]: string[] | 'all' }

function conditionalAll(sql: string, selection: Selection): string {
  return replaceCalls(sql, 'conditionalAll', (args) => {
    if (args.length !== 2) throw new Error(`$__conditionalAll takes 2 arguments, got ${args.length}`)
    const v = selection[args[1]!.replace(/^\$/, '')]
    return v === 'all' || v === undefined || v.length === 0 ? '1=1' : args[0]!
  })
}

function formatValues(values: string[], format: string | undefined): string {
  switch (format) {
    case undefined:
    case 'raw':
    case 'csv':
      return values.join(',')
    case 'singlequote':
      return values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',')
    case 'doublequote':
      return values.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',')
    case 'sqlstring':
      return values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',')
    default:
      throw new Error(`variable format :${format} is not handled by this test`)
  }
}

function templateVariables(sql: string, values: Record<string, string[]>): string {
  return sql.replace(/\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]|\$(?!__)(\w+)/g, (whole, a: string | undefined, fmt: string | undefined, b: string | undefined, c: string | undefined) => {
    const name = (a ?? b ?? c)!
    const v = values[name]
    if (v === undefined) throw new Error(`unknown template variable ${whole}`)
    return formatValues(v, fmt)
  })
}

interface Range { fromMs: number; toMs: number; intervalMs: number }

function backendMacros(sql: string, r: Range): string {
  const one = (name: string, args: string[]): string => {
    if (args.length !== 1) throw new Error(`$__${name} takes 1 argument, got ${args.length}`)
    return args[0]!
  }
  const dt = (ms: number) => `toDateTime(${Math.floor(ms / 1000)})`
  const dt64 = (ms: number) => `fromUnixTimestamp64Milli(${ms})`
  const day = (ms: number) => `toDate('${new Date(ms).toISOString().slice(0, 10)}')`
  const sec = Math.max(Math.floor(r.intervalMs / 1000), 1)
  sql = replaceCalls(sql, 'timeFilter_ms', (a) => { const c = one('timeFilter_ms', a); return `${c} >= ${dt64(r.fromMs)} AND ${c} <= ${dt64(r.toMs)}` })
  sql = replaceCalls(sql, 'timeFilter', (a) => { const c = one('timeFilter', a); return `${c} >= ${dt(r.fromMs)} AND ${c} <= ${dt(r.toMs)}` })
  sql = replaceCalls(sql, 'dateFilter', (a) => { const c = one('dateFilter', a); return `${c} >= ${day(r.fromMs)} AND ${c} <= ${day(r.toMs)}` })
  sql = replaceCalls(sql, 'timeInterval_ms', (a) => `toStartOfInterval(toDateTime64(${one('timeInterval_ms', a)}, 3), INTERVAL ${Math.max(r.intervalMs, 1)} millisecond)`)
  sql = replaceCalls(sql, 'timeInterval', (a) => `toStartOfInterval(toDateTime(${one('timeInterval', a)}), INTERVAL ${sec} second)`)
  return sql
    .replace(/\$__fromTime_ms\b/g, dt64(r.fromMs))
    .replace(/\$__toTime_ms\b/g, dt64(r.toMs))
    .replace(/\$__fromTime\b/g, dt(r.fromMs))
    .replace(/\$__toTime\b/g, dt(r.toMs))
    .replace(/\$__interval_s\b/g, String(sec))
}

function expand(sql: string, selection: Selection, allValues: Record<string, string[]>, range: Range): string {
  const values: Record<string, string[]> = {}
  for (const [name, all] of Object.entries(allValues)) {
    const sel = selection[name]
    values[name] = sel === undefined || sel === 'all' ? all : sel
  }
  const out = backendMacros(templateVariables(conditionalAll(sql, selection), values), range)
  if (out.includes('$')) throw new Error(`unexpanded macro or variable left in:\n${out}`)
  return out
}

// ---------------------------------------------------------------------------------------------

t.test('expansion follows Grafana and the ClickHouse plugin', async (t) => {
  const r: Range = { fromMs: 1_700_000_000_000, toMs: 1_700_003_600_500, intervalMs: 30_000 }
  const all = { zone: ['a', 'b'], database: [DB] }
  t.equal(expand('SELECT 1 FROM ${database}.t WHERE $__timeFilter_ms(ts)', {}, all, r),
    'SELECT 1 FROM hexpatrol.t WHERE ts >= fromUnixTimestamp64Milli(1700000000000) AND ts <= fromUnixTimestamp64Milli(1700003600500)')
  t.equal(expand('$__timeInterval_ms(ts) $__interval_s $__timeInterval(at) $__timeFilter(at)', {}, all, r),
    'toStartOfInterval(toDateTime64(ts, 3), INTERVAL 30000 millisecond) 30 toStartOfInterval(toDateTime(at), INTERVAL 30 second) at >= toDateTime(1700000000) AND at <= toDateTime(1700003600)')
  t.equal(expand('$__fromTime $__toTime $__fromTime_ms $__toTime_ms $__dateFilter(d)', {}, all, r),
    "toDateTime(1700000000) toDateTime(1700003600) fromUnixTimestamp64Milli(1700000000000) fromUnixTimestamp64Milli(1700003600500) d >= toDate('2023-11-14') AND d <= toDate('2023-11-14')")
  const cond = 'WHERE $__conditionalAll(z IN (${zone:singlequote}), $zone)'
  t.equal(expand(cond, { zone: 'all' }, all, r), 'WHERE 1=1')
  t.equal(expand(cond, { zone: [] }, all, r), 'WHERE 1=1')
  t.equal(expand(cond, { zone: ["o'k"] }, all, r), "WHERE z IN ('o\\'k')")
  t.equal(expand('${zone} [[zone]] ${zone:csv} ${zone:raw} ${zone:doublequote} ${zone:sqlstring} $zone', {}, all, r),
    'a,b a,b a,b a,b "a","b" \'a\',\'b\' a,b')
  t.equal(expand("SELECT ')' AS p, \"(\" AS q FROM t WHERE $__timeFilter(f(x, ')'))", {}, all, { ...r, intervalMs: 0 }),
    "SELECT ')' AS p, \"(\" AS q FROM t WHERE f(x, ')') >= toDateTime(1700000000) AND f(x, ')') <= toDateTime(1700003600)")
  t.throws(() => expand('${nope}', {}, all, r), /unknown template variable/)
  t.throws(() => expand('${zone:json}', {}, all, r), /not handled/)
  t.throws(() => expand('$__timeFilter_ms(a, b)', {}, all, r), /takes 1 argument/)
  t.throws(() => expand('$__conditionalAll(a)', {}, all, r), /takes 2 arguments/)
  t.throws(() => expand('$__timeFilter(a', {}, all, r), /unbalanced/)
  t.throws(() => expand('$__unknownMacro', {}, all, r), /unexpanded/)
})

t.test('dashboard structure: datasources, formats, panel expectations', async (t) => {
  t.ok(chUid, 'a ClickHouse datasource is provisioned')
  t.ok(promUid, 'a Prometheus datasource is provisioned')
  const ch = datasources.find((d) => d.type === CH_TYPE)!
  t.match(ch.jsonData, { host: 'clickhouse', port: 8123, protocol: 'http', defaultDatabase: DB, username: 'grafana' })
  t.equal(ch.secureJsonData?.password, '$CLICKHOUSE_GRAFANA_PASSWORD', 'password comes from the environment, not the file')
  const uids = new Set(datasources.map((d) => d.uid))
  t.equal(uids.size, datasources.length, 'datasource uids are unique')
  t.ok(dashboard.uid && dashboard.title, 'the dashboard has a uid and a title')
  const ids = panels.map((p) => p.id)
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique')

  for (const p of panels) {
    if (p.type === 'row') continue
    t.ok(p.datasource?.uid !== undefined && uids.has(p.datasource.uid), `${p.title}: datasource uid ${p.datasource?.uid} is provisioned`)
    t.ok((p.targets ?? []).length > 0, `${p.title}: has queries`)
    for (const q of p.targets ?? []) {
      const uid = q.datasource?.uid ?? p.datasource?.uid
      t.ok(uid !== undefined && uids.has(uid), `${p.title}/${q.refId}: datasource uid ${uid} is provisioned`)
      t.equal(q.datasource?.type ?? p.datasource?.type, p.datasource?.type, `${p.title}/${q.refId}: same datasource type as the panel`)
    }
  }
  for (const v of dashboard.templating.list) {
    if (v.type === 'query') t.ok(v.datasource?.uid !== undefined && uids.has(v.datasource.uid), `variable ${v.name}: datasource is provisioned`)
  }

  for (const p of chPanels) {
    for (const q of p.targets ?? []) {
      t.equal(q.editorType, 'sql', `${p.title}: SQL editor`)
      t.type(q.rawSql, 'string', `${p.title}: rawSql`)
      // Plugin formats: 0 time series, 1 table, 2 logs, 3 traces, 4 multi.
      const expected = p.type === 'timeseries' ? { format: 0, queryType: 'timeSeries' } : { format: 1, queryType: 'table' }
      t.match(q, expected, `${p.title}: format ${expected.format} / queryType ${expected.queryType}`)
    }
  }
  // What the brief asks of the dashboard: these panels exist, on the expected tables.
  const sqlOf = (p: Panel) => (p.targets ?? []).map((q) => q.rawSql ?? q.expr ?? '').join('\n')
  const find = (type: string, re: RegExp) => panels.filter((p) => p.type === type && re.test(sqlOf(p)))
  t.ok(find('geomap', /positions_latest FINAL/).length === 1, 'geomap of latest positions')
  t.ok(find('geomap', /\.coverage\b(?!_)/).length === 1, 'coverage map')
  t.ok(find('timeseries', /\.positions\b(?!_)/).length === 1, 'fixes over time')
  t.ok(find('timeseries', /\.rejects\b[\s\S]*reason/).length === 1, 'rejects by reason')
  t.ok(find('table', /argMax\(state, at\)[\s\S]*!= 'resolved'/).length === 1, 'open alerts table')
  t.ok(find('timeseries', /concat\(kind, '\.', state\)[\s\S]*\.alerts\b/).length === 1, 'alert transitions')
  t.ok(find('timeseries', /avg\(ratio\)/).length === 1, 'coverage ratio per zone')
  t.ok(find('timeseries', /avg\(response_ratio\)/).length === 1, 'response ratio per zone')
  t.ok(find('timeseries', /rate\(hexpatrol_fixes_accepted_total\[1m\]\)/).length >= 1, 'ingest rate from Prometheus')
  t.ok(find('timeseries', /histogram_quantile\(0\.5,[\s\S]*histogram_quantile\(0\.99,/).length === 1, 'lag p50 and p99')
  for (const p of panels.filter((x) => x.type === 'geomap')) {
    const layers = (p.options?.layers ?? []) as Array<{ location?: { mode?: string } }>
    t.ok(layers.length > 0 && layers.every((l) => l.location?.mode === 'auto'), `${p.title}: markers located from latitude/longitude`)
  }
})

t.test('Prometheus panel queries use only metrics the engine exports', async (t) => {
  const m = createMetrics()
  const names = new Set((await m.registry.getMetricsAsJSON()).map((x) => x.name))
  const exprs = promPanels.flatMap((p) => (p.targets ?? []).map((q) => ({ where: `${p.title}/${q.refId}`, expr: q.expr ?? '' })))
  t.ok(exprs.length >= 4, 'there are Prometheus panels')
  for (const { where, expr } of exprs) {
    const used = expr.match(/hexpatrol_[a-z0-9_]+/g) ?? []
    t.ok(used.length > 0, `${where}: queries a hexpatrol metric`)
    for (const u of used) t.ok(names.has(u.replace(/_(bucket|sum|count)$/, '')), `${where}: ${u} is exported`)
  }
})

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).error === undefined

t.test('Prometheus panel queries parse (promtool)', { skip: promtool ? false : 'promtool is not installed (apt-get install prometheus): PromQL syntax not checked' }, async (t) => {
  const exprs = promPanels.flatMap((p) => (p.targets ?? []).map((q) => ({ where: `${p.title}/${q.refId}`, expr: q.expr ?? '' })))
  // promtool has no bare-expression check: wrap every panel expression in a recording rule.
  const dir = mkdtempSync(join(tmpdir(), 'hexp-'))
  const file = join(dir, 'dashboard-rules.yml')
  const rules = exprs.map((e, i) => ({ record: `dashboard:expr_${i}`, expr: e.expr.replace(/\$__rate_interval/g, '1m') }))
  writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }))
  const res = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' })
  t.equal(res.status, 0, `every panel expression parses: ${res.stdout}${res.stderr}`)
})

// ---------------------------------------------------------------------------------------------

async function query(client: ClickHouseClient, sql: string): Promise<{ meta: Array<{ name: string; type: string }>; data: Array<Record<string, unknown>> }> {
  const rs = await client.query({ query: sql, format: 'JSON', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })
  return (await rs.json()) as unknown as { meta: Array<{ name: string; type: string }>; data: Array<Record<string, unknown>> }
}

async function insertRows(client: ClickHouseClient, table: string, rows: string[]): Promise<void> {
  await client.insert({ table: `${DB}.${table}`, values: rows.map((r) => JSON.parse(r) as unknown), format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'basic' } })
}

function fix(unitId: string, ts: number, lat: number, lon: number, flags = 0): Fix {
  return {
    unitId, ts, receivedAt: ts + 400, lat, lon, h3: latLngToCell(lat, lon, 9), speed: 8.5, heading: 90, accuracy: 6,
    altitude: null, battery: 77, seq: null, source: 'native', topic: `fleet/${unitId}/position`, flags,
  }
}

function alert(id: string, kind: AlertKind, state: AlertState, at: number, openedAt: number, extra: Partial<AlertEvent> = {}): AlertEvent {
  return { eventId: `${id}.${state}`, alertId: id, type: `${kind}.${state}`, kind, state, subject: `unit:${id}`, at, openedAt, summary: `${kind} ${state}`, ...extra } as AlertEvent
}

t.test('every ClickHouse panel query runs on the real schema and returns what its panel needs', async (t) => {
  const path = mkdtempSync(join(tmpdir(), 'hexp-'))
  const { createChdbConnection } = createRequire(import.meta.url)('chdb/connection') as { createChdbConnection(o: { path: string }): unknown }
  const client = createClient({ connection: createChdbConnection({ path }) } as Parameters<typeof createClient>[0])
  t.teardown(() => client.close())
  await migrate(client, { database: DB, ttlDays: 400, rejectsTtlDays: 30 })

  const now = Date.now()
  const min = 60_000
  // Positions: three units over the last hour; P-003's newest fix is flagged, so it is not "latest".
  const positions: string[] = []
  for (let i = 0; i < 30; i++) {
    positions.push(positionRow(fix('P-001', now - 60 * min + i * 2 * min, 36.47 + i * 1e-4, 117.81)))
    positions.push(positionRow(fix('P-002', now - 60 * min + i * 2 * min, 36.48, 117.85 + i * 1e-4)))
  }
  positions.push(positionRow(fix('P-003', now - 20 * min, 36.5, 117.9)))
  positions.push(positionRow(fix('P-003', now - 10 * min, 36.9, 118.5, 1)))
  await insertRows(client, 'positions', positions)
  await insertRows(client, 'rejects', [
    rejectRow({ receivedAt: now - 30 * min, topic: 'fleet/P-001/position', unitId: 'P-001', reason: 'invalid_json', detail: 'Unexpected token', payload: '{' }),
    rejectRow({ receivedAt: now - 29 * min, topic: 'fleet/P-002/position', unitId: 'P-002', reason: 'lat_out_of_range', detail: 'lat 91', payload: '{"lat":91}' }),
    rejectRow({ receivedAt: now - 28 * min, topic: 'fleet/P-002/position', unitId: 'P-002', reason: 'lat_out_of_range', detail: 'lat 95', payload: '{"lat":95}' }),
  ])
  const zoneExtra = { zoneId: 'grid-1', ratio: 0.42 }
  await insertRows(client, 'alerts', [
    alertRow(alert('a-open', 'radius_breach', 'opened', now - 50 * min, now - 50 * min, { unitId: 'P-001', position: { lat: 36.47, lon: 117.81, ts: now - 50 * min, accuracy: 5, h3: latLngToCell(36.47, 117.81, 9) } })),
    alertRow(alert('a-acked', 'coverage_gap', 'opened', now - 40 * min, now - 40 * min, zoneExtra)),
    alertRow(alert('a-acked', 'coverage_gap', 'acknowledged', now - 35 * min, now - 40 * min, { ...zoneExtra, acknowledgedBy: 'desk' })),
    alertRow(alert('a-done', 'unit_silent', 'opened', now - 30 * min, now - 30 * min, { unitId: 'P-003' })),
    alertRow(alert('a-done', 'unit_silent', 'resolved', now - 20 * min, now - 30 * min, { unitId: 'P-003' })),
  ])
  // Coverage: two snapshots; the newer one has one more fresh cell in grid-1.
  const cells = ['grid-1', 'grid-2'].flatMap((zoneId, z) => [0, 1, 2].map((k) => ({ zoneId, cell: latLngToCell(36.47 + z * 0.01, 117.81 + k * 0.004, 9) })))
  const snapshots = [now - 10 * min, now - 5 * min]
  const coverage: string[] = []
  const zones: string[] = []
  for (const [s, at] of snapshots.entries()) {
    for (const [i, c] of cells.entries()) {
      coverage.push(coverageRow(at, { ...c, lat: 36.47, lon: 117.81 + i * 0.004, lastVisit: i % 3 === 2 ? null : at - 5 * min, fresh: i % 3 === 0 || (s === 1 && i === 1) }))
    }
    zones.push(zoneStatsRow(at, { zoneId: 'grid-1', ratio: s === 0 ? 1 / 3 : 2 / 3, fresh: s + 1, cells: 3, responseRatio: 0.5, liveUnits: 2 }))
    zones.push(zoneStatsRow(at, { zoneId: 'grid-2', ratio: 1 / 3, fresh: 1, cells: 3, responseRatio: null, liveUnits: 0 }))
  }
  await insertRows(client, 'coverage', coverage)
  await insertRows(client, 'coverage_zones', zones)

  const range: Range = { fromMs: now - 6 * 60 * min, toMs: now + min, intervalMs: 60_000 }
  // Template variables: values come from their own queries, which must run too.
  const allValues: Record<string, string[]> = {}
  for (const v of dashboard.templating.list) {
    if (v.type === 'textbox' || v.type === 'constant') allValues[v.name] = [v.query ?? '']
  }
  t.same(allValues.database, [DB], 'the database variable defaults to hexpatrol')
  for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
    const res = await query(client, expand(v.query ?? '', {}, allValues, range))
    const col = res.meta[0]!.name
    allValues[v.name] = res.data.map((r) => String(r[col]))
  }
  t.same(allValues.zone, ['grid-1', 'grid-2'], 'the zone variable lists the zones with coverage data')

  const selections: Array<{ label: string; sel: Selection }> = [
    { label: 'all zones', sel: { zone: 'all' } },
    { label: 'zone grid-1', sel: { zone: ['grid-1'] } },
  ]
  const results = new Map<string, Array<Record<string, unknown>>>()
  for (const p of chPanels) {
    for (const q of p.targets ?? []) {
      for (const { label, sel } of selections) {
        const sql = expand(q.rawSql ?? '', sel, allValues, range)
        let res
        try {
          res = await query(client, sql)
        } catch (err) {
          t.fail(`${p.title}/${q.refId} (${label}) fails on ClickHouse: ${(err as Error).message}\n${sql}`)
          continue
        }
        const cols = res.meta.map((m) => m.name)
        if (p.type === 'timeseries') {
          t.equal(cols[0], 'time', `${p.title}: first column is time`)
          t.match(res.meta[0]!.type, /^DateTime/, `${p.title}: time is a DateTime`)
          t.ok(res.meta.slice(1).some((m) => /Int|Float|Decimal/.test(m.type)), `${p.title}: has a numeric value column`)
        }
        if (p.type === 'geomap') {
          for (const c of ['latitude', 'longitude']) {
            const m = res.meta.find((x) => x.name === c)
            t.ok(m && /Float/.test(m.type), `${p.title}: numeric ${c} column`)
          }
        }
        if (p.type === 'stat') t.equal(res.data.length, 1, `${p.title}: one row`)
        t.ok(res.data.length > 0, `${p.title} (${label}): returns rows on the sample data`)
        results.set(`${p.title}|${label}`, res.data)
      }
    }
  }

  // Spot-check meaning, not only syntax.
  const get = (title: string, label = 'all zones') => results.get(`${title}|${label}`) ?? []
  t.same(get('Latest positions').map((r) => r.unit_id), ['P-001', 'P-002', 'P-003'], 'one marker per unit')
  const p3 = get('Latest positions').find((r) => r.unit_id === 'P-003')
  t.equal(p3?.latitude, 36.5, 'a flagged fix never becomes the latest position')
  t.same(get('Open alerts').map((r) => r.alert_id).sort(), ['a-acked', 'a-open'], 'resolved alerts are not open')
  t.equal(get('Open alerts').find((r) => r.alert_id === 'a-acked')?.last_state, 'acknowledged')
  t.same(get('Open alerts (count)'), [{ open_alerts: 2 }], 'the open-alerts stat agrees with the table')
  const cov = get('Coverage map (latest snapshot)')
  t.equal(cov.length, 6, 'only the latest snapshot: 3 cells x 2 zones')
  t.equal(cov.filter((r) => r.fresh === 1).length, 3, 'fresh cells of the latest snapshot')
  t.equal(get('Coverage map (latest snapshot)', 'zone grid-1').length, 3, 'the zone filter applies')
  t.same(cov.map((r) => `${String(r.zone_id)}/${String(r.h3)}`).sort(), cells.map((c) => `${c.zoneId}/${c.cell}`).sort(), 'cells shown as h3-js ids')
  t.same([...new Set(get('Response ratio per zone').map((r) => r.zone_id))], ['grid-1'], 'zones without a response radius are left out')
  t.same([...new Set(get('Coverage ratio per zone', 'zone grid-1').map((r) => r.zone_id))], ['grid-1'])
  const rejects = get('Rejects by reason')
  t.equal(rejects.filter((r) => r.reason === 'lat_out_of_range').reduce((s, r) => s + Number(r.rejects), 0), 2)
  t.equal(Math.round(get('Fixes stored per second').reduce((s, r) => s + Number(r.fixes_per_s) * 60, 0)), 62, 'every stored fix is counted once')
  t.same(get('Units reporting (last 5 min)'), [{ units: 2 }], 'P-003 last reported 20 minutes ago')
  t.equal(get('Alert transitions').reduce((s, r) => s + Number(r.transitions), 0), 5, 'every transition is counted')
})

t.test('the maps work offline, and every panel says whether it needs a ClickHouse server', async (t) => {
  const compose = parseYaml(readFileSync(join(docker, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { environment?: Record<string, string> }> }
  const base = JSON.parse(compose.services.grafana!.environment!.GF_GEOMAP_DEFAULT_BASELAYER_CONFIG!) as { type: string; config: { url: string } }
  t.equal(base.type, 'xyz', 'Grafana\'s default base layer is set by the stack (not CARTO\'s online tiles)')
  t.match(base.config.url, /^data:image\/png;base64,[A-Za-z0-9+/=]+$/, 'one inline tile: no tile server asked')
  const png = Buffer.from(base.config.url.split(',')[1]!, 'base64')
  t.equal(png.subarray(1, 4).toString('latin1'), 'PNG', 'a PNG image')
  for (const p of panels.filter((x) => x.type === 'geomap')) {
    t.match(p.options?.basemap, { type: 'default' }, `${p.title}: the default base layer, which GF_GEOMAP_DEFAULT_BASELAYER_CONFIG sets`)
    t.match((p as { description?: string }).description, /GF_GEOMAP_DEFAULT_BASELAYER_CONFIG[\s\S]*WGS-84/, `${p.title}: says where its basemap comes from and in which datum`)
  }
  for (const p of panels) {
    const d = (p as { description?: string }).description ?? ''
    if (p.datasource?.type === CH_TYPE) t.match(d, /Needs a ClickHouse server \(clickhouse\.url\)/, `${p.title}: needs a ClickHouse server`)
    else t.match(d, /no ClickHouse server needed/, `${p.title}: works without one`)
  }
  t.match((dashboard as { description?: string }).description, /Needs a ClickHouse server/)
})
