// Rarer paths of the dispatcher: defaults, concurrent 410s, races with removal, outbox write
// failures, events that cannot be rendered, https agents.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { Dispatcher, webhookIdFor, type FailedInfo, type DisabledInfo } from '../../src/delivery/dispatcher.js'
import { startReceiver, makeEvent, tmpDir, waitFor, until, captureLogger, testConfig, SECRET } from './fixtures/alerts.js'
import { makeDispatcher } from './fixtures/dispatcher.js'

t.test('webhook ids: readable when the event id is safe, hashed otherwise', async (t) => {
  t.equal(webhookIdFor('al-1.opened'), 'msg_al-1.opened')
  // Golden: receivers deduplicate on webhook-id across retries, restarts and upgrades.
  t.equal(webhookIdFor('unit:P 1#x.opened'), 'msg_833559da95756a381180ffecb9008e7c')
})

t.test('defaults: no registry, clock, random, env or version given; dead letters reload', async (t) => {
  const rx = await startReceiver(() => ({ status: 500 }))
  t.teardown(() => rx.close())
  const dir = tmpDir()
  const cfg = testConfig([{ id: 'a', url: rx.url, secret: SECRET }, { id: 'b', url: 'https://127.0.0.1:9/', secret: SECRET }], { horizon: '50ms', schedule: ['0s', '10ms'] })
  const { logger } = captureLogger()
  const d = new Dispatcher({ dir, webhooks: cfg.webhooks, delivery: cfg.delivery, logger })
  d.start()
  const dead = waitFor(d, 'dead', 2)
  d.publish(makeEvent('unit_silent', 'opened'))
  await dead
  t.equal(rx.received[0]!.headers['user-agent'], 'hexpatrol/0.0.0')
  t.match(d.deadLetters().find((x) => x.subscriptionId === 'b'), { lastError: /ECONNREFUSED/ })
  t.equal(d.removeSubscription('b'), true)
  d.addSubscription({ id: 'c', url: rx.url } as never)
  t.equal(d.removeSubscription('c'), true, 'a subscription that never had a delivery')
  await d.stop()
  const again = new Dispatcher({ dir, webhooks: cfg.webhooks, delivery: cfg.delivery, logger })
  t.equal(again.deadLetters().length, 2)
  t.equal(again.subscriptions().find((s) => s.id === 'a')?.dead, 1)
})

t.test('two in-flight deliveries both answered 410: disabled once', async (t) => {
  const rx = await startReceiver(() => ({ status: 410, delayMs: 50 }))
  t.teardown(() => rx.close())
  const { d } = makeDispatcher(tmpDir(), [{ id: 'a', url: rx.url, secret: SECRET, max_concurrency: 2 }])
  t.teardown(() => d.stop())
  let disabled = 0
  d.on('disabled', (i: DisabledInfo) => void (disabled += i.status === 410 ? 1 : 0))
  d.start()
  d.publish(makeEvent('unit_silent', 'opened'))
  d.publish(makeEvent('coverage_gap', 'opened')) // another subject: both in flight at once
  await until(() => rx.received.length === 2 && d.subscriptions()[0]!.inFlight === 0)
  t.equal(disabled, 1)
  t.equal(d.depth(), 2)
  t.match(d.subscriptions()[0], { enabled: false, pending: 2, lastStatus: 410 })
})

t.test('removed while its failed attempt is being written: the record is not resurrected', async (t) => {
  const rx = await startReceiver(() => ({ status: 500 }))
  t.teardown(() => rx.close())
  const dir = tmpDir()
  const { d } = makeDispatcher(dir, [{ id: 'a', url: rx.url, secret: SECRET }], { schedule: ['0s', '1h'] })
  t.teardown(() => d.stop())
  const outbox = (d as unknown as { outbox: { update: (r: unknown) => Promise<void> } }).outbox
  const update = outbox.update.bind(outbox)
  outbox.update = async (r) => {
    d.removeSubscription('a')
    await update(r)
  }
  const failed = waitFor(d, 'failed')
  d.start()
  d.publish(makeEvent('unit_silent', 'opened'))
  await failed
  t.same(fs.readdirSync(path.join(dir, 'outbox')).filter((f) => f.endsWith('.json')), [])
})

t.test('an outbox write failure is logged; the delivery stays queued in memory', async (t) => {
  const rx = await startReceiver(() => ({ status: 500, delayMs: 100 }))
  t.teardown(() => rx.close())
  const dir = tmpDir()
  const { d, lines } = makeDispatcher(dir, [{ id: 'a', url: rx.url, secret: SECRET }], { schedule: ['0s', '1h'] })
  t.teardown(() => d.stop())
  d.start()
  d.publish(makeEvent('unit_silent', 'opened'))
  await until(() => rx.received.length === 1)
  fs.rmSync(path.join(dir, 'outbox'), { recursive: true })
  await until(() => lines.some((l) => /Writing the webhook outbox failed/.test(String(l.msg))))
  t.equal(d.depth(), 1)
  // Issue 9 (row 10): publish runs inside the rule tick, so it never throws; the loss is logged with
  // its cause and counted (hexpatrol_webhook_internal_errors_total) instead of crashing the engine.
  t.equal(d.publish(makeEvent('zone_exit', 'opened')), 0, 'nothing could be made durable')
  t.match(lines.at(-1), { level: 50, subscription: 'a', err: { code: 'ENOENT' }, msg: /could not be written to the outbox/ })
})

t.test('an event that cannot be rendered fails like any attempt and is dead-lettered at the horizon', async (t) => {
  const rx = await startReceiver()
  t.teardown(() => rx.close())
  const { d } = makeDispatcher(tmpDir(), [{ id: 'a', url: rx.url, secret: SECRET }], { horizon: '30ms', schedule: ['0s', '10ms'] })
  t.teardown(() => d.stop())
  d.start()
  const failed = waitFor(d, 'failed')
  const dead = waitFor(d, 'dead')
  d.publish(makeEvent('unit_silent', 'opened', { at: Number.NaN }))
  const [f] = (await failed) as FailedInfo[]
  t.match(f!.error, /Invalid time value/)
  await dead
  t.equal(rx.received.length, 0)
})

t.test('removing a subscription waiting for its retry timer', async (t) => {
  const rx = await startReceiver(() => ({ status: 500 }))
  t.teardown(() => rx.close())
  const { d } = makeDispatcher(tmpDir(), [{ id: 'a', url: rx.url, secret: SECRET }], { schedule: ['0s', '1h'] })
  t.teardown(() => d.stop())
  d.start()
  const failed = waitFor(d, 'failed')
  d.publish(makeEvent('unit_silent', 'opened'))
  await failed
  await until(() => d.subscriptions()[0]!.inFlight === 0)
  t.equal(d.removeSubscription('a'), true)
  t.equal(d.depth(), 0)
})
