// Issue 3, tests 2, 4 and 5: a ClickHouse outage under load (no loss, no duplicates, bounded
// memory, the backlog drains); a corrupt journal tail at start-up; the disk bound reached (acks
// stop, nothing is dropped, acks resume when space returns). Checked against what was published.
import t from 'tap'
import { appendFileSync, readdirSync, writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startEngine, tempDir, waitFor, type Harness } from '../helpers/harness.js'
import { clickhouseFault } from '../helpers/faults.js'
import { connect } from '../helpers/publisher.js'
import { compareLedger, summary } from '../helpers/ledger.js'
import { runPublisher } from '../../bench/lib/measure.js'
import { Journal } from '../../src/journal/journal.js'
import { RecordBuilder, positionRow } from '../../src/journal/record.js'
import { latLngToCell } from 'h3-js'
import { committedPositions, storedKeys } from '../helpers/clickhouse.js'

const stored = (h: Harness) => storedKeys(h.engine.testHandle().ch.client, h.engine.testHandle().ch.database)
const committed = (h: Harness) => committedPositions(h.engine.metrics)

t.test('ClickHouse outage under load: no loss, no duplicates, bounded memory, backlog drains', async (t) => {
  const fault = clickhouseFault()
  const h = await startEngine({ journal: { fsync: 'never', segment_max_age: '250ms' } }, { wrapClickHouse: fault.wrap, rules: true })
  t.teardown(() => h.engine.stop())
  const N = 60_000
  const UNITS = 300
  // Phase 1: outage while the publisher (a separate process) sends everything.
  fault.down = true
  const rssStart = process.memoryUsage().rss
  let rssMax = rssStart
  const sampler = setInterval(() => { rssMax = Math.max(rssMax, process.memoryUsage().rss) }, 100)
  const t0 = performance.now()
  const pub = await runPublisher(h.mqttUrl, N, { units: UNITS, inflight: 200 })
  const inputSeconds = (performance.now() - t0) / 1000
  t.equal(pub.published, N, 'every fix acknowledged to the publisher during the outage')
  t.equal(await committed(h), 0, 'nothing reached ClickHouse during the outage')
  const journalBytes = h.engine.testHandle().journal.bytes
  t.ok(journalBytes > N * 100, `the backlog is on disk: ${(journalBytes / 1e6).toFixed(1)} MB journaled`)
  const ready = await h.engine.readiness()
  t.equal(ready.clickhouse!.ok, false, '/readyz reports ClickHouse down')
  clearInterval(sampler)
  const growthMb = (rssMax - rssStart) / 1e6
  t.ok(growthMb < 200, `RSS grew ${growthMb.toFixed(0)} MB during the outage while ${(journalBytes / 1e6).toFixed(1)} MB waited on disk (bound 200 MB)`)
  // Phase 2: ClickHouse returns; the backlog drains faster than it came in.
  fault.down = false
  const t1 = performance.now()
  await waitFor(async () => (await committed(h)) >= N, 180_000, 50)
  const drainSeconds = (performance.now() - t1) / 1000
  t.comment(`input ${(N / inputSeconds).toFixed(0)} fixes/s; drain ${(N / drainSeconds).toFixed(0)} fixes/s (${(inputSeconds / drainSeconds).toFixed(2)}× the input rate); RSS peak +${growthMb.toFixed(0)} MB`)
  const published = Array.from({ length: N }, (_, j) => `U-${j % UNITS}|${j}`)
  const diff = compareLedger(published, await stored(h))
  t.equal(diff.missing.length + diff.duplicated.length + diff.unexpected.length, 0, summary(diff))
  t.ok(fault.failures > 0, 'the outage was real: ClickHouse calls failed')
})

