import t from 'tap'
import { LogGroup } from '../../src/ingest/log-group.js'
import type { GroupCommit } from '../../src/ingest/message-handler.js'

/** The journal's side: counts flushes; `writable` false makes flush() say not yet. */
function journal(): GroupCommit & { flushes: number; writable: boolean } {
  const j = {
    flushes: 0,
    writable: true,
    defer: (fn: () => void | Promise<void>) => fn(),
    flush: () => { j.flushes++; return j.writable },
    whenWritable: () => Promise.resolve(),
  }
  return j
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void
  let reject!: (e: unknown) => void
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

t.test('appends in flight hold the group; it may be acknowledged once all were acked and the journal wrote', async (t) => {
  const j = journal()
  const g = new LogGroup(j)
  const a = deferred()
  const b = deferred()
  t.equal(g.defer(() => a.promise), undefined, 'the handler returns at once: MQTT.js takes the next message')
  t.equal(g.defer(() => b.promise), undefined)
  t.equal(g.defer(() => undefined), undefined, 'a message done at once (all rejects) adds nothing to wait for')
  t.equal(g.inFlight, 2)
  t.equal(g.flush(), false, 'not before the appends were acked')
  t.equal(j.flushes, 0)
  const writable = g.whenWritable()
  a.resolve()
  await Promise.resolve()
  t.equal(g.flush(), false, 'one still in flight')
  b.resolve()
  await writable
  t.equal(g.inFlight, 0)
  t.equal(g.flush(), true)
  t.equal(j.flushes, 1, 'then the journal writes what it holds (rejects)')
  j.writable = false
  t.equal(g.flush(), false, 'the journal full: not yet either')
  await g.whenWritable()
})

t.test('a failed append makes the next flush throw once (the subscriber drops the group unacknowledged)', async (t) => {
  const g = new LogGroup(journal())
  const a = deferred()
  g.defer(() => a.promise)
  const w = g.whenWritable()
  a.reject(new Error('JetStream not available'))
  await w
  t.throws(() => g.flush(), /JetStream not available/)
  t.equal(g.flush(), true, 'the failure is reported once')
  const b = deferred()
  g.defer(() => b.promise)
  b.reject('plain')
  await g.whenWritable()
  t.throws(() => g.flush(), /plain/)
})
