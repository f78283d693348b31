// Issue 2 end to end: ≥ 10,000 messages (native single, native batch, OwnTracks, invalid) through
// a real broker into ClickHouse; exactly the valid fixes land in positions with the right values
// and H3 cells, exactly the invalid ones in rejects.
import t, { type Test } from 'tap'
import type { ClickHouseClient } from '@clickhouse/client'
import { startEngine, waitFor, type Harness } from '../helpers/harness.js'
import { connect, publishAll } from '../helpers/publisher.js'
import { makeWorkload, type Workload } from '../helpers/workload.js'
import { count, rows, storedFixes } from '../helpers/clickhouse.js'
import { mosquittoPath, startMosquitto } from '../helpers/mosquitto.js'

const MESSAGES = 10_000

async function checkStored(t: Test, client: ClickHouseClient, db: string, w: Workload): Promise<void> {
  const expectedRejects = [...w.rejects.values()].reduce((a, b) => a + b, 0)
  await waitFor(async () => (await count(client, db, 'positions')) >= w.fixes.length && (await count(client, db, 'rejects')) >= expectedRejects, 120_000, 250)
  const stored = await storedFixes(client, db)
  t.equal(stored.length, w.fixes.length, 'positions holds exactly one row per valid fix')
  const byKey = new Map(stored.map((s) => [`${s.unit_id}|${s.ts}`, s]))
  t.equal(byKey.size, stored.length, 'no duplicate (unit, ts) rows')
  let wrong = 0
  const examples: string[] = []
  for (const f of w.fixes) {
    const s = byKey.get(`${f.unit}|${f.ts}`)
    if (s === undefined || s.lat !== f.lat || s.lon !== f.lon || s.h3 !== f.h3 || (f.seq !== null && Number(s.seq) !== f.seq)) {
      wrong++
      if (examples.length < 3) examples.push(JSON.stringify({ expected: f, stored: s }))
    }
  }
  t.equal(wrong, 0, `every published fix is stored with its values and H3 cell ${examples.join(' ')}`)
  const rej = await rows<{ reason: string; c: string }>(client, `SELECT reason, count() AS c FROM ${db}.rejects GROUP BY reason`)
  const got = Object.fromEntries(rej.map((r) => [r.reason, Number(r.c)]))
  t.same(got, Object.fromEntries(w.rejects), 'rejects holds exactly the invalid payloads, by reason')
}

async function run(t: Test, h: Harness, w: Workload): Promise<void> {
  const pub = await connect(h.mqttUrl, { clientId: `pub-${process.pid}` })
  await publishAll(pub, w.messages)
  await pub.endAsync()
  await checkStored(t, h.engine.testHandle().ch.client, h.engine.testHandle().ch.database, w)
  const metrics = await h.engine.metrics.registry.getSingleMetricAsString('hexpatrol_rejects_total')
  t.match(metrics, /hexpatrol_rejects_total\{reason="invalid_json"\} \d+/, 'rejects are counted by reason')
}

t.test('embedded broker → embedded ClickHouse', async (t) => {
  const w = makeWorkload({ messages: MESSAGES, seed: 11 })
  t.ok(w.fixes.length >= MESSAGES, `workload has ${w.fixes.length} fixes in ${w.messages.length} messages`)
  const h = await startEngine()
  t.teardown(() => h.engine.stop())
  await run(t, h, w)
})

t.test('Mosquitto → embedded ClickHouse', { skip: mosquittoPath() === null ? 'mosquitto is not installed (apt-get install -y mosquitto); .ci/run installs it' : false }, async (t) => {
  const mosq = await startMosquitto()
  t.teardown(() => mosq.stop())
  // Behind an external broker an OwnTracks phone is unit <user> (the level the ACL binds to the login).
  const w = makeWorkload({ messages: MESSAGES, seed: 12, owntracksUnit: 'user' })
  const h = await startEngine({ mqtt: { url: mosq.url, client_id: `hexp-it-${process.pid}` } })
  t.teardown(() => h.engine.stop())
  await waitFor(() => h.engine.testHandle().source.subscriber?.subscribed, 10_000)
  await run(t, h, w)
})

const chUrl = process.env.HEXPATROL_CLICKHOUSE_URL
t.test('embedded broker → external ClickHouse server', { skip: chUrl === undefined ? 'HEXPATROL_CLICKHOUSE_URL is not set: no external ClickHouse server to test against' : false }, async (t) => {
  const w = makeWorkload({ messages: MESSAGES, seed: 13 })
  const db = `hexpatrol_it_${process.pid}`
  const h = await startEngine({ clickhouse: { url: chUrl, database: db, username: process.env.HEXPATROL_CLICKHOUSE_USER ?? 'default', password: process.env.HEXPATROL_CLICKHOUSE_PASSWORD ?? '' } })
  t.teardown(async () => {
    await h.engine.testHandle().ch.client.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => undefined)
    await h.engine.stop()
  })
  await run(t, h, w)
})
