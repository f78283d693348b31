import t from 'tap'
import { Kvm } from '@nats-io/kv'
import { PartitionMarks, marksKey, type Marks } from '../../src/cluster/marks.js'
import { natsFixture, natsServerPath, NATS_MISSING } from '../helpers/nats.js'

const Z: Marks = { rows: 0n, alerts: 0n, intent: null }
const m = (rows: number, alerts: number, intent: [number, number] | null = null): Marks =>
  ({ rows: BigInt(rows), alerts: BigInt(alerts), intent: intent === null ? null : { from: BigInt(intent[0]), to: BigInt(intent[1]) } })

/** Resolves when `pred` holds for what the watcher has seen, or rejects after `ms`. */
function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (check()) resolve()
      else if (Date.now() > deadline) reject(new Error('timed out waiting for the watcher'))
      else setTimeout(poll, 10)
    }
    poll()
  })
}

/** The first call after a server restart may race the client's reconnection: retry it for a while. */
async function retrying<T>(op: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await op()
    } catch (err) {
      if (i > 20) throw err
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

if (natsServerPath() === null) {
  void t.skip(NATS_MISSING, () => undefined)
} else {
  const nats = natsFixture(t, 'progress')
  const { conn, bucket } = nats

  t.test('get/set round trip; a missing key is zero marks; the stored value is the documented JSON', async (t) => {
    const b = bucket()
    const marks = await PartitionMarks.open({ nc: await conn(), replicas: 1, bucket: b })
    t.same(await marks.get(3), Z)
    await marks.set(3, m(120, 80, [81, 140]))
    t.same(await marks.get(3), m(120, 80, [81, 140]))
    const other = await PartitionMarks.open({ nc: await conn(), replicas: 1, bucket: b })
    t.same(await other.get(3), m(120, 80, [81, 140]), 'another engine reads it')
    t.same(await other.get(4), Z)
    const kv = await new Kvm(await conn()).open(b)
    t.equal((await kv.get(marksKey(3)))?.string(), '{"rows":"120","alerts":"80","intent":{"from":"81","to":"140"}}')
    t.equal((await kv.status()).history, 1, 'history 1')
    await t.rejects(marks.get(-1), RangeError)
  })

  t.test('a reader never sees marks move backwards', async (t) => {
    const b = bucket()
    const writer = await PartitionMarks.open({ nc: await conn(), replicas: 1, bucket: b })
    const reader = await PartitionMarks.open({ nc: await conn(), replicas: 1, bucket: b })
    await writer.set(0, m(50, 40))
    t.same(await reader.get(0), m(50, 40))
    await writer.set(0, m(30, 45, [46, 60]))
    t.same(await reader.get(0), m(50, 45, [46, 60]), 'rows stay at 50, alerts advance, intent is the newer value')
    const kv = await new Kvm(await conn()).open(b)
    await kv.delete(marksKey(0))
    t.same(await reader.get(0), m(50, 45), 'a deleted key does not reset the reader')
  })

  t.test('watch: every key\'s current value first, then updates written from another connection', async (t) => {
    const b = bucket()
    const writer = await PartitionMarks.open({ nc: await conn(), replicas: 1, bucket: b })
    await writer.set(0, m(10, 5))
    await writer.set(7, m(70, 60))
    await writer.set(7, m(71, 61))
    const reader = await PartitionMarks.open({ nc: await conn(), replicas: 1, bucket: b })
    const seen: Array<[number, Marks]> = []
    const last = new Map<number, Marks>()
    const w = reader.watch((p, mk) => { seen.push([p, mk]); last.set(p, mk) })
    await w.ready
    t.same(last.get(0), m(10, 5), 'initial value of p.0')
    t.same(last.get(7), m(71, 61), 'the current value of p.7, not its history')
    t.notOk(seen.some(([p, mk]) => p === 7 && mk.rows === 70n), 'history 1: the older value is never delivered')
    await writer.set(7, m(90, 85, [86, 100]))
    await writer.set(12, m(1, 1))
    await until(() => last.get(7)?.rows === 90n && last.get(12) !== undefined)
    t.same(last.get(7), m(90, 85, [86, 100]))
    t.same(last.get(12), m(1, 1))
    // An older value written late (a deposed owner) does not move the reader back.
    const before = seen.length
    await writer.set(7, m(80, 80))
    await writer.set(12, m(2, 2))
    await until(() => last.get(12)?.rows === 2n)
    t.same(last.get(7), m(90, 85), 'sequences kept, the intent cleared')
    t.ok(seen.slice(before).every(([p, mk]) => p !== 7 || mk.rows >= 90n), 'never delivered backwards')
    await w.stop()
    await writer.set(12, m(3, 3))
    await new Promise((r) => setTimeout(r, 200))
    t.same(last.get(12), m(2, 2), 'nothing delivered after stop')
  })

  t.test('watch on an empty bucket is ready at once and sees the first write', async (t) => {
    const b = bucket()
    const reader = await PartitionMarks.open({ nc: await conn(), replicas: 1, bucket: b })
    const seen: Array<[number, Marks]> = []
    const w = reader.watch((p, mk) => seen.push([p, mk]))
    await w.ready
    t.same(seen, [])
    const writer = await PartitionMarks.open({ nc: await conn(), replicas: 1, bucket: b })
    await writer.set(5, m(2, 1))
    await until(() => seen.length === 1)
    t.same(seen, [[5, m(2, 1)]])
    await w.stop()
  })

  t.test('a garbled value is zero marks plus a warning naming the partition', async (t) => {
    const b = bucket()
    const warnings: Array<[number, string]> = []
    const reader = await PartitionMarks.open({ nc: await conn(), replicas: 1, bucket: b, onWarning: (p, w) => warnings.push([p, w]) })
    const kv = await new Kvm(await conn()).open(b)
    await kv.put(marksKey(2), '{"rows": 5}')
    t.same(await reader.get(2), Z)
    t.equal(warnings.length, 1)
    t.equal(warnings[0]?.[0], 2)
    t.match(warnings[0]?.[1], /unreadable progress marks, read as zero/)
    await kv.put('other', 'not ours')
    const seen: number[] = []
    const w = reader.watch((p) => seen.push(p))
    await w.ready
    t.same(seen, [2], 'keys that are not p.<n> are ignored')
    await w.stop()
  })

  t.test('NATS stopped: get and set reject with a clear error within the timeout; they work again after a restart', async (t) => {
    const b = bucket()
    const marks = await PartitionMarks.open({ nc: await conn(), replicas: 1, bucket: b, timeoutMs: 1000 })
    await marks.set(1, m(4, 4))
    await nats.server.stop()
    let started = Date.now()
    await t.rejects(marks.get(1), { name: 'LogUnavailableError', code: 'HEXP_ERR_LOG_UNAVAILABLE', message: /cannot read the progress marks of partition 1 .*check that the NATS servers in cluster.url are up/ })
    t.ok(Date.now() - started < 3000, `get rejected in ${Date.now() - started} ms`)
    started = Date.now()
    await t.rejects(marks.set(1, m(5, 5)), { name: 'LogUnavailableError', message: /cannot store the progress marks of partition 1 .*the effects stay pending/ })
    t.ok(Date.now() - started < 3000, `set rejected in ${Date.now() - started} ms`)
    started = Date.now()
    const w = marks.watch(() => undefined)
    await t.rejects(w.ready, { name: 'LogUnavailableError', message: /cannot watch the progress bucket/ })
    t.ok(Date.now() - started < 3000, `a watch started meanwhile: ready rejected in ${Date.now() - started} ms`)
    await w.stop()
    await nats.server.restart()
    await retrying(() => marks.set(1, m(6, 6)))
    t.same(await marks.get(1), m(6, 6))
  })

  t.test('a watch goes on across a server restart', async (t) => {
    const b = bucket()
    const writer = await PartitionMarks.open({ nc: await conn(), replicas: 1, bucket: b })
    const reader = await PartitionMarks.open({ nc: await conn(), replicas: 1, bucket: b })
    const last = new Map<number, Marks>()
    const errors: unknown[] = []
    const w = reader.watch((p, mk) => last.set(p, mk), (e) => errors.push(e))
    await w.ready
    await writer.set(0, m(1, 1))
    await until(() => last.get(0)?.rows === 1n)
    await nats.server.restart()
    await retrying(() => writer.set(0, m(2, 2)))
    await until(() => last.get(0)?.rows === 2n, 10_000)
    t.same(last.get(0), m(2, 2))
    t.same(errors, [])
    await w.stop()
  })
}
