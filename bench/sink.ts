// ClickHouse insert throughput by batch size on the embedded engine (what journal.segment_max_records
// defaults to): rows/s and CPU per row (this process, ClickHouse's threads included) for one insert
// of N position rows, as the sink sends them (JSONEachRow with a deduplication token), through the
// engine's direct path (chdb's raw insert) beside the HTTP-shaped path a server takes (client.exec;
// embedded, chdb copies the body into the SQL text). Interleaved, median of 5.
// npx tsx bench/sink.ts
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
const common = { client: ch.client, database: ch.database, logger: pino({ level: 'silent' }), metrics: createMetrics({ defaults: false }) }
const paths = {
  direct: createDeliver({ ...common, insertJsonLines: ch.insertJsonLines, instanceId: 'bench000bench000' }),
  exec: createDeliver({ ...common, instanceId: 'bench111bench111' }),
}
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
  const got = { direct: { rate: [] as number[], cpu: [] as number[] }, exec: { rate: [] as number[], cpu: [] as number[] } }
  for (let r = 0; r < 5; r++) {
    for (const path of ['direct', 'exec'] as const) {
      const t0 = performance.now()
      const c0 = process.cpuUsage()
      const status = await paths[path]({ id: seg++ }, recs)
      if (status !== 'delivered') throw new Error(status)
      const c = process.cpuUsage(c0)
      got[path].rate.push(size / ((performance.now() - t0) / 1000))
      got[path].cpu.push((c.user + c.system) / size)
    }
  }
  const d = median(got.direct.rate)
  const e = median(got.exec.rate)
  rows.push([size, d, (size / d) * 1000, median(got.direct.cpu).toFixed(1), e, median(got.exec.cpu).toFixed(1), (d / e).toFixed(2)])
}
await ch.close()
console.log(table('Embedded ClickHouse insert of position rows by batch size (median of 5, interleaved)', ['rows per insert', 'direct rows/s', 'direct ms per insert', 'direct CPU µs/row', 'exec rows/s', 'exec CPU µs/row', 'direct/exec rate'], rows))
process.exit(0)
