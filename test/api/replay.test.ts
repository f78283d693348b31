// The map's replay routes against the embedded ClickHouse: positions of a period (all, thinned
// per unit and step, one unit), the coverage state at an instant (latest snapshot at or before
// it, zone ratios of that moment), and the errors (bad range, ClickHouse not connected).
import t from 'tap'
import Fastify from 'fastify'
import { latLngToCell } from 'h3-js'
import { validateConfig } from '../../src/config/load.js'
import { openClickHouse } from '../../src/store/clickhouse/client.js'
import { migrate } from '../../src/store/clickhouse/schema.js'
import { positionRow, coverageRow, zoneStatsRow } from '../../src/journal/record.js'
import { replaySource } from '../../src/store/clickhouse/replay-queries.js'
import { PAGE, replayPlugin } from '../../src/api/replay.js'
import { installErrorHandler } from '../../src/api/errors.js'
import { ErrorBody } from '../../src/api/schemas.js'
import type { Fix } from '../../src/decode/fix.js'
import { tempDir } from '../helpers/harness.js'

const config = validateConfig({ data_dir: tempDir() })
const ch = openClickHouse(config)
const db = ch.database
t.teardown(() => ch.close())

// Recent: coverage rows older than 30 days are expired by the table's TTL.
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 3_600_000
const fix = (unit: string, ts: number, lat: number, lon: number, flags = 0): Fix => ({ unitId: unit, ts, receivedAt: ts + 30, lat, lon, h3: latLngToCell(lat, lon, 9), speed: 5, heading: null, accuracy: 6, altitude: null, battery: 70, seq: null, source: 'native', topic: `fleet/${unit}/position`, flags })
const cellA = latLngToCell(36.49, 117.86, 9)
const cellB = latLngToCell(36.5, 117.87, 9)

async function insert(table: string, lines: string[]): Promise<void> {
  await ch.client.insert({ table: `${db}.${table}`, values: lines.map((l) => JSON.parse(l) as Record<string, unknown>), format: 'JSONEachRow' })
}

async function app(withSource = true) {
  const a = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: true } } })
  installErrorHandler(a)
  // The error responses refer to the shared ErrorBody schema, as on the API's app.
  a.addSchema(ErrorBody)
  const source = replaySource(ch)
  await a.register(replayPlugin, { source: () => (withSource ? source : undefined) })
  return a
}

t.before(async () => {
  await migrate(ch.client, { database: db, ttlDays: 0, rejectsTtlDays: 0 })
  const pos: string[] = []
  // P-1 every 10 s for 5 min, P-2 every 10 s, one flagged (impossible speed) fix never replayed.
  for (let i = 0; i < 30; i++) {
    pos.push(positionRow(fix('P-1', T0 + i * 10_000, 36.49 + i * 0.0005, 117.86)))
    pos.push(positionRow(fix('P-2', T0 + i * 10_000 + 5000, 36.5, 117.87 + i * 0.0005)))
  }
  pos.push(positionRow(fix('P-2', T0 + 60_001, 0.5, 0.5, 1)))
  await insert('positions', pos)
  await insert('coverage', [
    coverageRow(T0, { zoneId: 'grid-1', cell: cellA, lat: 36.49, lon: 117.86, lastVisit: null, fresh: false }),
    coverageRow(T0, { zoneId: 'grid-1', cell: cellB, lat: 36.5, lon: 117.87, lastVisit: T0 - 5000, fresh: true }),
    coverageRow(T0 + 60_000, { zoneId: 'grid-1', cell: cellA, lat: 36.49, lon: 117.86, lastVisit: T0 + 30_000, fresh: true }),
    coverageRow(T0 + 60_000, { zoneId: 'grid-1', cell: cellB, lat: 36.5, lon: 117.87, lastVisit: T0 - 5000, fresh: true }),
    coverageRow(T0 + 30_000, { zoneId: 'grid-2', cell: cellB, lat: 36.5, lon: 117.87, lastVisit: T0 + 1000, fresh: true }),
  ])
  await insert('coverage_zones', [
    zoneStatsRow(T0, { zoneId: 'grid-1', ratio: 0.5, fresh: 1, cells: 2, responseRatio: null, liveUnits: 1 }),
    zoneStatsRow(T0 + 60_000, { zoneId: 'grid-1', ratio: 1, fresh: 2, cells: 2, responseRatio: 0.75, liveUnits: 2 }),
    zoneStatsRow(T0 + 30_000, { zoneId: 'grid-2', ratio: 1, fresh: 1, cells: 1, responseRatio: null, liveUnits: 0 }),
  ])
})

