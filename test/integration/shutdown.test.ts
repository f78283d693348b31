// Issue 8, promise 2: a stop under load loses nothing that was acknowledged. While the engine
// stops, fixes keep arriving over MQTT and requests over HTTP: each is either completed (PUBACK,
// 2xx) or refused cleanly (no PUBACK, 503 or connection refused). After a restart on the same data
// directory, every acknowledged fix is stored exactly once, an acknowledgement answered 200 is in
// the alerts table, and the final tick's transitions were journaled and published on MQTT before
// the broker closed.
import t from 'tap'
import { startEngine, tempDir, waitFor, type Harness } from '../helpers/harness.js'
import { connect } from '../helpers/publisher.js'
import { rows } from '../helpers/clickhouse.js'

const TOKEN = 'shutdown-test-admin-token'
const STATION = { lat: 36.49, lon: 117.86 }
const config = {
  http: { admin_token: TOKEN },
  units: [{ id: 'P-017', post: 'station-03' }, { id: 'P-020', silent_after: '1s' }],
  posts: [{ id: 'station-03', ...STATION, radius_m: 1500 }],
  // No timer tick during the test: the only tick is the final one, inside stop().
  rules: { radius: { dwell: '60s' }, allowed_lateness: '0s', tick: '1h', coverage_snapshot_interval: '1h' },
}

const db = (h: Harness) => h.engine.testHandle().ch

// The stop starts at once after the acknowledgement is sent, or a few ms later (in flight).
for (const delayMs of [0, 15]) {
t.test(`stop ${delayMs} ms after an acknowledgement, while fixes and requests arrive: completed or refused, nothing acknowledged lost`, { timeout: 240_000 }, async (t) => {
  const dataDir = tempDir('hexp-stop-')
  let h = await startEngine(config, { dataDir })
  const pub = await connect(h.mqttUrl, { clientId: 'stop-pub', reconnectPeriod: 0 })
  pub.on('error', () => {})
  // Open a radius breach (P-017 drives 2 km north and stays), and give P-020 one fix so it goes silent.
  const start = Date.now() - 600_000
  for (let i = 0; i < 26; i++) {
    const d = i < 6 ? 0 : 0.018
    await pub.publishAsync('fleet/P-017/position', JSON.stringify({ ts: start + i * 5000, lat: STATION.lat + d, lon: STATION.lon, accuracy: 8, seq: i }), { qos: 1 })
  }
  await pub.publishAsync('fleet/P-020/position', JSON.stringify({ ts: Date.now() - 500, lat: 36.5, lon: 117.9, seq: 0 }), { qos: 1 })
  const breach = await waitFor(() => h.engine.testHandle().rules!.openAlerts().find((a) => a.kind === 'radius_breach'), 10_000)
  const listener = await connect(h.mqttUrl, { clientId: 'stop-listener', reconnectPeriod: 0 })
  listener.on('error', () => {})
  const onMqtt: string[] = []
  listener.on('message', (_topic, payload) => onMqtt.push((JSON.parse(payload.toString()) as { type: string }).type))
  await listener.subscribeAsync('hexpatrol/alerts/#', { qos: 1 })
  await new Promise((r) => setTimeout(r, 1500)) // P-020 is now past its silent_after

  // Load during the stop: a stream of QoS 1 fixes and of HTTP requests, the acknowledgement among them.
  const acked: number[] = []
  let seq = 100
  const load = { running: true }
  const fixes = (async () => {
    while (load.running) {
      const n = seq++
      const p = pub.publishAsync('fleet/P-017/position', JSON.stringify({ ts: start + n * 5000, lat: STATION.lat + 0.018, lon: STATION.lon, accuracy: 8, seq: n }), { qos: 1 })
        .then(() => { acked.push(n) }, () => {}) // not acknowledged: the publisher keeps it
      await Promise.race([p, new Promise((r) => setTimeout(r, 20))])
    }
  })()
  const statuses: Array<number | 'refused'> = []
  const request = (path: string, init?: RequestInit) => fetch(`${h.httpUrl}${path}`, init).then((r) => { statuses.push(r.status); return r.status }, () => { statuses.push('refused'); return 'refused' as const })
  const gets = (async () => {
    while (load.running) await request('/api/v1/alerts', { headers: { authorization: `Bearer ${TOKEN}` } })
  })()
  await new Promise((r) => setTimeout(r, 300))
  const ack = request(`/api/v1/alerts/${breach.id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ note: 'shutdown drill' }) })
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs))
  const stopped = h.engine.stop()
  await stopped
  load.running = false
  await Promise.all([fixes, gets])
  const ackStatus = await ack
  pub.end(true)
  listener.end(true)

  t.ok(acked.length > 0, `fixes were acknowledged during the run-up to the stop (${acked.length})`)
  t.ok(statuses.every((s) => s === 200 || s === 503 || s === 'refused'), `every request completed or was refused cleanly: ${[...new Set(statuses)].join(', ')}`)
  t.ok(ackStatus === 200 || ackStatus === 503 || ackStatus === 'refused', `the acknowledgement completed or was refused (${ackStatus})`)
  t.ok(h.logs.every((l) => !/journal is closed/.test(JSON.stringify(l))), 'nothing ran into a closed journal')
  t.ok(onMqtt.includes('unit_silent.opened'), 'the final tick\'s transition was published on MQTT before the broker closed')

  // Restart: what was acknowledged is there, once.
  h = await startEngine(config, { dataDir })
  t.teardown(() => h.engine.stop())
  const stored = async () => (await rows<{ seq: number }>(db(h).client, `SELECT seq FROM ${db(h).database}.positions WHERE unit_id = 'P-017' AND seq >= 100`)).map((r) => Number(r.seq))
  await waitFor(async () => (await stored()).length >= acked.length, 30_000, 200)
  const seqs = await stored()
  t.equal(new Set(seqs).size, seqs.length, 'no fix stored twice')
  t.same(acked.filter((n) => !seqs.includes(n)), [], 'every acknowledged fix is stored')
  const alerts = async () => (await rows<{ type: string }>(db(h).client, `SELECT concat(kind, '.', state) AS type FROM ${db(h).database}.alerts ORDER BY at`)).map((r) => r.type)
  await waitFor(async () => (await alerts()).includes('unit_silent.opened'), 30_000, 200)
  const types = await alerts()
  t.ok(types.includes('unit_silent.opened'), 'the final tick\'s transition is in the alerts table')
  const view = h.engine.testHandle().rules!.getAlert(breach.id)!
  if (ackStatus === 200) {
    t.ok(types.includes('radius_breach.acknowledged'), 'the acknowledgement answered 200 is stored')
    t.equal(view.state, 'acknowledged', 'and survives the restart')
  } else {
    t.notOk(types.includes('radius_breach.acknowledged'), 'a refused acknowledgement changed nothing')
    t.equal(view.state, 'opened')
  }
})
}
