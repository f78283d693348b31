// Alert fan-out: journal first, publish only after the record is durable, in order, each
// transition as its outbound event; a journal that fails means no delivery (and an error with its
// stack in the log).
import t from 'tap'
import { pino } from 'pino'
import { AlertFanOut } from '../../src/delivery/alert-fan-out.js'
import { alertOf, alertToOutbound, type OutboundEvent } from '../../src/delivery/outbound-event.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'

const ev = (id: string) => ({ alertId: id, eventId: `${id}.opened`, kind: 'unit_silent', state: 'opened', type: 'unit_silent.opened', subject: 'unit:P-1', summary: `s ${id}` }) as AlertEvent

function setup(journal: (e: readonly AlertEvent[]) => void | Promise<void>) {
  const order: string[] = []
  const lines: string[] = []
  const published: OutboundEvent[] = []
  const f = new AlertFanOut({
    journal: (e) => { order.push(`journal:${e.map((x) => x.alertId).join(',')}`); return journal(e) },
    beforeDeliver: () => { order.push('persist') },
    publish: (e) => { published.push(e); order.push(`publish:${alertOf(e)?.alertId}`) },
    logger: pino({}, { write: (l: string) => lines.push(l) }),
  })
  return { f, order, lines, published }
}

t.test('journals, then persists state, then publishes each transition in order', async (t) => {
  const { f, order, published } = setup(() => undefined)
  f.emit([])
  t.same(order, [], 'nothing to do for no events')
  f.emit([ev('a'), ev('b')])
  t.same(order, ['journal:a,b', 'persist', 'publish:a', 'publish:b'])
  t.same(published, [alertToOutbound(ev('a')), alertToOutbound(ev('b'))], 'as outbound events (the publish path logs and counts them)')
})

t.test('waits for the journal, and delivers nothing when it fails', async (t) => {
  let release!: () => void
  const { f, order } = setup(() => new Promise<void>((resolve) => { release = resolve }))
  f.emit([ev('a')])
  t.same(order, ['journal:a'], 'delivery waits for the record')
  const idle = f.idle()
  release()
  await idle
  t.same(order, ['journal:a', 'persist', 'publish:a'])

  const failing = setup(() => Promise.reject(new Error('journal is closed')))
  failing.f.emit([ev('x')])
  await failing.f.idle()
  t.same(failing.order, ['journal:x'], 'not delivered')
  t.match(failing.lines.join(''), /"stack":"Error: journal is closed.*could not be journaled/)
  failing.f.deliver([])
  t.same(failing.order, ['journal:x'], 'deliver() of nothing does nothing')
})

t.test('an asynchronous state save holds this and later deliveries, which stay in order', async (t) => {
  const order: string[] = []
  const saves: Array<() => void> = []
  let async = true
  const f = new AlertFanOut({
    journal: () => undefined,
    beforeDeliver: () => {
      order.push('persist')
      return async ? new Promise<void>((resolve) => saves.push(resolve)) : undefined
    },
    publish: (e) => { order.push(`sink:${alertOf(e)?.alertId}`) },
    logger: pino({ level: 'silent' }),
  })
  f.deliver([ev('a')])
  async = false
  f.deliver([ev('b')])
  await new Promise((resolve) => setImmediate(resolve))
  t.same(order, ['persist', 'persist'], 'nothing delivered before the state is written')
  const idle = f.idle()
  saves[0]!()
  await idle
  t.same(order, ['persist', 'persist', 'sink:a', 'sink:b'], 'then both, in order')
  f.deliver([ev('c')])
  t.same(order.at(-1), 'sink:c', 'with no save outstanding, delivery is immediate again')
})
