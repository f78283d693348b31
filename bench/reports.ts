// The daily bulletin at the brief's volume: loads one local day of ~2.6 million fixes from 300
// units (a fix every 10 s, patrol walks with stops, jitter) plus a day of coverage snapshots into
// embedded ClickHouse, then times the whole bulletin (every query, the assembly, the insert) and
// reports the process's peak RSS (chdb runs in-process, so this includes ClickHouse).
// Usage: npx tsx bench/reports.ts [units=300] [interval_s=10] [runs=3]
import { latLngToCell } from 'h3-js'
import { pino } from 'pino'
import { loadConfig, validateConfig } from '../src/config/load.js'
import { openClickHouse } from '../src/store/clickhouse/client.js'
import { migrate } from '../src/store/clickhouse/schema.js'
import { cellToDecimalString } from '../src/geo/h3-index.js'
import { compileDeployment } from '../src/rules/deployment.js'
import { createReports } from '../src/reports/index.js'
import { clickHouseReportQueries } from '../src/store/clickhouse/report-queries.js'
import { periodNamed } from '../src/reports/periods.js'
import { rng } from '../test/helpers/workload.js'
import { tempDir } from '../test/helpers/harness.js'
import { median, table } from './lib/measure.js'

const units = Number(process.argv[2] ?? 300)
const intervalS = Number(process.argv[3] ?? 10)
const runs = Number(process.argv[4] ?? 3)
const base = loadConfig({ path: 'config/hexpatrol.yaml', env: {} }).config
const posts = base.posts
const zones = base.zones
const raw = {
  data_dir: tempDir('hexp-bench-reports-'),
  posts: posts.map((p) => ({ id: p.id, lat: p.lat, lon: p.lon, radius_m: p.radius_m })),
  zones: zones.map((z) => ({ id: z.id, name: z.name, geometry: z.geometry, coverage: { min_ratio: z.coverage.min_ratio, priority_cells: z.coverage.priority_cells.map((c) => ({ name: c.name, lat: c.lat, lon: c.lon, max_interval: `${c.max_interval / 1000}s` })) } })),
  units: Array.from({ length: units }, (_, i) => ({ id: `U-${String(i).padStart(3, '0')}`, kind: i % 3 === 0 ? 'officer' : 'vehicle', post: posts[i % posts.length]!.id, zone: zones[i % zones.length]!.id })),
}
const config = validateConfig(raw)
const dep = compileDeployment(config)
const ch = openClickHouse(config)
const db = { client: ch.client, database: ch.database }
const queries = clickHouseReportQueries(db)
await migrate(ch.client, { database: ch.database, ttlDays: 0, rejectsTtlDays: 0 })

const period = periodNamed('daily', { timezone: 'Asia/Shanghai', dailyAt: '08:00', weeklyOn: 'monday' }, '2026-11-30')!
const rnd = rng(42)
const t0 = performance.now()
let fixes = 0
let chunk: unknown[] = []
const flush = async () => {
  if (chunk.length === 0) return
  await ch.client.insert({ table: `${ch.database}.positions`, values: chunk, format: 'JSONEachRow' })
  chunk = []
}
for (const u of config.units) {
  const post = posts.find((p) => p.id === u.post)!
  let lat = post.lat
  let lon = post.lon
  let heading = rnd() * 2 * Math.PI
  let parkedUntil = 0
  for (let ts = period.from; ts < period.to; ts += intervalS * 1000) {
    if (ts >= parkedUntil) {
      if (rnd() < 0.002) parkedUntil = ts + (5 + rnd() * 40) * 60_000
      heading += (rnd() - 0.5) * 0.6
      const step = (u.kind === 'officer' ? 1.3 : 8) * intervalS / 111_000
      lat += Math.cos(heading) * step
      lon += Math.sin(heading) * step / 0.8
      // Stay near the post: turn back beyond its radius.
      if (Math.hypot(lat - post.lat, (lon - post.lon) * 0.8) * 111_000 > post.radius_m) heading += Math.PI
    }
    const jl = lat + (rnd() - 0.5) * 20 / 111_000
    const jn = lon + (rnd() - 0.5) * 20 / 89_000
    chunk.push({ unit_id: u.id, ts, received_at: ts + 300, lat: jl, lon: jn, h3: cellToDecimalString(latLngToCell(jl, jn, 9)), accuracy: 5 + rnd() * 15, flags: 0, source: 'native', topic: `fleet/${u.id}/position` })
    fixes++
    if (chunk.length >= 200_000) await flush()
  }
}
await flush()
let coverageRows = 0
let rows: unknown[] = []
let zrows: unknown[] = []
for (let at = period.from; at < period.to; at += 60_000) {
  for (const z of dep.zones) {
    let fresh = 0
    for (const cell of [...z.coverage.cells, ...z.coverage.priority.map((p) => p.cell)]) {
      const visited = rnd() < 0.75
      if (visited) fresh++
      rows.push({ snapshot_at: at, zone_id: z.id, cell: cellToDecimalString(cell), lat: 0, lon: 0, last_visit: visited ? at - Math.floor(rnd() * 1_800_000) : at - 3_600_000, fresh: visited ? 1 : 0 })
    }
    zrows.push({ at, zone_id: z.id, ratio: fresh / z.coverage.cells.length, fresh, cells: z.coverage.cells.length, response_ratio: 0.9, live_units: 50 })
  }
  if ((at - period.from) % 3_600_000 !== 3_540_000) continue
  coverageRows += rows.length
  await ch.client.insert({ table: `${ch.database}.coverage`, values: rows, format: 'JSONEachRow' })
  await ch.client.insert({ table: `${ch.database}.coverage_zones`, values: zrows, format: 'JSONEachRow' })
  rows = []
  zrows = []
}
const loadS = (performance.now() - t0) / 1000
for (const tbl of ['positions', 'coverage', 'coverage_zones']) await ch.client.command({ query: `OPTIMIZE TABLE ${ch.database}.${tbl} FINAL` })

