// Named telemetry events: one call counts and logs, with the same labels in both.
import t from 'tap'
import { Counter, Registry } from 'prom-client'
import { telemetryEvent } from '../../src/telemetry/events.js'
import { captureLogger } from '../helpers/harness.js'

t.test('one call counts once and logs one line carrying the same labels', async (t) => {
  const registry = new Registry()
  const counter = new Counter({ name: 'x_things_total', help: 'x', labelNames: ['subscription', 'outcome'] as const, registers: [registry] })
  const { logger, logs } = captureLogger('debug')
  const delivered = telemetryEvent(logger, { counter, level: 'warn', message: 'Thing delivered.', fixed: { outcome: 'delivered' } })
  delivered({ subscription: 'a' }, { attempts: 2, outcome: 'forged', subscription: 'forged' })
  delivered({ subscription: 'a' })
  delivered({ subscription: 'b' }, {}, 'Said otherwise.')
  t.same((await counter.get()).values.map((v) => [v.labels, v.value]), [[{ subscription: 'a', outcome: 'delivered' }, 2], [{ subscription: 'b', outcome: 'delivered' }, 1]])
  t.match(logs[0], { level: 40, subscription: 'a', outcome: 'delivered', attempts: 2, msg: 'Thing delivered.' }, 'a field never overrides a label')
  t.match(logs[2], { subscription: 'b', outcome: 'delivered', msg: 'Said otherwise.' })
  const plain = telemetryEvent(logger, { counter: new Counter({ name: 'y_total', help: 'y', labelNames: ['kind'] as const, registers: [registry] }), level: 'debug', message: 'y' })
  plain({ kind: 'k' })
  t.match(logs.at(-1), { level: 20, kind: 'k', msg: 'y' })
})
