import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { type DeliveredInfo, type FailedInfo, type DeadInfo, type DisabledInfo } from '../../src/delivery/dispatcher.js'
import { startReceiver, makeEvent, tmpDir, waitFor, until, SECRET, SECRET2, type Received } from './fixtures/alerts.js'
import { makeDispatcher, metricValue } from './fixtures/dispatcher.js'

const verify = (r: Received, secret: string) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>)

t.test('signed delivery, verified by the reference library with each secret during rotation', async (t) => {
  const rx = await startReceiver()
  t.teardown(() => rx.close())
  const { d, registry } = makeDispatcher(tmpDir(), [{ id: 'desk', url: rx.url, secret: [SECRET, SECRET2] }])
  t.teardown(() => d.stop())
  d.start()
  const ev = makeEvent('radius_breach', 'opened')
  t.equal(d.publish(ev), 1)
  t.equal(d.depth(), 1, 'in the outbox before any attempt')
  const [info] = (await waitFor(d, 'delivered')) as DeliveredInfo[]
  t.match(info, { subscriptionId: 'desk', eventId: ev.eventId, webhookId: `msg_${ev.eventId}`, attempts: 1, status: 200 })
  t.ok(info!.latencyMs >= 0)
  const r = rx.received[0]!
  t.same(verify(r, SECRET), { type: 'radius_breach.opened', timestamp: new Date(ev.at).toISOString(), data: ev })
  t.ok(verify(r, SECRET2))
  t.equal(r.headers['webhook-id'], `msg_${ev.eventId}`)
  t.equal(r.headers['user-agent'], 'hexpatrol/test')
  t.equal(r.headers['content-type'], 'application/json')
  t.equal(d.depth(), 0)
  t.equal(await metricValue(registry, 'hexpatrol_webhook_deliveries_total', { subscription: 'desk', outcome: 'delivered' }), 1)
  t.equal(await metricValue(registry, 'hexpatrol_webhook_attempts_total', { subscription: 'desk' }), 1)
  t.equal(await metricValue(registry, 'hexpatrol_webhook_outbox_depth'), 0)
  const text = await registry.metrics()
  t.match(text, /hexpatrol_webhook_delivery_latency_seconds_count 1/)
  t.match(d.subscriptions()[0], { id: 'desk', delivered: 1, failed: 0, pending: 0, enabled: true, signed: true, source: 'config' })
  t.notMatch(JSON.stringify(d.subscriptions()), /whsec_/, 'secrets never exposed')
})

t.test('500 then 200: retried with the same webhook-id', async (t) => {
  const rx = await startReceiver((_r, n) => ({ status: n === 1 ? 500 : 204 }))
  t.teardown(() => rx.close())
  const { d, registry } = makeDispatcher(tmpDir(), [{ id: 'a', url: rx.url, secret: SECRET }])
  t.teardown(() => d.stop())
  d.start()
  const failed = waitFor(d, 'failed')
  d.publish(makeEvent('unit_silent', 'opened'))
  const [f] = (await failed) as FailedInfo[]
  t.match(f, { status: 500, error: 'HTTP 500', attempts: 1 })
  const [ok] = (await waitFor(d, 'delivered')) as DeliveredInfo[]
  t.equal(ok!.attempts, 2)
  t.equal(rx.received.length, 2)
  t.equal(rx.received[0]!.headers['webhook-id'], rx.received[1]!.headers['webhook-id'])
  for (const r of rx.received) t.ok(verify(r, SECRET))
  t.equal(await metricValue(registry, 'hexpatrol_webhook_deliveries_total', { subscription: 'a', outcome: 'failed' }), 1)
  t.match(d.subscriptions()[0], { delivered: 1, failed: 1, lastStatus: 204, lastError: null })
})

t.test('a receiver that never answers times out and is retried; a 3xx is a failure', async (t) => {
  const rx = await startReceiver((_r, n) => (n === 1 ? { status: 200, hang: true } : n === 2 ? { status: 301, headers: { location: 'http://10.0.0.1/' } } : { status: 200 }))
  t.teardown(() => rx.close())
  // The timeout also bounds the 301 and the 200: 150 ms let a loaded machine turn them into
  // timeouts too. 3 s still ends the hanging attempt, and no answer on loopback is that late.
  const { d } = makeDispatcher(tmpDir(), [{ id: 'a', url: rx.url, secret: SECRET }], { timeout: '3s' })
  t.teardown(() => d.stop())
  d.start()
  const failed = waitFor(d, 'failed', 2)
  d.publish(makeEvent('unit_silent', 'opened'))
  const [f1, f2] = (await failed) as FailedInfo[]
  t.match(f1, { status: null, error: /timed out after 3000 ms/ })
  t.match(f2, { status: 301, error: 'HTTP 301 redirect to http://10.0.0.1/ not followed' })
  await waitFor(d, 'delivered')
  t.equal(rx.received.length, 3)
})

