// Issue 8 item 8, as a property: whatever the decoder accepts (and so acknowledges) is a row
// ClickHouse stores exactly, and every reject is a row the rejects table takes. Arbitrary native
// and OwnTracks payloads (fractional and absurd times, huge and negative measurements, (0, 0),
// wrong types) go through the real decoder; the rows go into embedded ClickHouse (chdb).
import t from 'tap'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import fc from 'fast-check'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { createDecoder, decoderOptionsFromConfig } from '../../src/decode/decoder.js'
import { validateConfig } from '../../src/config/load.js'
import { positionRow, rejectRow } from '../../src/journal/record.js'
import { migrate } from '../../src/store/clickhouse/schema.js'
import type { Fix } from '../../src/decode/fix.js'
import { rows } from '../helpers/clickhouse.js'
import { tempDir } from '../helpers/harness.js'

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0)
const db = 'hexpatrol'
// A window wide enough that times near the DateTime64 bounds reach the column check.
const decode = createDecoder(decoderOptionsFromConfig(validateConfig({ validation: { max_age: 2e13, max_future_skew: 1e13 } })))

const { createChdbConnection } = createRequire(import.meta.url)('chdb/connection') as { createChdbConnection(o: { path: string }): unknown }
const client: ClickHouseClient = createClient({ connection: createChdbConnection({ path: join(tempDir('hexp-storable-'), 'ch') }) } as Parameters<typeof createClient>[0])
t.teardown(() => client.close())

async function insert(table: string, lines: string[]): Promise<void> {
  const res = await client.exec({
    query: `INSERT INTO ${db}.${table} FORMAT JSONEachRow`,
    values: Readable.from([Buffer.from(lines.join('\n'))], { objectMode: false }),
    clickhouse_settings: { date_time_input_format: 'basic', input_format_allow_errors_num: '0' },
  })
  res.stream.resume()
  await new Promise<void>((resolve, reject) => {
    res.stream.once('end', resolve)
    res.stream.once('error', reject)
  })
}

const edgeNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-1, 0, -0, 0.5, 360, 361, 100, 101, 3.4028234663852886e38, 3.5e38, 1e39, -1e39, 1e-50, Number.MAX_SAFE_INTEGER, 2 ** 64),
  fc.integer({ min: -1000, max: 1000 }),
)
const plausible = fc.double({ min: -5, max: 120, noNaN: true })
const value = fc.oneof({ weight: 12, arbitrary: plausible }, { weight: 3, arbitrary: edgeNumber }, { weight: 1, arbitrary: fc.constantFrom(null, 'x', true, [], {}) })
const tsMs = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: NOW - 86_400_000, max: NOW + 60_000 }) },
  fc.double({ min: NOW - 86_400_000, max: NOW, noNaN: true }),
  fc.constantFrom(1796154827232.5, Date.UTC(1899, 11, 31), Date.UTC(1900, 0, 1), Date.UTC(2299, 11, 31, 23, 59, 59, 999), Date.UTC(2300, 0, 1), -1, 0),
  fc.date({ min: new Date(NOW - 86_400_000), max: new Date(NOW), noInvalidDate: true }).map((d) => d.toISOString()),
)
const lat = fc.oneof(fc.double({ min: -90, max: 90, noNaN: true }), fc.constantFrom(0, -0, 90, -90, 90.0001))
const lon = fc.oneof(fc.double({ min: -180, max: 180, noNaN: true }), fc.constantFrom(0, -0, 180, -180))
const nativeDoc = fc.record({ ts: tsMs, lat, lon, speed: value, heading: value, accuracy: value, altitude: value, battery: value, seq: value }, { requiredKeys: ['ts', 'lat', 'lon'] })
const owntracksDoc = fc.record({
  _type: fc.constant('location'),
  tst: fc.oneof(fc.integer({ min: NOW / 1000 - 86_400, max: NOW / 1000 }), fc.double({ min: NOW / 1000 - 86_400, max: NOW / 1000, noNaN: true })),
  lat, lon, acc: value, alt: value, vel: value, cog: value, vac: value, batt: value,
}, { requiredKeys: ['_type', 'tst', 'lat', 'lon'] })
const message = fc.oneof(
  nativeDoc.map((d) => ['fleet/P-1/position', d] as const),
  fc.array(nativeDoc, { maxLength: 4 }).map((d) => ['fleet/P-2/position', d] as const),
  owntracksDoc.map((d) => ['owntracks/jane/phone', d] as const),
)

t.test('every accepted fix is a row ClickHouse stores exactly; every reject is storable', async (t) => {
  await migrate(client, { database: db, ttlDays: 0, rejectsTtlDays: 0 })
  const accepted: Fix[] = []
  const rejects: string[] = []
  fc.assert(fc.property(message, ([topic, doc]) => {
    const r = decode(topic, Buffer.from(JSON.stringify(doc)), NOW)
    for (const f of r.fixes) {
      // The column types, checked in the decoder: whole ms in DateTime64 range, Float32 finite.
      if (!Number.isInteger(f.ts)) throw new Error(`accepted a fractional ts ${f.ts}`)
      for (const v of [f.speed, f.heading, f.accuracy, f.altitude, f.battery]) {
        if (v !== null && !Number.isFinite(Math.fround(v))) throw new Error(`accepted ${v}, which Float32 stores as inf`)
      }
      if (f.lat === 0 && f.lon === 0) throw new Error('accepted (0, 0)')
      accepted.push(f)
    }
    for (const rej of r.rejects) rejects.push(rejectRow(rej))
  }), { numRuns: 3000, seed: 20261130 })
  t.ok(accepted.length > 500, `a good share of generated messages is accepted (${accepted.length})`)
  t.ok(rejects.length > 500, `and a good share is rejected (${rejects.length})`)

  // Unique seq per row so each stored row can be matched with its fix.
  const lines = accepted.map((f, i) => positionRow({ ...f, seq: i }))
  await insert('positions', lines)
  await insert('rejects', rejects)
  const stored = await rows<{ seq: number; ts: string; lat: number; lon: number; speed: number | null; heading: number | null; accuracy: number | null; altitude: number | null; battery: number | null }>(
    client, `SELECT seq, toUnixTimestamp64Milli(ts) AS ts, lat, lon, speed, heading, accuracy, altitude, battery FROM ${db}.positions ORDER BY seq`)
  t.equal(stored.length, accepted.length, 'one row per accepted fix')
  let mismatches = 0
  const f32 = (v: number | null) => (v === null ? null : Math.fround(v))
  for (const s of stored) {
    const f = accepted[s.seq]!
    const same = Number(s.ts) === f.ts && s.lat === f.lat && s.lon === f.lon &&
      f32(s.speed) === f32(f.speed) && f32(s.heading) === f32(f.heading) && f32(s.accuracy) === f32(f.accuracy) &&
      f32(s.altitude) === f32(f.altitude) && f32(s.battery) === f32(f.battery)
    if (!same && mismatches++ < 3) t.fail(`stored row differs from the fix: ${JSON.stringify(s)} vs ${JSON.stringify(f)}`)
  }
  t.equal(mismatches, 0, 'every value reads back as accepted')
  const r = await rows<{ c: string }>(client, `SELECT count() AS c FROM ${db}.rejects`)
  t.equal(Number(r[0]!.c), rejects.length, 'every reject row stored')
})
