// The engine-process helper on one real engine child (single-node defaults, embedded broker on a
// free port, rules on): fixes published over MQTT show in the API and a breach reaches the
// receiver once; SIGSTOP freezes it (a QoS 1 publish waits for its ack) and SIGCONT thaws it;
// kill -9 and a start on the same data dir recover the journal. The base the multi-engine
// cluster tests build on.
import t from 'tap'
import { startEngineProcess } from '../helpers/engine-process.js'
import { waitFor } from '../helpers/harness.js'
import { connect } from '../helpers/publisher.js'
import { startReceiver } from '../helpers/receiver.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const STATION = { lat: 36.49, lon: 117.86 }
/** A radius breach's subject: the unit and its post. */
const SUBJECT = 'unit:P-017/post:station-03'

interface UnitDetail { id: string; lastFix: { ts: number; lat: number; lon: number } | null }

t.test('one engine child: API, webhook, SIGSTOP/SIGCONT, kill -9 and restart on the same data dir', { timeout: 120_000 }, async (t) => {
  const rx = await startReceiver(SECRET)
  t.teardown(() => rx.close())
  const engine = await startEngineProcess(t, {
    config: {
      units: [{ id: 'P-017', name: 'Patrol car 17', post: 'station-03' }],
      posts: [{ id: 'station-03', name: 'Chengxi station', ...STATION, radius_m: 1500 }],
      rules: { radius: { dwell: '30s' }, allowed_lateness: '0s', tick: '200ms' },
    },
    webhook: { url: rx.url, secret: SECRET, events: ['radius_breach.*'] },
  })
  const started = await engine.waitForLog((l) => l.msg === 'hexpatrol started.')
  t.equal(started.rules, true, 'the pino line of the start is captured, rules on')

  const pub = await connect(engine.mqttUrl, { clientId: 'p-017' })
  t.teardown(() => pub.endAsync(true))
  const t0 = Date.now() - 600_000
  let i = 0
  const send = async (n: number, dLat: number) => {
    for (let k = 0; k < n; k++, i++) await pub.publishAsync('fleet/P-017/position', JSON.stringify({ ts: t0 + i * 5000, lat: STATION.lat + dLat, lon: STATION.lon, accuracy: 6 }), { qos: 1 })
  }
  await send(3, 0)
  await send(12, 0.02)
  const lastTs = t0 + (i - 1) * 5000
  const unit = await waitFor(async () => {
    const r = await engine.api<UnitDetail>('/api/v1/units/P-017')
    return r.status === 200 && r.body.lastFix?.ts === lastTs ? r.body : undefined
  }, 60_000)
  t.equal(unit.lastFix?.lat, STATION.lat + 0.02, 'the API (with the helper\'s token) answers the last published fix')
  await waitFor(() => rx.count('radius_breach.opened', SUBJECT) >= 1, 60_000)

  // Frozen: nothing answers, a QoS 1 publish is not acknowledged until the process runs again.
  engine.pause()
  t.equal(engine.paused, true, 'the helper knows it is paused')
  const health = await fetch(`${engine.httpUrl}/healthz`, { signal: AbortSignal.timeout(500) }).then(() => 'answered', () => 'no answer')
  t.equal(health, 'no answer', 'a paused engine does not answer HTTP')
  let acked = false
  const frozen = pub.publishAsync('fleet/P-017/position', JSON.stringify({ ts: t0 + i++ * 5000, lat: STATION.lat + 0.02, lon: STATION.lon, accuracy: 6 }), { qos: 1 }).then(() => { acked = true })
  await new Promise((r) => setTimeout(r, 500))
  t.equal(acked, false, 'a QoS 1 publish waits while the engine is paused')
  engine.resume()
  await frozen
  t.equal(acked, true, 'and is acknowledged once it resumes')
  t.equal((await engine.readyz())?.status, 200, 'ready again after SIGCONT')

  // kill -9, then a start on the same data dir: the journal's fixes are recovered.
  await engine.kill9()
  t.equal(engine.child?.signalCode, 'SIGKILL', 'killed by SIGKILL')
  const before = engine.logs.length
  await engine.start()
  t.ok(engine.runLogs.length > 0 && engine.logs.length > before, 'the second run\'s lines are captured apart')
  await engine.waitForLog((l) => l.msg === 'hexpatrol started.')
  // Every acknowledged fix, the one acked after SIGCONT included, is in ClickHouse once: the
  // journal's unshipped tail was recovered and shipped.
  const published = Array.from({ length: i }, (_, k) => t0 + k * 5000)
  const track = await waitFor(async () => {
    const r = await engine.api<{ points: Array<{ ts: number }> }>(`/api/v1/units/P-017/track?from=${t0 - 1}&limit=1000`)
    return r.status === 200 && r.body.points.length >= published.length ? r.body.points.map((p) => p.ts) : undefined
  }, 60_000)
  t.same([...track].sort((a, b) => a - b), published, 'after kill -9 the stored track holds every acknowledged fix, once')
  // The live view comes back from the rule-state snapshot (saved lazily, not from the journal):
  // it may lag the last acknowledged fixes until the unit sends again. Printed, not asserted.
  const live = (await engine.api<UnitDetail>('/api/v1/units/P-017')).body.lastFix?.ts
  t.comment(`live lastFix after kill -9: ${live === undefined ? 'none' : `${(published[published.length - 1]! - live) / 5000} fix(es) behind the last acknowledged`}`)
  await send(1, 0.02)
  await waitFor(async () => (await engine.api<UnitDetail>('/api/v1/units/P-017')).body.lastFix?.ts === t0 + (i - 1) * 5000, 60_000)
  t.pass('fixes flow again after the restart')

  t.equal(rx.unverified().length, 0, 'every delivery verifies with standardwebhooks')
  t.same(rx.duplicates(), [], 'no webhook-id delivered twice across the kill -9')
  t.equal(rx.count('radius_breach.opened', SUBJECT), 1, 'one breach opened, once')
  t.equal(await engine.stop(), 0, 'SIGTERM: a clean stop exits 0')
})
