// Issue 5 end to end: a unit driving out of its post's radius over MQTT produces exactly one
// signed radius_breach.opened at the receiver, and one radius_breach.resolved when it returns.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { startEngine, waitFor } from '../helpers/harness.js'
import { connect } from '../helpers/publisher.js'
import { startReceiver } from '../helpers/receiver.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const STATION = { lat: 36.49, lon: 117.86 }

t.test('MQTT fix → breach → one signed webhook per transition', async (t) => {
  const rx = await startReceiver(SECRET)
  t.teardown(() => rx.close())
  const h = await startEngine({
    units: [{ id: 'P-017', name: 'Patrol car 17', post: 'station-03' }],
    posts: [{ id: 'station-03', name: 'Chengxi station', ...STATION, radius_m: 1500 }],
    rules: { radius: { dwell: '30s' }, allowed_lateness: '0s', tick: '200ms' },
    webhooks: [{ id: 'duty-desk', url: rx.url, secret: SECRET, events: ['radius_breach.*'] }],
    delivery: { allow_private_networks: ['127.0.0.0/8'] },
  })
  t.teardown(() => h.engine.stop())
  const pub = await connect(h.mqttUrl, { clientId: 'p-017' })
  t.teardown(() => pub.endAsync())
  const start = Date.now() - 600_000
  let i = 0
  const send = async (n: number, d: number) => {
    for (let k = 0; k < n; k++, i++) await pub.publishAsync('fleet/P-017/position', JSON.stringify({ ts: start + i * 5000, lat: STATION.lat + d, lon: STATION.lon, accuracy: 6 }), { qos: 1 })
  }
  await send(3, 0)
  await send(12, 0.02)
  await waitFor(() => rx.received.length >= 1, 20_000)
  await send(12, 0)
  await waitFor(() => rx.received.length >= 2, 20_000)
  await new Promise((r) => setTimeout(r, 500))
  t.same(rx.received.map((r) => r.type), ['radius_breach.opened', 'radius_breach.resolved'], 'exactly one opened, then one resolved')
  t.ok(rx.received.every((r) => r.verified), 'every signature verifies with the standardwebhooks library')
  const data = rx.received[0]!.body.data as Record<string, unknown>
  t.equal(data.unitId, 'P-017')
  t.equal(data.postName, 'Chengxi station')
  t.ok((data.distanceM as number) > 1500, 'the payload carries the distance')
  t.equal(data.radiusM, 1500)
  t.ok(data.position, 'and the confirming position')
  t.not(rx.received[0]!.id, rx.received[1]!.id, 'each transition has its own webhook-id')

  // The engine's whole /metrics scrape after real traffic (ingest, rules, webhooks, process
  // collectors) is what Prometheus reads: promtool must accept all of it, not only our own names.
  const promtool = spawnSync('promtool', ['--version']).error === undefined
  await t.test('promtool accepts the full /metrics scrape of the running engine', { skip: promtool ? false : 'promtool is not installed (Debian package prometheus; .ci/run installs it)' }, async (t) => {
    const scrape = await (await fetch(`${h.httpUrl}/metrics`)).text()
    t.match(scrape, /hexpatrol_webhook_deliveries_total\{/, 'the scrape carries the webhook metrics')
    t.match(scrape, /hexpatrol_process_process_cpu_seconds_total /, 'and the process collectors')
    const res = spawnSync('promtool', ['check', 'metrics'], { input: scrape, encoding: 'utf8' })
    t.equal(`${res.stdout}${res.stderr}`.trim(), '', 'no complaints')
    t.equal(res.status, 0, 'promtool exit status 0')
  })
})
