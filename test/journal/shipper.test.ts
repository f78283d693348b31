import t from 'tap'
import fs from 'node:fs'
import type { SealedSegment } from '../../src/journal/journal.js'
import { Shipper, type BatchStatus, type Deliver, type RetryEvent } from '../../src/journal/shipper.js'
import { openJournal, tempDir, until } from './fixtures/helpers.js'

const rec = (i: number): Buffer => Buffer.from(String(i))
const fast = { retryMinMs: 1, retryMaxMs: 4, random: () => 0.5 }

function recorder(status: (seg: SealedSegment, call: number) => BatchStatus | Promise<BatchStatus> = () => 'delivered') {
  const calls: Array<{ id: number; records: string[] }> = []
  const deliver: Deliver = async (seg, records) => {
    calls.push({ id: seg.id, records: records.map(String) })
    return status(seg, calls.length)
  }
  return { calls, deliver }
}

t.test('ships recovered segments first, then new ones, in order, and confirms them', async (t) => {
  const dir = tempDir()
  const crashed = openJournal(dir, { segmentMaxRecords: 2 })
  for (let i = 0; i < 5; i++) crashed.append(rec(i)) // abandoned: 2 sealed + 1 active
  const j = openJournal(dir, { segmentMaxRecords: 2 })
  const { calls, deliver } = recorder()
  const s = new Shipper(j, deliver, fast)
  const delivered: number[] = []
  s.on('delivered', (seg: SealedSegment) => delivered.push(seg.id))
  t.equal(s.backlog, 3)
  s.start()
  s.start() // idempotent
  for (let i = 5; i < 9; i++) j.append(rec(i))
  t.ok(await until(() => calls.length === 5 && s.backlog === 0))
  t.same(calls.flatMap((c) => c.records), ['0', '1', '2', '3', '4', '5', '6', '7', '8'])
  const ids = calls.map((c) => c.id)
  t.same(ids, [...ids].sort((a, b) => a - b), 'oldest first')
  t.same(delivered, ids)
  t.same(fs.readdirSync(dir), [], 'all confirmed and deleted')
  t.equal(s.healthy, true)
  await s.stop()
  j.close()
})

t.test('retriable failures back off and retry, never letting a later segment overtake', async (t) => {
  const j = openJournal(tempDir(), { segmentMaxRecords: 1 })
  for (let i = 0; i < 3; i++) j.append(rec(i))
  const first = j.pending()[0]!.id
  const { calls, deliver } = recorder((seg, call) => {
    if (seg.id !== first) return 'delivered'
    if (call === 1) return 'retriable'
    if (call === 2) throw new Error('ECONNREFUSED')
    return 'delivered'
  })
  const s = new Shipper(j, deliver, { retryMinMs: 10, retryMaxMs: 1000, random: () => 0 })
  const retries: RetryEvent[] = []
  const health: boolean[] = []
  s.on('retry', (e: RetryEvent) => { retries.push(e); health.push(s.healthy) })
  s.start()
  t.ok(await until(() => s.backlog === 0))
  t.same(calls.map((c) => c.id), [first, first, first, first + 1, first + 2])
  t.same(retries.map((r) => [r.seg.id, r.attempt, r.delayMs]), [[first, 1, 10], [first, 2, 10]])
  t.equal(retries[0]!.error, undefined, "a plain 'retriable' carries no error")
  t.match(retries[1]!.error, /ECONNREFUSED/)
  t.same(health, [false, false], 'unhealthy while retrying')
  t.equal(s.healthy, true, 'healthy again after delivery')
  await s.stop()
  j.close()
})

t.test('rejected segments are confirmed (the deliver callback dead-lettered them)', async (t) => {
  const j = openJournal(tempDir(), { segmentMaxRecords: 1 })
  j.append(rec(0))
  j.append(rec(1))
  const { calls, deliver } = recorder((_seg, call) => (call === 1 ? 'rejected' : 'delivered'))
  const s = new Shipper(j, deliver, fast)
  const rejected: number[] = []
  s.on('rejected', (seg: SealedSegment) => rejected.push(seg.id))
  s.start()
  t.ok(await until(() => s.backlog === 0))
  t.equal(calls.length, 2)
  t.same(rejected, [calls[0]!.id])
  await s.stop()
  j.close()
})

