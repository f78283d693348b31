// ClickHouse insert throughput by batch size on the embedded engine (what journal.segment_max_records
// defaults to): rows/s for one insert of N position rows, as the sink sends them (raw JSONEachRow
// with a deduplication token). npx tsx bench/sink.ts
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { latLngToCell } from 'h3-js'
import { validateConfig } from '../src/config/load.js'
import { openClickHouse } from '../src/store/clickhouse/client.js'
import { migrate } from '../src/store/clickhouse/schema.js'
import { createDeliver } from '../src/store/clickhouse/deliver.js'
import { RecordBuilder, positionRow } from '../src/journal/record.js'
import { createMetrics } from '../src/telemetry/metrics.js'
import { median, table } from './lib/measure.js'

const config = validateConfig({ data_dir: mkdtempSync(join(tmpdir(), 'hexp-sink-')) })
const ch = openClickHouse(config)
await migrate(ch.client, { database: ch.database, ttlDays: 0, rejectsTtlDays: 0 })
const deliver = createDeliver({ client: ch.client, database: ch.database, instanceId: 'bench000bench000', logger: pino({ level: 'silent' }), metrics: createMetrics({ defaults: false }) })
const now = Date.now()
let seg = 1
function records(n: number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < n; i++) {
    const lat = 36.43 + (i % 997) * 1e-4
    const lon = 117.77 + (i % 991) * 1.5e-4
    out.push(new RecordBuilder().add('p', positionRow({ unitId: `U-${i % 300}`, ts: now - 600_000 + i, receivedAt: now, lat, lon, h3: latLngToCell(lat, lon, 9), speed: 8.5, heading: 90, accuracy: 5, altitude: null, battery: 80, seq: i, source: 'native', topic: `fleet/U-${i % 300}/position`, flags: 0 })).build())
  }
  return out
}
const rows: Array<Array<string | number>> = []
for (const size of [100, 1000, 5000, 20_000, 50_000, 100_000]) {
  const recs = records(size)
  const xs: number[] = []
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now()
    const status = await deliver({ id: seg++ }, recs)
    if (status !== 'delivered') throw new Error(status)
    xs.push(size / ((performance.now() - t0) / 1000))
  }
  rows.push([size, median(xs), (size / median(xs)) * 1000])
}
await ch.close()
console.log(table('Embedded ClickHouse insert of position rows by batch size (median of 5)', ['rows per insert', 'rows/s', 'ms per insert'], rows))
process.exit(0)