t.test('positions of a period, in time order, flagged fixes left out', async (t) => {
  const a = await app()
  const r = await a.inject({ url: `/api/v1/replay/positions?from=${T0}&to=${T0 + 300_000}` })
  t.equal(r.statusCode, 200)
  const body = r.json<{ positions: Array<{ unitId: string; ts: number; lat: number; lon: number; speed: number }>; truncated: boolean }>()
  t.equal(body.positions.length, 60)
  t.equal(body.truncated, false)
  t.ok(body.positions.every((p, i, all) => i === 0 || all[i - 1]!.ts <= p.ts), 'ordered by time')
  t.notOk(body.positions.some((p) => p.lat === 0.5), 'the flagged fix is not replayed')
  t.same(body.positions[0], { unitId: 'P-1', ts: T0, lat: 36.49, lon: 117.86, speed: 5 })

  const thin = (await a.inject({ url: `/api/v1/replay/positions?from=${T0}&to=${T0 + 300_000}&step_ms=60000` })).json<{ positions: Array<{ unitId: string; ts: number }> }>()
  t.equal(thin.positions.length, 10, 'one fix per unit per minute')
  t.equal(thin.positions.filter((p) => p.unitId === 'P-1').length, 5)

  const one = (await a.inject({ url: `/api/v1/replay/positions?from=${T0}&to=${T0 + 300_000}&unit=P-2&limit=7` })).json<{ positions: Array<{ unitId: string }>; truncated: boolean }>()
  t.equal(one.positions.length, 7)
  t.ok(one.positions.every((p) => p.unitId === 'P-2'))
  t.equal(one.truncated, true, 'a full page says it may be cut')
})

t.test('coverage at an instant is the latest snapshot at or before it, per zone', async (t) => {
  const a = await app()
  const at = (await a.inject({ url: `/api/v1/replay/coverage?at=${T0 + 45_000}` })).json<{ snapshotAt: number; zones: Array<{ zone: string; ratio: number; responseRatio: number | null }>; cells: Array<{ zone: string; cell: string; lastVisit: number | null }> }>()
  t.equal(at.snapshotAt, T0 + 30_000)
  t.same(at.zones, [{ zone: 'grid-1', ratio: 0.5, responseRatio: null }, { zone: 'grid-2', ratio: 1, responseRatio: null }])
  const g1 = at.cells.filter((c) => c.zone === 'grid-1').sort((x, y) => x.cell.localeCompare(y.cell))
  t.same(g1, [{ zone: 'grid-1', cell: cellA, lastVisit: null }, { zone: 'grid-1', cell: cellB, lastVisit: T0 - 5000 }].sort((x, y) => x.cell.localeCompare(y.cell)))

  const later = (await a.inject({ url: `/api/v1/replay/coverage?at=${T0 + 90_000}&zone=grid-1` })).json<{ snapshotAt: number; zones: Array<{ zone: string; ratio: number; responseRatio: number | null }>; cells: Array<{ cell: string; lastVisit: number | null }> }>()
  t.equal(later.snapshotAt, T0 + 60_000)
  t.same(later.zones, [{ zone: 'grid-1', ratio: 1, responseRatio: 0.75 }])
  t.equal(later.cells.find((c) => c.cell === cellA)?.lastVisit, T0 + 30_000, 'the visit shows in the later snapshot')

  const before = (await a.inject({ url: `/api/v1/replay/coverage?at=${T0 - 1}` })).json<{ snapshotAt: number | null; cells: unknown[] }>()
  t.same([before.snapshotAt, before.cells.length], [null, 0], 'no snapshot before the first')
})

t.test('bad ranges are 400, no ClickHouse is 503', async (t) => {
  const a = await app()
  t.equal((await a.inject({ url: `/api/v1/replay/positions?from=${T0 + 1}&to=${T0}` })).json<{ code: string }>().code, 'HEXP_ERR_BAD_REQUEST')
  t.equal((await a.inject({ url: `/api/v1/replay/positions?from=0&to=${8 * 24 * 3_600_000}` })).statusCode, 400)
  t.equal((await a.inject({ url: '/api/v1/replay/positions?from=x&to=1' })).statusCode, 400)
  t.equal((await a.inject({ url: '/api/v1/replay/coverage' })).statusCode, 400)
  t.equal((await a.inject({ url: '/api/v1/replay/coverage?at=1&extra=1' })).statusCode, 400)
  const none = await app(false)
  const r = await none.inject({ url: '/api/v1/replay/coverage?at=1' })
  t.same([r.statusCode, r.json<{ code: string }>().code], [503, 'HEXP_ERR_NOT_READY'])
})