t.test('a nonsense status is retried; an unreadable segment is retried; an empty one is dropped', async (t) => {
  const dir = tempDir()
  const j = openJournal(dir, { segmentMaxRecords: 1 })
  j.append(rec(0))
  j.append(rec(1))
  j.append(rec(2))
  const [a, b, c] = j.pending() as [SealedSegment, SealedSegment, SealedSegment]
  fs.unlinkSync(a.path) // missing: nothing to deliver, just confirmed
  fs.unlinkSync(b.path)
  fs.mkdirSync(b.path) // EISDIR: an I/O error, retried
  let n = 0
  const { calls, deliver } = recorder(() => (n++ === 0 ? ('maybe' as BatchStatus) : 'delivered'))
  const s = new Shipper(j, deliver, { ...fast, random: undefined, concurrency: 1 })
  const retries: RetryEvent[] = []
  s.on('retry', (e: RetryEvent) => {
    retries.push(e)
    if (e.seg.id === b.id && fs.statSync(b.path).isDirectory()) { fs.rmdirSync(b.path); fs.writeFileSync(b.path, fs.readFileSync(c.path)) }
  })
  s.start()
  t.ok(await until(() => s.backlog === 0))
  t.match(retries[0], { seg: { id: b.id }, attempt: 1, error: { code: 'EISDIR' } })
  t.match(String(retries[1]!.error), /deliver returned maybe/)
  t.same(calls.map((x) => x.id), [b.id, b.id, c.id])
  t.notOk(calls.some((x) => x.id === a.id), 'the missing segment was never offered')
  await s.stop()
  j.close()
})

t.test('concurrency > 1 keeps several segments in flight', async (t) => {
  const j = openJournal(tempDir(), { segmentMaxRecords: 1 })
  for (let i = 0; i < 4; i++) j.append(rec(i))
  let inFlight = 0
  let maxInFlight = 0
  const release: Array<() => void> = []
  const deliver: Deliver = async () => {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    await new Promise<void>((r) => release.push(r))
    inFlight--
    return 'delivered'
  }
  const s = new Shipper(j, deliver, { ...fast, concurrency: 2 })
  s.start()
  t.ok(await until(() => release.length === 2))
  t.equal(inFlight, 2)
  while (s.backlog > 0) {
    release.shift()?.()
    await new Promise((r) => setTimeout(r, 5))
  }
  t.equal(maxInFlight, 2)
  await s.stop()
  j.close()
})

t.test('stop() waits for the in-flight delivery, confirms it if delivered, starts nothing new', async (t) => {
  const j = openJournal(tempDir(), { segmentMaxRecords: 1 })
  j.append(rec(0))
  j.append(rec(1))
  let release!: (s: BatchStatus) => void
  const { calls, deliver } = recorder(() => new Promise<BatchStatus>((r) => { release = r }))
  const s = new Shipper(j, deliver, fast)
  s.start()
  t.ok(await until(() => calls.length === 1))
  let stopped = false
  const stopping = s.stop().then(() => { stopped = true })
  await new Promise((r) => setTimeout(r, 20))
  t.equal(stopped, false, 'still waiting for the in-flight delivery')
  release('delivered')
  await stopping
  t.equal(calls.length, 1, 'no new delivery after stop')
  t.equal(s.backlog, 1, 'the first was confirmed, the second stays for the next run')
  s.start() // a stopped shipper stays stopped
  j.append(rec(2))
  await new Promise((r) => setTimeout(r, 20))
  t.equal(calls.length, 1)
  t.equal(await s.drain(1000), false, 'a stopped shipper cannot drain')
  j.close()
})

t.test('stop() during a retry wait gives up at once; a retriable answer after stop is not retried', async (t) => {
  const j = openJournal(tempDir(), { segmentMaxRecords: 1 })
  j.append(rec(0))
  const { calls, deliver } = recorder(() => 'retriable')
  const s = new Shipper(j, deliver, { retryMinMs: 60_000, retryMaxMs: 60_000 })
  s.start()
  t.ok(await until(() => !s.healthy))
  await s.stop() // would hang for a minute if the sleep were not cancelled
  t.equal(calls.length, 1)
  t.equal(s.backlog, 1)

  let release!: (s: BatchStatus) => void
  const slow = recorder(() => new Promise<BatchStatus>((r) => { release = r }))
  const s2 = new Shipper(j, slow.deliver, fast)
  s2.start()
  t.ok(await until(() => slow.calls.length === 1))
  const stopping = s2.stop()
  release('retriable')
  await stopping
  t.equal(slow.calls.length, 1)
  t.equal(s2.backlog, 1)
  j.close()
})

t.test('drain() seals the active segment and waits until everything is shipped', async (t) => {
  const j = openJournal(tempDir(), { segmentMaxRecords: 100 })
  const { calls, deliver } = recorder()
  const s = new Shipper(j, deliver, fast)
  t.equal(await s.drain(1000), true, 'nothing to drain')
  j.append(rec(0))
  j.append(rec(1))
  t.equal(await s.drain(5000), true, 'drain starts the shipper if needed')
  t.same(calls.map((c) => c.records), [['0', '1']])
  t.equal(s.backlog, 0)
  await s.stop()
  j.close()
})

t.test('drain() gives up after its timeout, and stop() ends a drain early', async (t) => {
  const j = openJournal(tempDir())
  j.append(rec(0))
  const { deliver } = recorder(() => 'retriable')
  const s = new Shipper(j, deliver, fast)
  s.start()
  t.equal(await s.drain(50), false)
  const draining = s.drain(60_000)
  await s.stop()
  t.equal(await draining, false)
  j.close()
})
