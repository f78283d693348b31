// within(): settles as the promise does, or rejects with the caller's error after the bound; a
// promise that rejects after the bound is not an unhandled rejection.
import t from 'tap'
import { within, TimedOutError } from '../src/within.js'

const later = <T>(ms: number, v: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(v), ms))

t.test('the promise first: its value or its error', async (t) => {
  t.equal(await within(Promise.resolve(7), 1000), 7)
  await t.rejects(within(Promise.reject(new Error('no stream')), 1000), /no stream/)
})

t.test('the bound first: TimedOutError, or the caller\'s error', async (t) => {
  await t.rejects(within(later(500, 1), 20), TimedOutError)
  await t.rejects(within(later(500, 1), 20, () => new RangeError('stalled')), RangeError)
})

t.test('a rejection after the bound is ignored', async (t) => {
  let unhandled = 0
  const count = (): void => { unhandled++ }
  process.on('unhandledRejection', count)
  t.teardown(() => { process.off('unhandledRejection', count) })
  const p = new Promise((_resolve, reject) => setTimeout(() => reject(new Error('late')), 40))
  await t.rejects(within(p, 10), TimedOutError)
  await later(80, null)
  t.equal(unhandled, 0)
})
