// Issue 3, test 3: Mosquitto (persistence on) restarted while the engine is receiving. Every fix
// the broker acknowledged to the publisher ends up in ClickHouse once.
import t from 'tap'
import { startEngine, waitFor } from '../helpers/harness.js'
import { mosquittoPath, startMosquitto } from '../helpers/mosquitto.js'
import { connect } from '../helpers/publisher.js'
import { compareLedger, summary } from '../helpers/ledger.js'
import { storedKeys } from '../helpers/clickhouse.js'

t.test('Mosquitto restart under load: no loss, no duplicates', { skip: mosquittoPath() === null ? 'mosquitto is not installed (apt-get install -y mosquitto); .ci/run installs it' : false }, async (t) => {
  const mosq = await startMosquitto()
  t.teardown(() => mosq.stop())
  const h = await startEngine({ mqtt: { url: mosq.url, client_id: 'hexpatrol-restart-test', reconnect_period: '200ms' }, journal: { fsync: 'never', segment_max_age: '250ms' } }, { rules: false })
  t.teardown(() => h.engine.stop())
  await waitFor(() => h.engine.testHandle().source.subscriber?.subscribed, 10_000)
  // The publisher keeps its own session too, so messages it had in flight are re-sent.
  const pub = await connect(mosq.url, { clientId: 'restart-publisher', clean: false, reconnectPeriod: 200 })
  const N = 30_000
  const acked: string[] = []
  const inflight = new Set<Promise<void>>()
  let restarted = false
  for (let j = 0; j < N; j++) {
    const key = `U-${j % 100}|${j}`
    const p: Promise<void> = pub.publishAsync(`fleet/U-${j % 100}/position`, JSON.stringify({ ts: Date.now() - 600_000 + j, lat: 36.45 + (j % 997) * 1e-4, lon: 117.8, seq: j }), { qos: 1 })
      .then(() => { acked.push(key) }, () => undefined)
      .finally(() => inflight.delete(p))
    inflight.add(p)
    if (inflight.size >= 200) await Promise.race(inflight)
    if (!restarted && j === Math.floor(N * 0.4)) {
      restarted = true
      await mosq.restart()
    }
  }
  await waitFor(async () => { await Promise.race([Promise.all(inflight), new Promise((r) => setTimeout(r, 1000))]); return inflight.size === 0 }, 120_000)
  await pub.endAsync()
  t.ok(acked.length >= N * 0.99, `the broker acknowledged ${acked.length} of ${N} fixes across its restart`)
  const reconnects = (await h.engine.metrics.mqttReconnects.get()).values[0]?.value ?? 0
  t.ok(reconnects >= 1, `the engine reconnected (${reconnects} attempts)`)
  const count = () => storedKeys(h.engine.testHandle().ch.client, h.engine.testHandle().ch.database)
  let stored: string[] = []
  await waitFor(async () => { stored = await count(); return compareLedger(acked, stored).missing.length === 0 }, 120_000, 500)
  const diff = compareLedger(acked, stored)
  t.equal(diff.missing.length, 0, `every acknowledged fix stored: ${summary(diff)}`)
  t.equal(diff.duplicated.length, 0, 'none stored twice')
  // A fix whose PUBACK the publisher never saw may still have reached the broker: allowed, once.
  const attempted = new Set(Array.from({ length: N }, (_, j) => `U-${j % 100}|${j}`))
  t.same(diff.unexpected.filter((k) => !attempted.has(k)), [], 'only published fixes stored')
})