t.test('a corrupt journal tail: every valid record is recovered and the bad one counted', async (t) => {
  const dataDir = tempDir()
  const journal = Journal.open({ dir: join(dataDir, 'journal'), maxBytes: 1 << 30, segmentMaxRecords: 1_000_000, segmentMaxAgeMs: 3_600_000, fsync: 'never', fsyncIntervalMs: 1000 })
  const now = Date.now()
  for (let i = 0; i < 500; i++) {
    const lat = 36.45 + i * 1e-4
    const rec = new RecordBuilder().add('p', positionRow({ unitId: 'J-1', ts: now - 100_000 + i, receivedAt: now, lat, lon: 117.8, h3: latLngToCell(lat, 117.8, 9), speed: null, heading: null, accuracy: null, altitude: null, battery: null, seq: i, source: 'native', topic: 'fleet/J-1/position', flags: 0 }))
    journal.append(rec.build())
  }
  // Simulate a crash: abandon the instance without closing, then tear the last record.
  const dir = join(dataDir, 'journal')
  const seg = readdirSync(dir).find((f) => f.endsWith('.seg'))!
  const bytes = readFileSync(join(dir, seg))
  writeFileSync(join(dir, seg), bytes.subarray(0, bytes.length - 7))
  appendFileSync(join(dir, seg), Buffer.from([0xde, 0xad]))
  const h = await startEngine({}, { dataDir, rules: false })
  t.teardown(() => h.engine.stop())
  await waitFor(async () => (await committed(h)) >= 499, 60_000)
  const keys = await stored(h)
  t.equal(keys.length, 499, 'all 499 intact records shipped')
  t.same(new Set(keys), new Set(Array.from({ length: 499 }, (_, i) => `J-1|${i}`)), 'exactly the records before the torn one')
  t.equal((await h.engine.metrics.journalCorruptRecords.get()).values[0]?.value, 1, 'the torn record is counted')
})

t.test('disk bound reached: acks stop, nothing is dropped, acks resume when space returns', async (t) => {
  const fault = clickhouseFault()
  const h = await startEngine({ journal: { max_bytes: 1_048_576, fsync: 'never', segment_max_age: '200ms' } }, { wrapClickHouse: fault.wrap, rules: false })
  t.teardown(() => h.engine.stop())
  fault.down = true
  const pub = await connect(h.mqttUrl, { clientId: 'bound-publisher' })
  t.teardown(() => pub.endAsync())
  const N = 8000
  let acked = 0
  const all: Array<Promise<void>> = []
  for (let j = 0; j < N; j++) {
    all.push(pub.publishAsync(`fleet/U-${j % 50}/position`, JSON.stringify({ ts: Date.now() - 100_000 + j, lat: 36.45 + (j % 997) * 1e-4, lon: 117.8, seq: j, accuracy: 5, speed: 3.2, heading: 180 }), { qos: 1 }).then(() => { acked++ }))
  }
  await waitFor(() => h.engine.testHandle().journal.full, 60_000)
  await new Promise((r) => setTimeout(r, 1000))
  const ackedWhileFull = acked
  t.ok(ackedWhileFull < N, `acks stopped at the bound (${ackedWhileFull} of ${N} acknowledged)`)
  await new Promise((r) => setTimeout(r, 1000))
  t.equal(acked, ackedWhileFull, 'no acknowledgement while the journal is full')
  const ready = await h.engine.readiness()
  t.equal(ready.journal!.ok, false)
  t.match(ready.journal!.detail, /full .* MQTT acknowledgements are paused/)
  t.equal(ready.journal!.code, 'HEXP_ERR_JOURNAL_FULL', 'the code says what to do (docs/errors.md)')
  t.equal((await h.engine.metrics.journalFull.get()).values[0]?.value, 1)
  fault.down = false
  await Promise.all(all)
  t.equal(acked, N, 'every message acknowledged once space returned')
  await waitFor(async () => (await committed(h)) >= N, 120_000)
  const diff = compareLedger(Array.from({ length: N }, (_, j) => `U-${j % 50}|${j}`), await stored(h))
  t.equal(diff.missing.length + diff.duplicated.length + diff.unexpected.length, 0, summary(diff))
  await waitFor(() => !h.engine.testHandle().journal.full, 10_000)
  t.equal((await h.engine.readiness()).journal!.ok, true, 'ready again')
})
