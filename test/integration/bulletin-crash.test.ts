// Issue 13: the daily bulletin exactly once across kill -9. The engine runs as a real child
// process on a shifted clock (HEXPATROL_CLOCK_OFFSET_MS, test only). Each start gets its offset
// when it is spawned, so how long start-up takes (over 20 s on a loaded machine) never decides
// which side of 08:00 the engine is on: the first run comes up well before 08:00 and is killed
// with SIGKILL still before it; the restart comes up after it (an outage across 08:00), is killed
// again the moment the webhook arrives, and is restarted once more on the same clock. ClickHouse
// holds one generation of the bulletin and the receiver saw one event (one webhook-id).
import t from 'tap'
import { engineProcess, START_LIMIT_MS } from '../helpers/engine-process.js'
import { freePort } from '../helpers/mosquitto.js'
import { startReceiver } from '../helpers/receiver.js'
import { tempDir, waitFor } from '../helpers/harness.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const READ = 'read-token-0123456789abcdef'

t.test('kill -9 around 08:00: one bulletin stored, one event delivered', { timeout: 280_000 }, async (t) => {
  const rx = await startReceiver(SECRET)
  t.teardown(() => rx.close())
  const real = new Date()
  // Today's 08:00 UTC is due for yesterday (UTC deployment).
  const due = Date.UTC(real.getUTCFullYear(), real.getUTCMonth(), real.getUTCDate(), 8)
  const period = new Date(due - 86_400_000).toISOString().slice(0, 10)
  // The engine's clock is real time + offset; clockAt() sets the offset so that the engine's clock
  // reads `at` the moment the child is spawned, and returns the child's environment for it.
  let offset = 0
  const engineNow = () => Date.now() + offset
  const clockAt = (at: number) => {
    offset = at - Date.now()
    return { HEXPATROL_CLOCK_OFFSET_MS: String(offset) }
  }
  const dataDir = tempDir('hexp-bulletin-crash-')
  // The runner's durable state: when the schedule started and which periods are done.
  const schedule = () => {
    try {
      return JSON.parse(readFileSync(join(dataDir, 'reports', 'state.json'), 'utf8')) as { since: number; done: Record<string, number> }
    } catch {
      return undefined
    }
  }
  const engine = await engineProcess(dataDir, {
    units: [{ id: 'P-1', post: 'station-a' }],
    posts: [{ id: 'station-a', lat: 36.49, lon: 117.86, radius_m: 1000 }],
    broker: { port: await freePort() },
    reports: { timezone: 'UTC', daily_at: '08:00' },
    webhooks: [{ id: 'duty-desk', url: rx.url, secret: SECRET, events: ['patrol_bulletin.*'] }],
    delivery: { allow_private_networks: ['127.0.0.0/8'] },
    api: { tokens: [{ name: 'viewer', scope: 'read', token_env: 'HEXP_TEST_READ' }] },
  }, { HEXP_TEST_READ: READ })
  t.teardown(() => engine.kill9())

  // First run: spawned 10 minutes (engine time) before 08:00, longer than start() ever waits
  // (START_LIMIT_MS), so it is up, and killed, before the due time however slow start-up is.
  t.ok(START_LIMIT_MS < 10 * 60_000, 'the first run cannot reach 08:00 while starting')
  await engine.start(clockAt(due - 10 * 60_000))
  const before = schedule()
  t.ok(before !== undefined && before.since < due, 'the schedule started before the due time (the restart owes the bulletin)')
  t.same(before?.done, {}, 'nothing done yet')
  await engine.kill9()
  t.ok(engineNow() < due, 'killed before the due time')
  t.equal(rx.received.length, 0, 'nothing was due before the kill')

  // Down across 08:00: the restart, spawned half a second after it, owes the bulletin and produces it.
  await engine.start(clockAt(due + 500))
  await waitFor(() => rx.received.length >= 1, 120_000)
  // Killed the moment the event arrives, then back on the same clock (the outage goes on ticking).
  await engine.kill9()
  await engine.start({ HEXPATROL_CLOCK_OFFSET_MS: String(offset) })
  // Settled (instead of a fixed pause, which a loaded machine can outrun): the period is recorded as
  // done, so any repeated hand-over has happened, and the outbox is empty, so every delivery it
  // owed has reached the receiver. A second bulletin or a redelivery would be in `rx` by now.
  await waitFor(async () => schedule()?.done[`daily/${period}`] !== undefined && (await engine.metric('hexpatrol_webhook_outbox_depth')) === 0, 120_000)

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
