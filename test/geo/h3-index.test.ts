// cellFor must agree with ClickHouse's own geoToH3 (the positions table is queried by cell), and
// the UInt64 conversions must round-trip through ClickHouse. Checked against embedded chdb.
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { createClient, type ClickHouseSettings } from '@clickhouse/client'
import { cellToLatLng, latLngToCell } from 'h3-js'
import { cellFor, cellToDecimalString, cellToUInt64, uint64ToCell } from '../../src/geo/h3-index.js'

const require = createRequire(import.meta.url)
const { createChdbConnection } = require('chdb/connection') as { createChdbConnection: (o: { path: string }) => unknown }

t.setTimeout(120_000)

/** Deterministic PRNG (mulberry32) so a failure names a reproducible point. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

interface Point { i: number; lat: number; lon: number; res: number }

function points(): Point[] {
  const rand = rng(20250601)
  const coords: Array<[number, number]> = []
  // Uniform on the sphere (not on the lat/lon rectangle), so the poles are not over-sampled.
  for (let k = 0; k < 2000; k++) coords.push([(Math.asin(2 * rand() - 1) * 180) / Math.PI, rand() * 360 - 180])
  // Dense around 36.49N 117.86E, where cells at res 11 are ~25 m across.
  for (let k = 0; k < 1000; k++) coords.push([36.49 + (rand() - 0.5) * 0.2, 117.86 + (rand() - 0.5) * 0.2])
  coords.push([0, 0], [90, 0], [-90, 0], [0, 180], [0, -180], [36.49, 117.86], [51.5007, -0.1246], [-33.8568, 151.2153])
  const out: Point[] = []
  for (const res of [7, 9, 11]) for (const [lat, lon] of coords) out.push({ i: out.length, lat, lon, res })
  return out
}

t.test('cellFor equals h3-js latLngToCell', async (t) => {
  t.equal(cellFor(36.49, 117.86, 9), latLngToCell(36.49, 117.86, 9))
  t.equal(cellFor(36.49, 117.86, 9), '8930a6b6877ffff')
})

t.test('UInt64 conversions', async (t) => {
  const cell = '8930a6b6877ffff'
  t.equal(cellToUInt64(cell), 617849030310363135n)
  t.equal(cellToUInt64(cell.toUpperCase()), 617849030310363135n)
  t.equal(cellToDecimalString(cell), '617849030310363135')
  t.equal(uint64ToCell(617849030310363135n), cell)
  t.equal(uint64ToCell('617849030310363135'), cell)
  t.equal(uint64ToCell('18446744073709551615'), 'ffffffffffffffff')
  t.throws(() => cellToUInt64(''), TypeError)
  t.throws(() => cellToUInt64('0x8930a6b6877ffff'), /not an H3 cell/)
  t.throws(() => cellToUInt64('8930a6b6877ffff0a'), /not an H3 cell/)
  t.throws(() => cellToUInt64('89 30'), TypeError)
  t.throws(() => uint64ToCell('-1'), /not a UInt64 decimal string/)
  t.throws(() => uint64ToCell('1e5'), TypeError)
  t.throws(() => uint64ToCell('18446744073709551616'), RangeError)
  t.throws(() => uint64ToCell(0n), RangeError)
  t.throws(() => uint64ToCell(-5n), RangeError)
})

t.test('agrees with ClickHouse geoToH3 / h3ToGeo (embedded chdb)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexp-'))
  const client = createClient({ connection: createChdbConnection({ path: dir }) } as Parameters<typeof createClient>[0])
  t.teardown(async () => {
    await client.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  // Pin argument and result order: both changed between ClickHouse releases.
  const settings = { geotoh3_argument_order: 'lat_lon', h3togeo_lon_lat_result_order: 0, precise_float_parsing: 1 } as ClickHouseSettings
  const pts = points()
  t.ok(pts.length >= 9000)
  await client.command({ query: 'CREATE TABLE pts (i UInt32, lat Float64, lon Float64, res UInt8) ENGINE = Memory' })
  await client.insert({ table: 'pts', values: pts, format: 'JSONEachRow', clickhouse_settings: settings })

  const rs = await client.query({
    query: 'SELECT i, lat, lon, toString(geoToH3(lat, lon, res)) AS dec, h3ToString(geoToH3(lat, lon, res)) AS hex FROM pts ORDER BY i',
    format: 'JSONEachRow',
    clickhouse_settings: settings,
  })
  const rows = await rs.json<{ i: number; lat: number; lon: number; dec: string; hex: string }>()
  t.equal(rows.length, pts.length)
  let mismatches = 0
  for (const row of rows) {
    const p = pts[row.i]!
    if (row.lat !== p.lat || row.lon !== p.lon) {
      t.fail(`point ${row.i} did not round-trip through ClickHouse: ${p.lat},${p.lon} → ${row.lat},${row.lon}`)
      continue
    }
    const cell = cellFor(p.lat, p.lon, p.res)
    if (cellToDecimalString(cell) !== row.dec || row.hex !== cell || uint64ToCell(row.dec) !== cell) {
      if (mismatches++ < 5) t.fail(`${p.lat},${p.lon} res ${p.res}: ours ${cell} (${cellToDecimalString(cell)}), ClickHouse ${row.hex} (${row.dec})`)
    }
  }
  t.equal(mismatches, 0, `all ${rows.length} cells equal ClickHouse geoToH3`)

  // Cell centres: a sample of the cells above, sent as UInt64 decimal strings.
  const sample = pts.filter((_, k) => k % 180 === 0).map((p) => cellFor(p.lat, p.lon, p.res))
  const list = sample.map((c) => cellToDecimalString(c)).join(',')
  const geo = await client.query({
    query: `SELECT toString(c) AS dec, h3ToGeo(c) AS g FROM (SELECT arrayJoin([${list}]::Array(UInt64)) AS c)`,
    format: 'JSONEachRow',
    clickhouse_settings: settings,
  })
  const centres = await geo.json<{ dec: string; g: Record<string, number> | [number, number] }>()
  t.equal(centres.length, sample.length)
  for (const row of centres) {
    const cell = uint64ToCell(row.dec)
    const [lat, lon] = cellToLatLng(cell)
    const g = Array.isArray(row.g) ? row.g : Object.values(row.g)
    t.ok(Math.abs(g[0]! - lat) < 1e-9 && Math.abs(g[1]! - lon) < 1e-9, `centre of ${cell}: ours ${lat},${lon}, ClickHouse ${g[0]},${g[1]}`)
  }
})
