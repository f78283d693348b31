// DeliveryTracker: when every webhook delivery of an event is done (2xx or dead-lettered), with a
// fake dispatcher (an EventEmitter and a scripted publishEvent), then once with a real Dispatcher
// delivering to a local HTTP receiver.
import t from 'tap'
import { EventEmitter } from 'node:events'
import { DeliveryTracker } from '../../src/delivery/delivery-tracker.js'
import { alertToOutbound, type OutboundEvent } from '../../src/delivery/outbound-event.js'
import { makeEvent, startReceiver, tmpDir, SECRET } from './fixtures/alerts.js'
import { makeDispatcher } from './fixtures/dispatcher.js'

const out = (id: string): OutboundEvent => ({ id, type: 'unit_silent.opened', at: 0, data: {}, summary: '', subject: 'unit:U' })

function fake(deliveries: Record<string, number> = {}) {
  const emitter = new EventEmitter()
  const tracker = new DeliveryTracker(emitter)
  const published: string[] = []
  const publish = tracker.track((e) => { published.push(e.id); return deliveries[e.id] ?? 0 })
  const done = new Set<string>()
  const watch = (ids: string[]) => void tracker.whenDone(ids).then(() => done.add(ids.join('+')))
  return { emitter, tracker, publish, published, done, watch }
}
const turn = () => new Promise((r) => setImmediate(r))

t.test('done once every delivery is delivered or dead; other events\' outcomes do not count', async (t) => {
  const f = fake({ a: 2, b: 1 })
  t.equal(f.publish(out('a')), 2, 'the wrapped publishEvent returns the count')
  f.publish(out('b'))
  t.same(f.published, ['a', 'b'])
  f.watch(['a'])
  f.watch(['a', 'b'])
  t.equal(f.tracker.waiting, 2)
  f.emitter.emit('delivered', { eventId: 'b' })
  f.emitter.emit('delivered', { eventId: 'a' })
  f.emitter.emit('failed', { eventId: 'a' })
  await turn()
  t.same([...f.done], [], 'a: one of two done; a failure (to be retried) is not done')
  f.emitter.emit('dead', { eventId: 'a' })
  await turn()
  t.same([...f.done].sort(), ['a', 'a+b'], 'a dead-lettered delivery is done')
  t.equal(f.tracker.waiting, 0)
  f.watch(['b'])
  await turn()
  t.ok(f.done.has('b'), 'asked after the fact: at once')
})

t.test('events without subscribers are done at once; untracked outcomes are ignored', async (t) => {
  const f = fake()
  f.publish(out('none'))
  f.watch(['none'])
  await turn()
  t.ok(f.done.has('none'))
  f.emitter.emit('delivered', { eventId: 'from-a-previous-run' })
  t.equal(f.tracker.waiting, 0, 'a delivery from an earlier outbox is not tracked')
  await f.tracker.whenDone([])
})

t.test('asked before published: waits, then counts the deliveries when they are queued', async (t) => {
  const f = fake({ early: 1 })
  f.watch(['early'])
  f.emitter.emit('delivered', { eventId: 'early' })
  await turn()
  t.notOk(f.done.has('early'), 'an outcome before the count is known does not settle it')
  f.publish(out('early'))
  await turn()
  t.ok(f.done.has('early'), 'the count (1) was already reached')
})

t.test('the same id published twice adds its deliveries', async (t) => {
  const f = fake({ twice: 1 })
  f.watch(['twice'])
  f.emitter.emit('delivered', { eventId: 'other' })
  f.publish(out('twice'))
  f.publish(out('twice'))
  f.emitter.emit('delivered', { eventId: 'twice' })
  await turn()
  t.notOk(f.done.has('twice'))
  f.emitter.emit('delivered', { eventId: 'twice' })
  await turn()
  t.ok(f.done.has('twice'))
})

t.test('a disabled subscription releases every wait whose count is known', async (t) => {
  const f = fake({ x: 3, y: 1 })
  f.publish(out('x'))
  f.publish(out('y'))
  f.watch(['x'])
  f.watch(['y'])
  f.watch(['not-yet-published'])
  f.emitter.emit('disabled', { subscriptionId: 's', status: 410 })
  await turn()
  t.same([...f.done].sort(), ['x', 'y'])
  t.equal(f.tracker.waiting, 1, 'a wait without a count stays')
})

t.test('settled ids are remembered up to 10,000', async (t) => {
  const f = fake()
  for (let i = 0; i <= 10_000; i++) f.publish(out(`e${i}`))
  t.equal(f.tracker.waiting, 0)
  f.watch(['e10000'])
  f.watch(['e1'])
  f.watch(['e0'])
  await turn()
  t.ok(f.done.has('e10000') && f.done.has('e1'), 'recent ones resolve at once')
  t.notOk(f.done.has('e0'), 'the oldest was forgotten (a wait for it starts afresh)')
  t.equal(f.tracker.waiting, 1)
})

t.test('with a real Dispatcher and an HTTP receiver: done after the 2xx, not before', async (t) => {
  const rx = await startReceiver(() => ({ status: 204, delayMs: 400 }))
  t.teardown(() => rx.close())
  const { d } = makeDispatcher(tmpDir(), [{ id: 'desk', url: rx.url, secret: SECRET }, { id: 'ops', url: rx.url, secret: SECRET }])
  t.teardown(() => d.stop())
  const tracker = new DeliveryTracker(d)
  const publish = tracker.track((e) => d.publishEvent(e))
  d.start()
  const ev = makeEvent('unit_silent', 'opened')
  t.equal(publish(alertToOutbound(ev)), 2, 'two subscriptions, two deliveries')
  let done = false
  const waiting = tracker.whenDone([ev.eventId]).then(() => { done = true })
  const end = Date.now() + 10_000
  while (rx.received.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
  t.equal(rx.received.length, 2, 'both requests reached the receiver')
  t.notOk(done, 'not done while the receiver has not answered (it answers after 400 ms)')
  await waiting
  t.ok(done)
  t.equal(rx.received[0]?.headers['webhook-id'], `msg_${ev.eventId}`)
})
