import t from 'tap'
import { Counter, Registry } from 'prom-client'
import { FLAG_LABELS, flagCounter } from '../../src/decode/flag-counter.js'
import { FixFlag } from '../../src/decode/fix.js'

t.test('counts each flag a fix carries under its label; a clean fix counts nothing', async (t) => {
  const counter = new Counter({ name: 'flagged_test_total', help: 'test', labelNames: ['flag'] as const, registers: [new Registry()] })
  const count = flagCounter(counter)
  count(0)
  count(FixFlag.Duplicate)
  count(FixFlag.ImpossibleSpeed | FixFlag.TooLate)
  count(FixFlag.Mock)
  count(FixFlag.FutureTs)
  count(FixFlag.TooLate)
  const got = Object.fromEntries((await counter.get()).values.map((v) => [v.labels.flag, v.value]))
  t.same(got, { impossible_speed: 1, duplicate: 1, too_late: 2, future_ts: 1, mock: 1 })
  t.same(FLAG_LABELS.map(([, l]) => l), ['impossible_speed', 'duplicate', 'too_late', 'future_ts', 'mock'], 'the labels operations.md names')
})
