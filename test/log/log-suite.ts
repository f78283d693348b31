// The one test suite every FixLog implementation passes (the MQTT.js abstract-store habit): the
// journal adapter (test/log/journal-log.test.ts) and JetStream (test/log/jetstream-log.test.ts).
import type { Test } from 'tap'
import { LOG_START, type FixLog, type LogEntry, type LogRecord } from '../../src/log/log.js'

export interface LogUnderTest {
  /** Opens the log on this test's storage; again after close() it reopens the same storage. */
  open(): Promise<FixLog>
  /** Makes the backend fail (journal: disk errors; JetStream: server stopped). */
  breakBackend(): Promise<void>
  repairBackend(): Promise<void>
}

/** Fresh storage for one test; null when the backend is missing (the factory skipped the test). */
export type LogFactory = (t: Test) => Promise<LogUnderTest | null>

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A record whose data carries its id, as a fix carries what its dedup id is derived from. */
export function rec(id: string, value = id): LogRecord {
  return { id, data: encoder.encode(JSON.stringify({ id, value })) }
}
export const idOfData = (data: Uint8Array): string => (JSON.parse(decoder.decode(data)) as { id: string }).id
const ids = (entries: readonly LogEntry[]): string[] => entries.map((e) => e.id)
const values = (entries: readonly LogEntry[]): string[] => entries.map((e) => (JSON.parse(decoder.decode(e.data)) as { value: string }).value)

