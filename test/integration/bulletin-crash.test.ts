// Issue 13: the daily bulletin exactly once across kill -9. The engine runs as a real child
// process on a shifted clock (HEXPATROL_CLOCK_OFFSET_MS, test only) that puts 08:00 a few seconds
// ahead; it is killed with SIGKILL just before the due time, restarted after it (an outage across
// 08:00), killed again the moment the webhook arrives, and restarted once more. ClickHouse holds
// one generation of the bulletin and the receiver saw one event (one webhook-id).
import t from 'tap'
import { engineProcess } from '../helpers/engine-process.js'
import { freePort } from '../helpers/mosquitto.js'
import { startReceiver } from '../helpers/receiver.js'
import { tempDir, waitFor } from '../helpers/harness.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const READ = 'read-token-0123456789abcdef'

t.test('kill -9 around 08:00: one bulletin stored, one event delivered', { timeout: 180_000 }, async (t) => {
  const rx = await startReceiver(SECRET)
  t.teardown(() => rx.close())
  const real = new Date()
  // Today's 08:00 UTC is due for yesterday (UTC deployment); the engine's clock starts 25 s before it.
  const due = Date.UTC(real.getUTCFullYear(), real.getUTCMonth(), real.getUTCDate(), 8)
  const period = new Date(due - 86_400_000).toISOString().slice(0, 10)
  const offset = due - 25_000 - Date.now()
  const engineNow = () => Date.now() + offset
  const dataDir = tempDir('hexp-bulletin-crash-')
  const engine = await engineProcess(dataDir, {
    units: [{ id: 'P-1', post: 'station-a' }],
    posts: [{ id: 'station-a', lat: 36.49, lon: 117.86, radius_m: 1000 }],
    broker: { port: await freePort() },
    reports: { timezone: 'UTC', daily_at: '08:00' },
    webhooks: [{ id: 'duty-desk', url: rx.url, secret: SECRET, events: ['patrol_bulletin.*'] }],
    delivery: { allow_private_networks: ['127.0.0.0/8'] },
    api: { tokens: [{ name: 'viewer', scope: 'read', token_env: 'HEXP_TEST_READ' }] },
  }, { HEXPATROL_CLOCK_OFFSET_MS: String(offset), HEXP_TEST_READ: READ })
  t.teardown(() => engine.kill9())

  await engine.start()
  t.ok(engineNow() < due - 2000, 'the engine came up before the due time')
  await waitFor(() => engineNow() >= due - 2000, 30_000)
  await engine.kill9()
  t.equal(rx.received.length, 0, 'nothing was due before the kill')

  // Down across 08:00: the restart owes the bulletin and produces it.
  await waitFor(() => engineNow() >= due + 500, 10_000)
  await engine.start()
  await waitFor(() => rx.received.length >= 1, 30_000)
  // Killed the moment the event arrives, then back.
  await engine.kill9()
  await engine.start()
  await new Promise((r) => setTimeout(r, 3000))

  const list = await fetch(`${engine.httpUrl}/api/v1/reports/bulletins?kind=daily`, { headers: { authorization: `Bearer ${READ}` } })
  t.equal(list.status, 200)
  t.same((await list.json() as { bulletins: Array<{ period: string; generations: number }> }).bulletins.map((b) => [b.period, b.generations]), [[period, 1]], 'one generation in `bulletins`')
  const got = await fetch(`${engine.httpUrl}/api/v1/reports/bulletins/daily/${period}`, { headers: { authorization: `Bearer ${READ}` } })
  t.match(await got.json(), { kind: 'daily', period, timezone: 'UTC', headline: { unitsConfigured: 1 } })
  t.equal((await fetch(`${engine.httpUrl}/api/v1/reports/bulletins`)).status, 401, 'no token, no bulletin')

  const ids = new Set(rx.received.map((r) => r.id))
  t.same([...ids], [`msg_patrol_bulletin.daily.${period}`], 'one event (one webhook-id) for the period')
  // The kill lands the moment the receiver has the event, before the engine can have seen the 2xx
  // and marked the delivery done: a second delivery is then the documented at-least-once hand-over
  // of the SAME webhook-id (receivers dedupe on it), never a second bulletin. On an idle machine the
  // engine usually marks it first (one delivery); under load the kill can win (two). More would be a
  // redelivery loop.
  const deliveries = rx.received.map((r) => r.type)
  t.ok(deliveries.length >= 1 && deliveries.length <= 2 && deliveries.every((x) => x === 'patrol_bulletin.daily'), `delivered once, or twice with the same webhook-id when the kill beat the outbox (${deliveries.length})`)
  // (Signatures are checked in webhook-e2e: here the engine signs with its shifted clock, which a
  // receiver's 5-minute timestamp tolerance rightly refuses.)
  t.equal(await engine.stop(), 0)
})
