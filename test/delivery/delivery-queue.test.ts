import t from 'tap'
import { DeliveryQueue } from '../../src/delivery/delivery-queue.js'
import type { DeliveryRecord } from '../../src/delivery/outbox.js'
import { alertToOutbound } from '../../src/delivery/outbound-event.js'
import { makeEvent } from './fixtures/alerts.js'

const rec = (seq: number, subject: string, nextAttemptAt: number): DeliveryRecord => ({
  v: 2, deliveryId: `d${seq}`, seq, subscriptionId: 's', webhookId: `w${seq}`, subject, event: alertToOutbound(makeEvent('unit_silent', 'opened')),
  enqueuedAt: 0, attempts: 0, firstAttemptAt: null, nextAttemptAt,
})

t.test('one subject in order; subjects independent; earliest due first', async (t) => {
  const q = new DeliveryQueue()
  const [a1, a2, b1, c1] = [rec(1, 'a', 10), rec(2, 'a', 0), rec(3, 'b', 5), rec(4, 'c', 5)]
  for (const r of [a1, a2, b1, c1]) q.add(r)
  t.equal(q.size, 4)
  t.same(q.take(0), { wakeAt: 5 })
  const first = q.take(5) as { rec: DeliveryRecord }
  t.equal(first.rec, b1, 'ties broken by seq')
  t.equal((q.take(5) as { rec: DeliveryRecord }).rec, c1)
  t.same(q.take(5), { wakeAt: 10 }, 'a2 is due but waits behind a1')
  t.equal(q.active, 2)
  t.equal((q.take(10) as { rec: DeliveryRecord }).rec, a1)
  t.equal(q.take(100), null)
  // a1 fails and is rescheduled; a2 still waits
  a1.nextAttemptAt = 50
  q.release(a1)
  t.same(q.take(20), { wakeAt: 50 })
  q.take(50)
  q.finish(a1)
  t.equal((q.take(50) as { rec: DeliveryRecord }).rec, a2)
  for (const r of [a2, b1, c1]) q.finish(r)
  q.finish(a1) // already gone: no-op
  t.equal(q.size, 0)
  t.equal(q.take(1000), null)
})

t.test('a revived record with an old seq goes back in front; rebuild and drain', async (t) => {
  const q = new DeliveryQueue()
  const [r5, r2, r9] = [rec(5, 'a', 0), rec(2, 'a', 0), rec(9, 'a', 0)]
  q.add(r5)
  q.add(r9)
  q.add(r2)
  t.same(q.all().map((r) => r.seq), [2, 5, 9])
  t.equal((q.take(0) as { rec: DeliveryRecord }).rec, r2)
  q.finish(r2)
  r5.nextAttemptAt = 100
  t.equal(q.take(0), null, 'an outside time change is invisible until rebuild()')
  q.rebuild()
  t.same(q.take(0), { wakeAt: 100 })
  t.same(q.drain().map((r) => r.seq), [5, 9])
  t.equal(q.size, 0)
  t.equal(q.active, 0)
})

t.test('heap keeps order over many entries', async (t) => {
  const q = new DeliveryQueue()
  const times = Array.from({ length: 200 }, (_, i) => (i * 7919) % 1000)
  times.forEach((at, i) => q.add(rec(i + 1, `s${i}`, at)))
  const out: number[] = []
  for (;;) {
    const r = q.take(2000)
    if (r === null || !('rec' in r)) break
    out.push(r.rec.nextAttemptAt)
  }
  t.same(out, [...times].sort((a, b) => a - b))
})