type Page = { positions: Array<{ unitId: string; ts: number }>; truncated: boolean; next: string | null }

/** Follows `next` from the first page to the last; every page's rows in order. */
async function follow(a: Awaited<ReturnType<typeof app>>, query: string): Promise<{ rows: Array<{ unitId: string; ts: number }>; pages: number }> {
  const rows: Array<{ unitId: string; ts: number }> = []
  let after: string | null = null
  let pages = 0
  do {
    const res: Awaited<ReturnType<typeof a.inject>> = await a.inject({ url: `/api/v1/replay/positions?${query}${after === null ? '' : `&after=${encodeURIComponent(after)}`}` })
    t.equal(res.statusCode, 200)
    const page = res.json<Page>()
    rows.push(...page.positions)
    after = page.next
    t.equal(page.truncated, after !== null, 'next exactly when truncated')
    pages++
  } while (after !== null && pages < 100)
  return { rows, pages }
}

t.test('a cut answer says where to resume: following next gives every row once, thinned or not', async (t) => {
  const a = await app()
  const range = `from=${T0}&to=${T0 + 300_000}`
  const all = (await a.inject({ url: `/api/v1/replay/positions?${range}` })).json<Page>()
  t.equal(all.next, null)
  const paged = await follow(a, `${range}&limit=7`)
  t.equal(paged.pages, 9, '60 rows: 8 full pages of 7 and one of 4')
  t.same(paged.rows, all.positions)
  const thinAll = (await a.inject({ url: `/api/v1/replay/positions?${range}&step_ms=60000` })).json<Page>()
  // Pages of 3 end in the middle of a step: the page after it still gets each unit's first fix of that step, once.
  const thinPaged = await follow(a, `${range}&step_ms=60000&limit=3`)
  t.same(thinPaged.rows, thinAll.positions)
  t.equal((await a.inject({ url: `/api/v1/replay/positions?${range}&after=nonsense` })).statusCode, 400)
  t.equal((await a.inject({ url: `/api/v1/replay/positions?${range}&after=${encodeURIComponent(`${T0}:`)}` })).statusCode, 400)
})

t.test('a large answer is streamed page by page: one page of rows in memory at a time', async (t) => {
  const TOTAL = 12_345
  // (12,000 rows at most 1,000 a query.)
  const asked: number[] = []
  const source = {
    // TOTAL rows one millisecond apart, served after the cursor as ClickHouse would.
    positions: async (q: { limit: number; after?: { ts: number } | undefined }) => {
      asked.push(q.limit)
      const start = q.after === undefined ? 0 : q.after.ts - T0 + 1
      return Array.from({ length: Math.max(0, Math.min(q.limit, TOTAL - start)) }, (_, i) => ({ unitId: 'P-1', ts: T0 + start + i, lat: 36.49, lon: 117.86, speed: i % 2 === 0 ? null : 3 }))
    },
    coverageAt: async () => { throw new Error('unused') },
  }
  const a = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: true } } })
  installErrorHandler(a)
  a.addSchema(ErrorBody)
  await a.register(replayPlugin, { source: () => source })
  const range = `from=${T0}&to=${T0 + 3_600_000}`
  let r = (await a.inject({ url: `/api/v1/replay/positions?${range}&limit=12000` })).json<Page & { from: number; to: number }>()
  t.equal(PAGE, 1000)
  t.same(asked, Array(12).fill(1000), 'queries of at most a page')
  t.equal(r.positions.length, 12_000)
  t.same([r.from, r.to, r.truncated, r.next], [T0, T0 + 3_600_000, true, `${T0 + 11_999}:P-1`])
  t.same(r.positions[1], { unitId: 'P-1', ts: T0 + 1, lat: 36.49, lon: 117.86, speed: 3 })
  asked.length = 0
  r = (await a.inject({ url: `/api/v1/replay/positions?${range}` })).json<Page & { from: number; to: number }>()
  t.same(asked, Array(13).fill(1000), 'the default limit, until a short page')
  t.same([r.positions.length, r.truncated, r.next], [TOTAL, false, null])
  asked.length = 0
  r = (await a.inject({ url: `/api/v1/replay/positions?${range}&after=${T0 + TOTAL - 1}:P-1` })).json<Page & { from: number; to: number }>()
  t.same([r.positions.length, r.truncated, r.next, asked], [0, false, null, [1000]], 'nothing after the last row')
})
