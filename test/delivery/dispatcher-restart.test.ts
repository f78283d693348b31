// Receiver down, dispatcher stopped with pending deliveries, a new dispatcher on the same dir,
// receiver up: every event delivered, each webhook-id at least once, order per subject kept.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { Webhook } from 'standardwebhooks'
import { startReceiver, makeEvent, tmpDir, waitFor, until, SECRET } from './fixtures/alerts.js'
import { makeDispatcher } from './fixtures/dispatcher.js'

t.test('pending deliveries survive a restart and resume with the same ids and attempt counts', async (t) => {
  // Reserve a port, then close it: the receiver is down.
  const probe = await startReceiver()
  const port = probe.port
  await probe.close()
  const url = `http://127.0.0.1:${port}/hook`
  const dir = tmpDir()
  const first = makeDispatcher(dir, [{ id: 'desk', url, secret: SECRET, max_concurrency: 3 }])
  first.d.start()
  const subjects = ['unit:P-1', 'unit:P-2', 'zone:grid-2']
  const published: Array<{ eventId: string; subject: string }> = []
  const failures = waitFor(first.d, 'failed', 3)
  for (let i = 0; i < 4; i++) {
    for (const s of subjects) {
      const ev = makeEvent('unit_silent', (['opened', 'resolved'] as const)[i % 2]!, { alertId: `${s}#${Math.floor(i / 2)}`, subject: s })
      first.d.publish(ev)
      published.push({ eventId: ev.eventId, subject: s })
    }
  }
  await failures
  await first.d.stop()
  t.equal(first.d.depth(), 12)
  const files = fs.readdirSync(path.join(dir, 'outbox')).filter((f) => f.endsWith('.json'))
  t.equal(files.length, 12, 'one durable file per pending delivery')
  const stored = files.map((f) => JSON.parse(fs.readFileSync(path.join(dir, 'outbox', f), 'utf8')) as { attempts: number; lastError?: string; webhookId: string; event: { id: string } })
  const idBefore = new Map(stored.map((r) => [r.event.id, r.webhookId]))
  const attempted = stored.filter((r) => r.attempts > 0)
  t.ok(attempted.length >= 3)
  t.match(attempted[0]!.lastError, /ECONNREFUSED/)

  const rx = await startReceiver(undefined, port)
  t.teardown(() => rx.close())
  const second = makeDispatcher(dir, [{ id: 'desk', url, secret: SECRET, max_concurrency: 3 }])
  t.teardown(() => second.d.stop())
  t.equal(second.d.depth(), 12, 'loaded from the outbox')
  t.ok(second.lines.some((l) => /Resuming pending webhook deliveries/.test(String(l.msg))))
  const delivered = waitFor(second.d, 'delivered', 12)
  second.d.start()
  const infos = (await delivered) as Array<{ attempts: number }>
  t.ok(infos.some((i) => i.attempts > 1), 'attempt counts carried over')
  await until(() => second.d.depth() === 0)
  const got = rx.received.map((r) => {
    const data = new Webhook(SECRET).verify(r.body, r.headers as Record<string, string>) as { data: { eventId: string; subject: string } }
    t.equal(r.headers['webhook-id'], idBefore.get(data.data.eventId), 'the webhook id is the one persisted before the restart')
    return data.data
  })
  t.same(new Set(got.map((g) => g.eventId)), new Set(published.map((p) => p.eventId)), 'every event delivered')
  for (const s of subjects) {
    t.same(got.filter((g) => g.subject === s).map((g) => g.eventId), published.filter((p) => p.subject === s).map((p) => p.eventId), `${s} in order`)
  }
  t.same(fs.readdirSync(path.join(dir, 'outbox')).filter((f) => f.endsWith('.json')), [], 'outbox empty after 2xx')
})

t.test('deliveries of a subscription gone from the config become dead letters, not lost', async (t) => {
  const dir = tmpDir()
  const a = makeDispatcher(dir, [{ id: 'old', url: 'http://127.0.0.1:9/', secret: SECRET }])
  a.d.publish(makeEvent('unit_silent', 'opened'))
  fs.writeFileSync(path.join(dir, 'outbox', 'junk.json'), 'not json')
  const b = makeDispatcher(dir, [])
  t.equal(b.d.depth(), 0)
  t.match(b.d.deadLetters(), [{ subscriptionId: 'old', lastError: 'subscription old is no longer configured' }])
  t.equal(b.d.retryDeadLetter(b.d.deadLetters()[0]!.deliveryId), false, 'cannot retry without the subscription')
  t.ok(b.lines.some((l) => l.level === 40 && /no longer configured/.test(String(l.msg))))
  t.ok(b.lines.some((l) => l.level === 50 && /corrupt/.test(String(l.msg))))
})
