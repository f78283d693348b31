// Issue 3, test 1: kill -9 the engine several times at random points while a publisher sends
// 100,000 QoS 1 fixes through Mosquitto; restart it each time. At the end ClickHouse holds exactly
// the published fixes: none missing, none duplicated. Checked against what was published.
import t from 'tap'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { createClient } from '@clickhouse/client'
import { engineProcess } from '../helpers/engine-process.js'
import { mosquittoPath, startMosquitto } from '../helpers/mosquitto.js'
import { connect } from '../helpers/publisher.js'
import { compareLedger, summary } from '../helpers/ledger.js'
import { storedKeys } from '../helpers/clickhouse.js'
import { rng } from '../helpers/workload.js'
import { tempDir } from '../helpers/harness.js'

const FIXES = 100_000
const KILLS = 3

t.test('the ledger comparison catches loss and duplication (control)', async (t) => {
  const pub = ['a|1', 'a|2', 'b|1']
  t.same(compareLedger(pub, ['a|1', 'a|2', 'b|1']), { missing: [], duplicated: [], unexpected: [] })
  const d = compareLedger(pub, ['a|1', 'a|1', 'b|1', 'c|9'])
  t.same(d.missing, ['a|2'])
  t.same(d.duplicated, ['a|1'])
  t.same(d.unexpected, ['c|9'])
  t.match(summary(d), /missing 1 .*duplicated 1/)
})

t.test(`kill -9 ×${KILLS} under ${FIXES.toLocaleString('en-US')} QoS 1 fixes through Mosquitto`, { skip: mosquittoPath() === null ? 'mosquitto is not installed (apt-get install -y mosquitto); .ci/run installs it' : false, timeout: 600_000 }, async (t) => {
  const mosq = await startMosquitto()
  t.teardown(() => mosq.stop())
  const dataDir = tempDir('hexp-crash-')
  const engine = await engineProcess(dataDir, {
    mqtt: { url: mosq.url, client_id: 'hexpatrol-crash-test' },
    journal: { fsync: 'never', segment_max_age: '250ms' },
  })
  t.teardown(() => engine.kill9())
  await engine.start()

  const r = rng(42)
  const pub = await connect(mosq.url, { clientId: 'crash-publisher' })
  const base = Date.now() - 3_600_000
  const published: string[] = []
  let sent = 0
  const publishing = (async () => {
    const inflight = new Set<Promise<void>>()
    for (let i = 0; i < FIXES; i++) {
      const unit = `U-${i % 200}`
      const seq = Math.floor(i / 200)
      const p = pub.publishAsync(`fleet/${unit}/position`, JSON.stringify({ ts: base + seq * 1000, lat: 36.45 + (i % 997) * 1e-4, lon: 117.8 + (i % 991) * 1e-4, seq }), { qos: 1 }).then(() => {
        published.push(`${unit}|${seq}`)
        sent++
        inflight.delete(p)
      })
      inflight.add(p)
      if (inflight.size >= 200) await Promise.race(inflight)
    }
    await Promise.all(inflight)
  })()

  // Kill at random points while the publisher is running, restart each time.
  let kills = 0
  for (let k = 0; k < KILLS; k++) {
    const target = Math.floor(FIXES * (0.15 + 0.25 * k + r() * 0.15))
    // eslint-disable-next-line no-unmodified-loop-condition -- `sent` advances in the publisher callback
    while (sent < target) await new Promise((res) => setTimeout(res, 20))
    await engine.kill9()
    kills++
    await new Promise((res) => setTimeout(res, Math.floor(r() * 500)))
    await engine.start()
  }
  await publishing
  await pub.endAsync()
  t.equal(kills, KILLS)
  t.equal(published.length, FIXES, 'the broker acknowledged every published fix')

  // Quiet: nothing new accepted and the journal empty for 3 s in a row.
  let last = -1
  let quiet = 0
  const deadline = Date.now() + 240_000
  while (quiet < 6 && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 500))
    const accepted = await engine.metric('hexpatrol_fixes_accepted_total')
    const bytes = await engine.metric('hexpatrol_journal_bytes')
    quiet = accepted === last && bytes === 0 ? quiet + 1 : 0
    last = accepted
  }
  t.equal(await engine.stop(), 0, 'graceful stop exits 0')

  const { createChdbConnection } = createRequire(import.meta.url)('chdb/connection') as { createChdbConnection(o: { path: string }): unknown }
  const client = createClient({ connection: createChdbConnection({ path: join(dataDir, 'clickhouse') }) } as Parameters<typeof createClient>[0])
  t.teardown(() => client.close())
  const stored = await storedKeys(client, 'hexpatrol')
  const diff = compareLedger(published, stored)
  t.equal(diff.missing.length + diff.duplicated.length + diff.unexpected.length, 0, `after ${KILLS} kill -9: ${summary(diff)}`)
  t.equal(stored.length, FIXES, 'exactly one row per published fix')
})