t.test('429 with Retry-After is honoured', async (t) => {
  const rx = await startReceiver((_r, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }))
  t.teardown(() => rx.close())
  const { d } = makeDispatcher(tmpDir(), [{ id: 'a', url: rx.url, secret: SECRET }])
  t.teardown(() => d.stop())
  d.start()
  const failed = waitFor(d, 'failed')
  d.publish(makeEvent('unit_silent', 'opened'))
  const [f] = (await failed) as FailedInfo[]
  t.equal(f!.status, 429)
  // Measured from the refused request, not from when this line runs (a loaded machine can reach it late).
  const wait = f!.nextAttemptAt - rx.received[0]!.at
  t.ok(wait >= 1000, `next attempt ${wait} ms after the 429 (schedule says 20 ms, Retry-After says 1 s)`)
  await waitFor(d, 'delivered')
  t.ok(rx.received[1]!.at - rx.received[0]!.at >= 950)
})

t.test('503 with an HTTP-date Retry-After; a 410 disables the subscription, enable resumes', async (t) => {
  let gone = true
  let retryAfter = ''
  const rx = await startReceiver((_r, n) => {
    if (n === 1) return { status: 503, headers: { 'retry-after': (retryAfter = new Date(Date.now() + 2000).toUTCString()) } }
    return gone ? { status: 410 } : { status: 200 }
  })
  t.teardown(() => rx.close())
  const dir = tmpDir()
  const { d, lines, registry } = makeDispatcher(dir, [{ id: 'a', url: rx.url, secret: SECRET, max_concurrency: 1 }, { id: 'b', url: rx.url, secret: SECRET, events: ['zone_exit.*'] }])
  t.teardown(() => d.stop())
  d.start()
  const failed = waitFor(d, 'failed')
  const disabled = waitFor(d, 'disabled')
  d.publish(makeEvent('unit_silent', 'opened'))
  const [f] = (await failed) as FailedInfo[]
  // Against the date sent (at least 1 s after the 503, as HTTP dates have whole seconds), not
  // against when this line runs: the schedule alone would retry 20 ms after the 503.
  t.ok(f!.nextAttemptAt >= Date.parse(retryAfter), 'the HTTP date pushed the retry out')
  const [info] = (await disabled) as DisabledInfo[]
  t.match(info, { subscriptionId: 'a', status: 410, reason: /410 Gone/ })
  t.match(d.subscriptions().find((s) => s.id === 'a'), { enabled: false, disabledReason: /410 Gone/, pending: 1 })
  t.ok(lines.some((l) => l.level === 40 && /disabled/.test(String(l.msg))))
  t.equal(await metricValue(registry, 'hexpatrol_webhook_deliveries_total', { subscription: 'a', outcome: 'disabled' }), 1)
  t.equal(d.publish(makeEvent('unit_silent', 'resolved')), 0, 'a disabled subscription takes no new events')
  t.equal(d.depth(), 1, 'its pending delivery stays in the outbox')
  await new Promise((r) => setTimeout(r, 100))
  t.equal(rx.received.length, 2, 'nothing attempted while disabled')
  // Survives a restart while disabled.
  await d.stop()
  const again = makeDispatcher(dir, [{ id: 'a', url: rx.url, secret: SECRET, max_concurrency: 1 }])
  t.teardown(() => again.d.stop())
  t.match(again.d.subscriptions()[0], { enabled: false, pending: 1 })
  again.d.start()
  gone = false
  t.equal(again.d.enableSubscription('nope'), false)
  const delivered = waitFor(again.d, 'delivered')
  t.equal(again.d.enableSubscription('a'), true)
  t.equal(again.d.enableSubscription('a'), true, 'enabling twice is harmless')
  const [ok] = (await delivered) as DeliveredInfo[]
  t.equal(ok!.eventId, 'al-unit_silent-1.opened')
  t.equal(again.d.depth(), 0)
})

