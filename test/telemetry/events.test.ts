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

t.test('an amount field counts by its value, and the line reports it', async (t) => {
  const registry = new Registry()
  const counter = new Counter({ name: 'x_records_total', help: 'x', registers: [registry] })
  const { logger, logs } = captureLogger('info')
  const replayed = telemetryEvent(logger, { counter, level: 'info', message: 'Replayed.', amountField: 'records' })
  replayed({}, { records: 3, bytes: 10 })
  replayed({}, { records: 0 })
  t.equal((await counter.get()).values[0]?.value, 3, 'counted by the records of each emit')
  t.match(logs, [{ records: 3, bytes: 10, msg: 'Replayed.' }, { records: 0 }])
  t.throws(() => replayed({}, {}), /counts by its field records: give it a number/, 'a missing amount is refused, never counted as 1')
})

t.test('a rate-limited event counts every emit and logs at most once per interval, on the clock it is given', async (t) => {
  const registry = new Registry()
  const counter = new Counter({ name: 'x_refused_total', help: 'x', labelNames: ['reason'] as const, registers: [registry] })
  const { logger, logs } = captureLogger('info')
  let now = 0
  const refused = telemetryEvent(logger, { counter, level: 'warn', message: 'Refused.', logEvery: { ms: 1000, now: () => now } })
  refused({ reason: 'a' }, { ip: '1' })
  refused({ reason: 'b' })
  now = 999
  refused({ reason: 'a' })
  now = 1000
  refused({ reason: 'b' }, { ip: '2' })
  now = 1500
  refused({ reason: 'a' })
  now = 5000
  refused({ reason: 'a' })
  t.same((await counter.get()).values.map((v) => [v.labels.reason, v.value]), [['a', 4], ['b', 2]], 'every emit counted')
  t.same(logs.map((l) => [l.reason, l.ip, l.sinceLastLog, l.msg]), [['a', '1', 0, 'Refused.'], ['b', '2', 2, 'Refused.'], ['a', undefined, 1, 'Refused.']], 'the first logs, then one line per interval saying how many went unlogged')

  const once = telemetryEvent(logger, { counter, level: 'warn', message: 'Once.', logEvery: { ms: Infinity, now: () => now } })
  once({ reason: 'c' })
  now = 1e12
  once({ reason: 'c' })
  t.equal(logs.filter((l) => l.msg === 'Once.').length, 1, 'Infinity: only the first emit logs')
  t.equal((await counter.get()).values.find((v) => v.labels.reason === 'c')?.value, 2)
})

t.test('without a logger an event only counts; without a counter it only logs; any object with the level will do', async (t) => {
  const registry = new Registry()
  const counter = new Counter({ name: 'x_dropped_total', help: 'x', labelNames: ['reason'] as const, registers: [registry] })
  telemetryEvent(undefined, { counter, level: 'warn', message: 'Dropped.', logEvery: { ms: 1000, now: () => 0 } })({ reason: 'behind' })
  t.equal((await counter.get()).values[0]?.value, 1)
  const lines: Array<[object, string]> = []
  const dropped = telemetryEvent<'reason', never, 'warn'>({ warn: (obj: object, msg: string) => lines.push([obj, msg]) }, { counter: undefined, level: 'warn', message: 'Dropped.' })
  dropped({ reason: 'behind' }, { bufferBytes: 4 })
  t.same(lines, [[{ bufferBytes: 4, reason: 'behind' }, 'Dropped.']])
})