async function eventually(what: string, fn: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

function increasing(t: Test, positions: bigint[], msg: string): void {
  t.ok(positions.every((p, i) => i === 0 || p > positions[i - 1]!), `${msg}: ${positions.join(' < ')}`)
}

export function logSuite(t: Test, factory: LogFactory): void {
  t.test('append resolves in order with increasing positions; a read after the ack sees them', async (t) => {
    const h = await factory(t)
    if (h === null) return
    const log = await h.open()
    t.teardown(() => log.close())
    const a = await log.append(0, [rec('a1'), rec('a2'), rec('a3')])
    t.equal(a.length, 3, 'one ack per record')
    t.notOk(a.some((x) => x.duplicate))
    const b = await log.append(0, [rec('b1')])
    const [c, d] = await Promise.all([log.append(0, [rec('c1')]), log.append(0, [rec('d1'), rec('d2')])])
    const acked = [...a, ...b, ...c!, ...d!].map((x) => x.position)
    increasing(t, acked, 'acks in call order')
    const all = await log.read(0, LOG_START, 100)
    t.same(ids(all), ['a1', 'a2', 'a3', 'b1', 'c1', 'd1', 'd2'], 'every acked record, once, in order')
    t.same(all.map((e) => e.position), acked, 'read positions are the acked positions')
    t.same(values(all), ids(all), 'data round-trips')
    t.ok(all.every((e) => e.partition === 0))
    t.same(ids(await log.read(0, LOG_START, 2)), ['a1', 'a2'], 'max bounds a read')
    t.same(await log.read(0, acked[6]!, 10), [], 'nothing after the last position')
    t.same(await log.append(0, []), [], 'an empty batch is a no-op')
  })

  t.test('resume from a checkpoint: read and consume after a position, also after reopening', async (t) => {
    const h = await factory(t)
    if (h === null) return
    let log = await h.open()
    const acks = await log.append(0, ['r1', 'r2', 'r3', 'r4', 'r5'].map((id) => rec(id)))
    const checkpoint = acks[1]!.position
    t.same(ids(await log.read(0, checkpoint, 100)), ['r3', 'r4', 'r5'])

    const seen: LogEntry[] = []
    const sub = log.consume(0, checkpoint, (e) => { seen.push(e) })
    await eventually('the backlog', () => seen.length === 3)
    await log.append(0, [rec('r6')])
    await eventually('the new entry', () => seen.length === 4)
    t.same(ids(seen), ['r3', 'r4', 'r5', 'r6'], 'backlog then new entries, in order')
    t.same(seen.map((e) => e.position), [...acks.slice(2).map((a) => a.position), seen[3]!.position])
    await sub.stop()
    await sub.done
    await log.append(0, [rec('r7')])
    t.equal((await log.read(0, LOG_START, 100)).length, 7)
    t.equal(seen.length, 4, 'a stopped subscription gets nothing more')
    await sub.stop() // idempotent

    await log.close()
    log = await h.open()
    t.teardown(() => log.close())
    const again = await log.read(0, checkpoint, 100)
    t.same(ids(again), ['r3', 'r4', 'r5', 'r6', 'r7'], 'durable across a reopen')
    t.same(again.slice(0, 3).map((e) => e.position), acks.slice(2).map((a) => a.position), 'positions are stable across a reopen')
    const after = await log.append(0, [rec('r8')])
    t.ok(after[0]!.position > again[4]!.position, 'new positions follow the old ones')
  })

  t.test('the same id is stored once, in a batch, across batches and after reopening', async (t) => {
    const h = await factory(t)
    if (h === null) return
    let log = await h.open()
    const first = await log.append(0, [rec('x', 'first'), rec('y'), rec('x', 'resent')])
    t.same(first.map((a) => a.duplicate), [false, false, true])
    t.equal(first[2]!.position, first[0]!.position, 'a duplicate answers the first copy position')
    const again = await log.append(0, [rec('x', 'third'), rec('z')])
    t.same(again.map((a) => a.duplicate), [true, false])
    t.equal(again[0]!.position, first[0]!.position)
    const all = await log.read(0, LOG_START, 100)
    t.same(ids(all), ['x', 'y', 'z'])
    t.same(values(all), ['first', 'y', 'z'], 'the first copy is the one kept')
    await log.close()
    log = await h.open()
    t.teardown(() => log.close())
    const resent = await log.append(0, [rec('y', 'after restart')])
    t.same(resent, [{ position: first[1]!.position, duplicate: true }], 'dedup survives a reopen')
    t.same(ids(await log.read(0, LOG_START, 100)), ['x', 'y', 'z'])
  })

  t.test('partitions are isolated; a partition out of range is refused', async (t) => {
    const h = await factory(t)
    if (h === null) return
    const log = await h.open()
    t.teardown(() => log.close())
    await t.rejects(log.append(log.partitions, [rec('nope')]), { name: 'RangeError', message: new RegExp(`partition ${log.partitions} does not exist: this log has partitions 0 to ${log.partitions - 1}`) })
    await t.rejects(log.append(-1, [rec('nope')]), RangeError)
    await t.rejects(log.read(1.5, LOG_START, 1), RangeError)
    t.throws(() => log.consume(log.partitions, LOG_START, () => undefined), RangeError)
    if (log.partitions < 2) {
      void t.skip(`this log has ${log.partitions} partition: nothing to isolate`, () => undefined)
      return
    }
    const last = log.partitions - 1
    await log.append(0, [rec('p0-a')])
    await log.append(last, [rec('pN-a'), rec('pN-b')])
    await log.append(0, [rec('p0-b')])
    t.same(ids(await log.read(0, LOG_START, 100)), ['p0-a', 'p0-b'])
    const other = await log.read(last, LOG_START, 100)
    t.same(ids(other), ['pN-a', 'pN-b'])
    t.ok(other.every((e) => e.partition === last))
    const seen: string[] = []
    const sub = log.consume(last, LOG_START, (e) => { seen.push(e.id) })
    await log.append(last, [rec('pN-c')])
    await eventually('partition entries', () => seen.length === 3)
    await log.append(0, [rec('p0-c')])
    await log.append(last, [rec('pN-d')])
    await eventually('the next partition entry', () => seen.length === 4)
    t.same(seen, ['pN-a', 'pN-b', 'pN-c', 'pN-d'], 'a consumer sees its partition only')
    await sub.stop()
  })

  t.test('backend down: append rejects and acks nothing; back up: it works and a re-send is stored once', async (t) => {
    const h = await factory(t)
    if (h === null) return
    const log = await h.open()
    t.teardown(() => log.close())
    await log.append(0, [rec('before')])
    await h.breakBackend()
    await t.rejects(log.append(0, [rec('during')]), { name: 'LogUnavailableError', code: 'HEXP_ERR_LOG_UNAVAILABLE', message: /not acknowledged/ })
    await h.repairBackend()
    // The device re-sends what was not acked; the backend may need a moment to be reachable again.
    let acked = false
    const deadline = Date.now() + 20_000
    while (!acked) {
      try {
        await log.append(0, [rec('during')])
        acked = true
      } catch (err) {
        if ((err as Error).name !== 'LogUnavailableError' || Date.now() > deadline) throw err
      }
    }
    await log.append(0, [rec('after')])
    t.same(ids(await log.read(0, LOG_START, 100)), ['before', 'during', 'after'], 'nothing lost, the re-sent record once')
  })

  t.test('close stops subscriptions; later calls are refused; close is idempotent', async (t) => {
    const h = await factory(t)
    if (h === null) return
    const log = await h.open()
    await log.append(0, [rec('c1')])
    const seen: string[] = []
    const sub = log.consume(0, LOG_START, (e) => { seen.push(e.id) })
    await eventually('the entry', () => seen.length === 1)
    await log.close()
    await sub.done
    t.pass('the subscription ended')
    await t.rejects(log.append(0, [rec('c2')]), { name: 'LogClosedError', code: 'HEXP_ERR_LOG_CLOSED', message: /append: the log is closed/ })
    await t.rejects(log.read(0, LOG_START, 1), { name: 'LogClosedError' })
    t.throws(() => log.consume(0, LOG_START, () => undefined), { name: 'LogClosedError' })
    await log.close()
    const reopened = await h.open()
    t.teardown(() => reopened.close())
    t.same(ids(await reopened.read(0, LOG_START, 10)), ['c1'], 'what was acked before close is kept')
  })

  t.test('a handler that throws ends its subscription with that error', async (t) => {
    const h = await factory(t)
    if (h === null) return
    const log = await h.open()
    t.teardown(() => log.close())
    await log.append(0, [rec('h1'), rec('h2')])
    const seen: string[] = []
    const sub = log.consume(0, LOG_START, (e) => {
      seen.push(e.id)
      throw new Error('handler failed')
    })
    await t.rejects(sub.done, /handler failed/)
    t.same(seen, ['h1'], 'no entry after the failing one')
    await sub.stop()
    await log.append(0, [rec('h3')])
    t.same(ids(await log.read(0, LOG_START, 10)), ['h1', 'h2', 'h3'], 'the log itself is unaffected')
  })
}
