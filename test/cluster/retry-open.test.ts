import t from 'tap'
import { retryOpen } from '../../src/cluster/retry-open.js'
import { LogUnavailableError } from '../../src/log/log-errors.js'

/** A fake clock whose sleep moves it on. */
function clock() {
  const c = { t: 0, slept: [] as number[] }
  return { c, now: () => c.t, sleep: async (ms: number) => { c.slept.push(ms); c.t += ms } }
}

t.test('NATS answering on the third attempt: opened, the two failures told with their pause', async (t) => {
  const { c, now, sleep } = clock()
  let calls = 0
  const told: Array<[number, string, number]> = []
  const v = await retryOpen(async () => {
    calls++
    if (calls < 3) throw new LogUnavailableError(`down ${calls}`)
    return 'log'
  }, { now, sleep, pauseMs: 1000, boundMs: 10_000, onRetry: (n, err, p) => told.push([n, err.message, p]) })
  t.equal(v, 'log')
  t.same(told, [[1, 'down 1', 1000], [2, 'down 2', 1000]])
  t.same(c.slept, [1000, 1000])
})

t.test('still down when the bound passes: the last unavailability is thrown', async (t) => {
  const { c, now, sleep } = clock()
  let calls = 0
  await t.rejects(retryOpen(async () => { calls++; throw new LogUnavailableError(`down ${calls}`) }, { now, sleep, pauseMs: 2000, boundMs: 5000 }), { message: 'down 3' })
  t.equal(calls, 3, 'at 0, 2 and 4 s; a fourth try would start past the bound')
  t.equal(c.t, 4000)
})

t.test('any other error is thrown at once; bound 0 tries once', async (t) => {
  const { now, sleep } = clock()
  let calls = 0
  await t.rejects(retryOpen(async () => { calls++; throw new RangeError('partitions differ') }, { now, sleep }), RangeError)
  t.equal(calls, 1)
  await t.rejects(retryOpen(async () => { throw new LogUnavailableError('down') }, { boundMs: 0 }), LogUnavailableError)
})

t.test('defaults: the real clock and timers', async (t) => {
  let calls = 0
  const v = await retryOpen(async () => {
    calls++
    if (calls < 2) throw new LogUnavailableError('down')
    return 7
  }, { pauseMs: 5 })
  t.equal(v, 7)
})