const reports = createReports({ config, queries, dataDir: config.data_dir, logger: pino({ level: 'silent' }), now: Date.now })
let peak = 0
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
const reports0 = createReports({ config, queries, dataDir: config.data_dir, logger: pino({ level: 'silent' }), now: Date.now })
const times: number[] = []
{
  const q = await import('../src/store/clickhouse/report-queries.js')
  const p = { from: period.from, to: period.to }
  for (const [name, f] of [
    ['buckets+cells', () => q.unitBuckets(db, { ...p, cellsFrom: p.from, cellsTo: p.to, maxAccuracyM: 100 })],
    ['alerts', () => q.alertSpans(db, p)],
    ['series', () => q.zoneSeries(db, p)],
    ['freshness', () => q.cellFreshness(db, p)],
    ['priority', () => q.prioritySnapshots(db, { ...p, cells: dep.zones.flatMap((z) => z.coverage.priority.map((c) => c.cell)) })],
  ] as const) {
    const s = performance.now()
    await f()
    console.log(`${name}: ${((performance.now() - s) / 1000).toFixed(2)} s`)
  }
  const { buildReport } = await import('../src/reports/build.js')
  const inputs = { buckets: await q.unitBuckets(db, { ...p, cellsFrom: p.from, cellsTo: p.to, maxAccuracyM: 100 }), spans: await q.alertSpans(db, p), series: await q.zoneSeries(db, p), priority: [], freshness: await q.cellFreshness(db, p), levels: await q.levelChanges(db, p) }
  const s = performance.now()
  buildReport(reports0.api.service.settings, inputs, { kind: 'daily', period: period.period, ...p, generatedAt: 0 })
  console.log(`assembly: ${((performance.now() - s) / 1000).toFixed(2)} s`)
}
const rssBefore = process.memoryUsage().rss
let units0 = 0
for (let i = 0; i < runs; i++) {
  const s = performance.now()
  const b = await reports.api.bulletins.generate(period)
  times.push((performance.now() - s) / 1000)
  units0 = b.report.headline.unitsReporting
}
clearInterval(sampler)
peak = Math.max(peak, process.memoryUsage().rss)
console.log(table(`Daily bulletin (embedded ClickHouse, ${fixes.toLocaleString('en-US')} fixes from ${units} units, ${coverageRows.toLocaleString('en-US')} coverage rows; loaded in ${loadS.toFixed(0)} s)`,
  ['runs', 'median s', 'max s', 'units reporting', 'RSS before MB', 'peak RSS MB', 'target'],
  [[runs, Math.round(median(times) * 100) / 100, Math.round(Math.max(...times) * 100) / 100, units0, Math.round(rssBefore / 1e6), Math.round(peak / 1e6), '< 10 s']]))
await ch.close()