t.test('horizon → dead letter → retryDeadLetter delivers with the same webhook-id', async (t) => {
  let up = false
  const rx = await startReceiver(() => ({ status: up ? 200 : 502 }))
  t.teardown(() => rx.close())
  const { d, registry, lines } = makeDispatcher(tmpDir(), [{ id: 'a', url: rx.url, secret: SECRET }], { horizon: '3s', schedule: ['0s', '30ms'] })
  t.teardown(() => d.stop())
  d.start()
  const dead = waitFor(d, 'dead')
  const ev = makeEvent('coverage_gap', 'opened')
  d.publish(ev)
  const [info] = (await dead) as DeadInfo[]
  t.match(info, { subscriptionId: 'a', eventId: ev.eventId, status: 502, error: 'HTTP 502' })
  // A 120 ms horizon could pass during the first attempt on a loaded machine (dead after one); 3 s cannot.
  t.ok(info!.attempts >= 2, 'the last attempt is placed at the horizon')
  const [dl] = d.deadLetters()
  t.match(dl, { subscriptionId: 'a', webhookId: 'msg_al-coverage_gap-1.opened', type: 'coverage_gap.opened', subject: 'zone:grid-2', lastStatus: 502, lastError: 'HTTP 502' })
  t.ok(dl!.deadAt! - dl!.firstAttemptAt! >= 3000)
  t.equal(d.depth(), 0)
  t.equal(await metricValue(registry, 'hexpatrol_webhook_dead_letters'), 1)
  t.equal(await metricValue(registry, 'hexpatrol_webhook_deliveries_total', { subscription: 'a', outcome: 'dead' }), 1)
  t.match(d.subscriptions()[0], { dead: 1 })
  t.ok(lines.some((l) => l.level === 50 && /dead-lettered/.test(String(l.msg))))
  t.equal(d.retryDeadLetter('nope'), false)
  up = true
  const delivered = waitFor(d, 'delivered')
  t.equal(d.retryDeadLetter(dl!.deliveryId), true)
  t.same(d.deadLetters(), [])
  const [ok] = (await delivered) as DeliveredInfo[]
  t.equal(ok!.attempts, 1)
  const last = rx.received.at(-1)!
  t.equal(last.headers['webhook-id'], 'msg_al-coverage_gap-1.opened')
  t.ok(verify(last, SECRET))
})

t.test('filters: event globs and zones', async (t) => {
  const rx = await startReceiver()
  t.teardown(() => rx.close())
  const { d } = makeDispatcher(tmpDir(), [
    { id: 'breaches', url: rx.url, secret: SECRET, events: ['radius_breach.*', 'coverage_gap.opened'] },
    { id: 'grid3', url: rx.url, secret: SECRET, zones: ['grid-3'] },
    { id: 'all', url: rx.url, secret: SECRET },
  ])
  t.teardown(() => d.stop())
  t.equal(d.publish(makeEvent('radius_breach', 'resolved')), 2, 'breaches + all (no zoneId: not grid3)')
  t.equal(d.publish(makeEvent('coverage_gap', 'opened')), 2, 'breaches + all (grid-2 is not grid-3)')
  t.equal(d.publish(makeEvent('coverage_gap', 'resolved', { zoneId: 'grid-3' })), 2, 'grid3 + all')
  t.equal(d.publish(makeEvent('zone_exit', 'opened')), 1)
  t.equal(d.publish(makeEvent('zone_exit', 'opened')), 0, 'a replayed event already pending is not queued twice')
  t.same(d.subscriptions().map((s) => [s.id, s.pending]), [['breaches', 2], ['grid3', 1], ['all', 4]])
  d.start()
  d.start()
  await until(() => d.depth() === 0)
  t.equal(rx.received.length, 7)
  const types = rx.received.map((r) => (JSON.parse(r.body) as { type: string }).type).sort()
  t.same(types, ['coverage_gap.opened', 'coverage_gap.opened', 'coverage_gap.resolved', 'coverage_gap.resolved', 'radius_breach.resolved', 'radius_breach.resolved', 'zone_exit.opened'])
})

t.test('per-subject order with concurrency; a slow receiver does not hold up another subscription', async (t) => {
  const fast = await startReceiver()
  const slowRx = await startReceiver((_r, n) => (n <= 3 ? { status: 500 } : { status: 200 }))
  t.teardown(() => fast.close())
  t.teardown(() => slowRx.close())
  const { d } = makeDispatcher(tmpDir(), [
    { id: 'fast', url: fast.url, secret: SECRET, max_concurrency: 4 },
    { id: 'flaky', url: slowRx.url, secret: SECRET, max_concurrency: 4 },
  ])
  t.teardown(() => d.stop())
  d.start()
  const subjects = ['unit:A', 'unit:B', 'unit:C']
  const sent: string[] = []
  for (let i = 0; i < 6; i++) {
    for (const s of subjects) {
      const state = (['opened', 'acknowledged', 'resolved'] as const)[i % 3]!
      const ev = makeEvent('unit_silent', state, { alertId: `${s}-${Math.floor(i / 3)}`, subject: s })
      sent.push(ev.eventId)
      d.publish(ev)
    }
  }
  await until(() => d.depth() === 0)
  for (const rx of [fast, slowRx]) {
    const got = rx.received.map((r) => JSON.parse(r.body) as { data: { subject: string; eventId: string } })
    for (const s of subjects) {
      // Successful deliveries of one subject arrive in publish order (failed attempts may repeat one).
      const seq = got.filter((g) => g.data.subject === s).map((g) => g.data.eventId)
      const dedup = seq.filter((x, i) => seq[i + 1] !== x)
      t.same(dedup, sent.filter((e) => e.startsWith(s)), `${s} in order`)
    }
  }
  t.equal(fast.received.length, 18)
})

t.test('admin API: add, replace, remove, validation', async (t) => {
  const rx = await startReceiver((_r) => ({ status: 500 }))
  t.teardown(() => rx.close())
  const dir = tmpDir()
  const { d, lines } = makeDispatcher(dir, [{ id: 'cfg', url: rx.url, secret: SECRET }])
  t.teardown(() => d.stop())
  d.start()
  t.throws(() => d.addSubscription({ id: 'x', url: 'http://10.1.2.3/hook' } as never), { code: 'HEXP_ERR_WEBHOOK_DESTINATION' })
  t.throws(() => d.addSubscription({ id: 'x', url: rx.url, format: 'telex' } as never), { code: 'HEXP_ERR_BAD_REQUEST' })
  d.addSubscription({ id: 'api', url: `${rx.url}?token=abc`, format: 'standard' } as never)
  t.ok(lines.some((l) => l.level === 40 && /no secret/.test(String(l.msg))), 'an unsigned standard subscription is warned about')
  t.match(d.subscriptions().find((s) => s.id === 'api'), { source: 'api', signed: false, url: /token=\*\*\*$/ })
  const failed = waitFor(d, 'failed', 2)
  t.equal(d.publish(makeEvent('unit_silent', 'opened')), 2)
  await failed
  rx.reply = () => ({ status: 200 })
  // Replace: pending deliveries continue with the new settings.
  d.addSubscription({ id: 'api', url: rx.url, secret: SECRET2 } as never)
  t.equal(d.removeSubscription('cfg'), true)
  t.equal(d.removeSubscription('cfg'), false)
  await until(() => d.depth() === 0)
  t.ok(verify(rx.received.at(-1)!, SECRET2))
  await d.stop()
  const again = makeDispatcher(dir, [{ id: 'cfg', url: rx.url, secret: SECRET }])
  t.teardown(() => again.d.stop())
  t.same(again.d.subscriptions().map((s) => s.id), ['api'], 'admin changes survive a restart')
})

t.test('removing a subscription drops its pending deliveries, even mid-attempt', async (t) => {
  const rx = await startReceiver(() => ({ status: 500, hang: true }))
  t.teardown(() => rx.close())
  // Both attempts hang (no timeout fires during the test); the receiver then drops them, and stop()
  // waits for their outcome. A 100 ms timeout let a slow poll see a third request, never exactly 2.
  const { d } = makeDispatcher(tmpDir(), [{ id: 'a', url: rx.url, secret: SECRET }], { timeout: '60s' })
  t.teardown(() => d.stop())
  d.start()
  d.publish(makeEvent('unit_silent', 'opened'))
  d.publish(makeEvent('coverage_gap', 'opened'))
  await until(() => rx.received.length === 2)
  t.equal(d.removeSubscription('a'), true)
  t.equal(d.depth(), 0)
  // The in-flight attempts now fail (connections closed) after the removal; their outcome lands
  // before stop() returns and must not bring the deliveries back or dead-letter them.
  await rx.close()
  await d.stop()
  t.equal(rx.received.length, 2, 'no attempt after the removal')
  t.equal(d.depth(), 0)
  t.same(d.deadLetters(), [])
})
