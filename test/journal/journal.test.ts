import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { createMetrics } from '../../src/telemetry/metrics.js'
import { segmentFileName, type SealedSegment } from '../../src/journal/journal.js'
import { HEADER_BYTES } from '../../src/journal/segment-format.js'
import { fakeClock, openJournal, readAll, segFiles, tempDir, until } from './fixtures/helpers.js'

const rec = (s: string): Buffer => Buffer.from(s)

t.test('seals by record count, reads back in order, confirm deletes', async (t) => {
  const dir = tempDir()
  const clock = fakeClock()
  const j = openJournal(dir, { segmentMaxRecords: 3, now: clock.now })
  const sealed: SealedSegment[] = []
  j.on('sealed', (s: SealedSegment) => sealed.push(s))
  t.equal(j.sealActive(), null, 'nothing to seal yet')
  for (let i = 0; i < 7; i++) t.equal(j.append(rec(`r${i}`)), true)
  t.equal(sealed.length, 2)
  t.same(sealed.map((s) => s.records), [3, 3])
  t.ok(sealed[1]!.id > sealed[0]!.id, 'ids increase')
  t.equal(sealed[0]!.firstAt, clock.now())
  t.same(j.pending(), sealed)
  t.same(readAll(j), ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'])
  t.equal(segFiles(dir).length, 3, 'two sealed + active')
  t.equal(path.basename(sealed[0]!.path), segmentFileName(sealed[0]!.id))
  t.match(path.basename(sealed[0]!.path), /^\d{16}\.seg$/)

  const before = j.bytes
  t.equal(before, sealed[0]!.bytes + sealed[1]!.bytes + HEADER_BYTES + 10)
  j.confirm(sealed[0]!)
  t.notOk(fs.existsSync(sealed[0]!.path), 'file deleted')
  t.equal(j.bytes, before - sealed[0]!.bytes)
  j.confirm(sealed[0]!) // idempotent
  t.equal(j.pending().length, 1)

  const last = j.sealActive()
  t.equal(last?.records, 1)
  t.same(j.readSegment(last!).map(String), ['r6'])
  j.close()
  j.close()
  t.throws(() => j.append(rec('late')), /closed/)
})

t.test('seals by age: on append and by the timer', async (t) => {
  const dir = tempDir()
  const clock = fakeClock()
  const j = openJournal(dir, { segmentMaxAgeMs: 30, now: clock.now })
  t.teardown(() => j.close())
  j.append(rec('a'))
  clock.advance(29)
  j.append(rec('b'))
  t.equal(j.pending().length, 0, 'not old enough yet')
  clock.advance(1)
  j.append(rec('c'))
  t.equal(j.pending().length, 1, 'sealed when the next record arrives')
  t.same(readAll(j), ['a', 'b'])

  // The timer fires after 30 real ms; the fake clock says only 10 ms passed, so it re-arms.
  clock.advance(10)
  await new Promise((r) => setTimeout(r, 60))
  t.equal(j.pending().length, 1, 'timer does not seal a young segment')
  clock.advance(20)
  t.ok(await until(() => j.pending().length === 2), 'the timer seals it')
  t.same(j.readSegment(j.pending()[1]!).map(String), ['c'])

  // An active segment that was sealed by hand leaves the timer nothing to do.
  j.append(rec('d'))
  j.sealActive()
  await new Promise((r) => setTimeout(r, 50))
  t.equal(j.pending().length, 3)
})

t.test('ids stay monotonic across reopen, also when everything was confirmed', async (t) => {
  const dir = tempDir()
  const clock = fakeClock(5000)
  let j = openJournal(dir, { segmentMaxRecords: 1, now: clock.now })
  j.append(rec('x'))
  j.append(rec('y'))
  const ids1 = j.pending().map((s) => s.id)
  t.same(ids1, [5000, 5001], 'first id comes from the clock')
  j.close()

  j = openJournal(dir, { segmentMaxRecords: 1, now: clock.now })
  t.same(j.recovery, { segments: 2, records: 2, corrupt: 0, truncatedBytes: 0 })
  j.append(rec('z'))
  const ids2 = j.pending().map((s) => s.id)
  t.same(ids2, [5000, 5001, 5002])
  t.same(readAll(j), ['x', 'y', 'z'])
  for (const s of j.pending()) j.confirm(s)
  j.close()
  t.same(segFiles(dir), [])

  // Empty directory and a clock that has not moved: the clock floor alone would reuse 5000..5002,
  // but a later clock never can. A clock that moved on gives fresh, larger ids.
  clock.advance(10_000)
  j = openJournal(dir, { segmentMaxRecords: 1, now: clock.now })
  j.append(rec('w'))
  t.equal(j.pending()[0]!.id, 15_000)
  j.close()
})

t.test('close() seals a non-empty active segment and removes an empty one', async (t) => {
  const dir = tempDir()
  const j = openJournal(dir)
  j.append(rec('only'))
  j.close()
  t.equal(segFiles(dir).length, 1)
  const j2 = openJournal(dir)
  t.same(readAll(j2), ['only'])
  t.equal(j2.recovery.segments, 1)
  j2.close()
  t.equal(segFiles(dir).length, 1, 'the recovered segment stays pending')
})

t.test('misuse throws', async (t) => {
  const dir = tempDir()
  t.throws(() => openJournal(dir, { maxBytes: 10 }), RangeError)
  t.throws(() => openJournal(dir, { segmentMaxRecords: 0 }), RangeError)
  const j = openJournal(dir, { maxBytes: 100 })
  t.throws(() => j.append('text' as unknown as Buffer), TypeError)
  t.throws(() => j.append(Buffer.alloc(100)), RangeError)
  t.equal(j.append(Buffer.alloc(100 - HEADER_BYTES - 8)), true, 'exactly the bound fits')
  j.close()
})

t.test('fsync policies', async (t) => {
  const run = async (fsync: 'never' | 'interval' | 'always'): Promise<number> => {
    let syncs = 0
    const io = { fsyncSync: (fd: number) => { syncs++; fs.fsyncSync(fd) } }
    const j = openJournal(tempDir(), { fsync, fsyncIntervalMs: 10 }, { io })
    for (let i = 0; i < 5; i++) j.append(rec(`r${i}`))
    await new Promise((r) => setTimeout(r, 40))
    const n = syncs
    j.close()
    return n
  }
  t.equal(await run('never'), 0, 'never: page cache only')
  // always: directory at creation + one per record.
  t.equal(await run('always'), 6)
  // interval: directory at creation + the timer, once (not again while nothing new was written).
  t.equal(await run('interval'), 2)
})

t.test('an fsync failure on the interval timer is logged, not thrown', async (t) => {
  const errors: unknown[] = []
  const logger = { info() {}, warn() {}, error: (o: unknown) => { errors.push(o) } }
  let fail = false
  const io = { fsyncSync: (fd: number) => { if (fail) throw Object.assign(new Error('EIO'), { code: 'EIO' }); fs.fsyncSync(fd) } }
  const j = openJournal(tempDir(), { fsync: 'interval', fsyncIntervalMs: 10 }, { io, logger: logger as never })
  j.append(rec('a'))
  fail = true
  await new Promise((r) => setTimeout(r, 40))
  t.ok(errors.length >= 1)
  fail = false
  j.close()
})

/** io.fsync calls held until the test completes them, each marked segment or directory. */
function heldFsyncs(): { io: { fsync: (fd: number, done: (err: Error | null) => void) => void }; segments: Array<{ fd: number; done: (err: Error | null) => void }>; dirs: Array<{ fd: number; done: (err: Error | null) => void }> } {
  const segments: Array<{ fd: number; done: (err: Error | null) => void }> = []
  const dirs: typeof segments = []
  const io = { fsync: (fd: number, done: (err: Error | null) => void) => { (fs.fstatSync(fd).isDirectory() ? dirs : segments).push({ fd, done }) } }
  return { io, segments, dirs }
}

t.test('the interval fsync runs off the event loop; one left behind by a seal is ignored, a failed one retried', async (t) => {
  const errors: unknown[] = []
  const logger = { info() {}, warn() {}, error: (o: unknown) => { errors.push(o) } }
  const { io, segments: pending } = heldFsyncs()
  const j = openJournal(tempDir(), { fsync: 'interval', fsyncIntervalMs: 5, segmentMaxRecords: 1000 }, { io, logger: logger as never })
  j.append(rec('a'))
  t.ok(await until(() => pending.length === 1), 'the timer started one')
  j.append(rec('b'))
  await new Promise((r) => setTimeout(r, 30))
  t.equal(pending.length, 1, 'never two at once')
  pending.shift()!.done(null)
  t.ok(await until(() => pending.length === 1), 'what was appended during the first is synced by the next')
  pending.shift()!.done(Object.assign(new Error('EIO'), { code: 'EIO' }))
  t.equal(errors.length, 1, 'a failure is logged')
  t.ok(await until(() => pending.length === 1), 'and the segment is synced again at the next interval')
  const late = pending.shift()!
  j.sealActive()
  t.equal(pending.length, 1, "the seal's own fsync")
  pending.shift()!.done(null)
  late.done(Object.assign(new Error('EBADF'), { code: 'EBADF' }))
  t.equal(errors.length, 1, 'the sealed segment was fsynced by the seal: a late failure of its interval fsync is ignored')
  j.close()
})

t.test('with interval, a seal and a new segment never fsync on the event loop; close() finishes what the thread pool has not', async (t) => {
  const errors: Array<{ msg: string }> = []
  const logger = { info() {}, warn() {}, error: (o: unknown, msg: string) => { errors.push({ msg }) } }
  const held = heldFsyncs()
  let syncs = 0
  const io = { ...held.io, fsyncSync: (fd: number) => { syncs++; fs.fsyncSync(fd) } }
  const dir = tempDir()
  const j = openJournal(dir, { fsync: 'interval', fsyncIntervalMs: 60_000, segmentMaxRecords: 2 }, { io, logger: logger as never })
  for (const r of ['a', 'b', 'c', 'd', 'e']) j.append(rec(r))
  t.equal(syncs, 0, 'no synchronous fsync: two seals and three new segments')
  t.equal(held.segments.length, 2, 'each seal fsyncs its segment in the thread pool')
  t.ok(await until(() => held.dirs.length === 3), "and each new segment's directory entry")
  const [first, second] = held.segments
  const isOpen = (fd: number): boolean => { try { fs.fstatSync(fd); return true } catch { return false } }
  t.ok(isOpen(first!.fd), 'a sealed segment stays open until its fsync completes')
  first!.done(Object.assign(new Error('EIO'), { code: 'EIO' }))
  t.match(errors, [{ msg: /fsync of a sealed segment failed; its data is in the page cache only/ }], 'a failure is logged')
  t.ok(await until(() => !isOpen(first!.fd)), 'and the descriptor is closed all the same')
  held.dirs.shift()!.done(Object.assign(new Error('EIO'), { code: 'EIO' }))
  t.match(errors[1], { msg: /fsync of its directory failed/ })
  held.dirs.shift()!.done(null)
  t.same(j.pending().map((s) => s.records), [2, 2], 'both sealed segments are pending all the same')
  t.same(readAll(j), ['a', 'b', 'c', 'd'])

  j.close()
  // The second seal's fsync and the last directory fsync were still in the thread pool: close()
  // repeats them synchronously (and the active segment's), and closes the descriptor.
  t.equal(syncs, 3, "close(): the pending seal's segment, the active segment and the directory")
  t.notOk(isOpen(second!.fd), 'the pending seal\'s descriptor is closed')
  second!.done(null)
  held.dirs.shift()!.done(null)
  t.equal(errors.length, 2, 'late completions after close() are ignored')
  const again = openJournal(dir)
  t.same(readAll(again), ['a', 'b', 'c', 'd', 'e'])
  again.close()
})

t.test('with interval, a disk that does not finish its fsyncs gets at most four seals in the thread pool; the next seal waits for it', async (t) => {
  const held = heldFsyncs()
  let syncs = 0
  const io = { ...held.io, fsyncSync: (fd: number) => { syncs++; fs.fsyncSync(fd) } }
  const j = openJournal(tempDir(), { fsync: 'interval', fsyncIntervalMs: 60_000, segmentMaxRecords: 1 }, { io })
  for (let i = 0; i < 4; i++) j.append(rec(`r${i}`))
  t.equal(held.segments.length, 4)
  t.equal(syncs, 0)
  j.append(rec('r4'))
  t.equal(held.segments.length, 4, 'no fifth in the thread pool')
  t.equal(syncs, 1, 'the fifth seal fsyncs synchronously')
  held.segments.shift()!.done(null)
  j.append(rec('r5'))
  t.equal(held.segments.length, 4, 'one finished: the next seal goes to the thread pool again')
  t.equal(syncs, 1)
  j.close()
  t.equal(syncs, 1 + 4 + 1, 'close() syncs the four seals still pending and the directory (no active segment: each record sealed its own)')
})

t.test('with interval, a failed synchronous fsync at close() is logged and the descriptor closed', async (t) => {
  const errors: string[] = []
  const logger = { info() {}, warn() {}, error: (_o: unknown, msg: string) => { errors.push(msg) } }
  const held = heldFsyncs()
  let fail = false
  const io = { ...held.io, fsyncSync: (fd: number) => { if (fail && !fs.fstatSync(fd).isDirectory()) throw Object.assign(new Error('EIO'), { code: 'EIO' }); fs.fsyncSync(fd) } }
  const j = openJournal(tempDir(), { fsync: 'interval', fsyncIntervalMs: 60_000, segmentMaxRecords: 1 }, { io, logger: logger as never })
  j.append(rec('a'))
  const { fd } = held.segments[0]!
  const { dev, ino } = fs.fstatSync(fd)
  fail = true
  j.close()
  t.match(errors, [/fsync of a sealed segment failed at close/])
  // Closed: the number no longer opens the sealed segment (an open in the thread pool, left by an
  // earlier test, may already have been given the same number, so "fstat throws" is not the test).
  const now = (() => { try { return fs.fstatSync(fd) } catch { return null } })()
  t.notOk(now !== null && now.dev === dev && now.ino === ino, 'closed')
})

t.test('with interval, a directory that cannot be opened for its fsync is logged', async (t) => {
  const errors: string[] = []
  const logger = { info() {}, warn() {}, error: (_o: unknown, msg: string) => { errors.push(msg) } }
  const dir = tempDir()
  const j = openJournal(dir, { fsync: 'interval', fsyncIntervalMs: 60_000 }, { logger: logger as never })
  // The directory's open runs in the thread pool: one that fails (EMFILE, say) is simulated here.
  const open = fs.open
  t.teardown(() => { fs.open = open })
  fs.open = ((file: fs.PathLike, _flags: string, cb: (err: Error | null, fd: number) => void) => {
    if (file === dir) queueMicrotask(() => cb(Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' }), -1))
    else (open as (...a: unknown[]) => void)(file, _flags, cb)
  }) as typeof fs.open
  t.ok(j.append(rec('a')), 'the append does not wait for it')
  t.ok(await until(() => errors.length === 1), 'reported')
  t.match(errors[0], /fsync of its directory failed/)
  fs.open = open
  j.close()
  const again = openJournal(dir)
  t.same(readAll(again), ['a'])
  again.close()
})

t.test('metrics follow the journal', async (t) => {
  const metrics = createMetrics({ defaults: false })
  const value = async (name: string): Promise<number> => (await metrics.registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0
  const dir = tempDir()
  const j = openJournal(dir, { segmentMaxRecords: 2 }, { metrics })
  j.append(rec('a'))
  j.append(rec('b'))
  j.append(rec('c'))
  t.equal(await value('hexpatrol_journal_bytes'), j.bytes)
  t.equal(await value('hexpatrol_journal_segments'), 2)
  j.confirm(j.pending()[0]!)
  t.equal(await value('hexpatrol_journal_segments'), 1)
  t.equal(await value('hexpatrol_journal_full'), 0)
  j.close()
  const j2 = openJournal(dir, {}, { metrics })
  t.equal(await value('hexpatrol_journal_replayed_records_total'), 1)
  j2.close()
})

t.test('confirm() surfaces a deletion failure other than "already gone"', async (t) => {
  const dir = tempDir()
  const j = openJournal(dir, { segmentMaxRecords: 1 })
  j.append(rec('a'))
  const seg = j.pending()[0]!
  fs.unlinkSync(seg.path)
  fs.mkdirSync(seg.path) // unlink() of a directory fails with EISDIR/EPERM
  const bytes = j.bytes
  t.throws(() => j.confirm(seg))
  t.equal(j.pending().length, 1, 'still pending: its space is not free')
  t.equal(j.bytes, bytes)
  fs.rmdirSync(seg.path)
  j.confirm(seg)
  t.equal(j.pending().length, 0)
  j.append(rec('b'))
  const seg2 = j.pending()[0]!
  fs.unlinkSync(seg2.path)
  t.doesNotThrow(() => j.confirm(seg2), 'a file already gone is fine')
  j.close()
})

t.test('without a logger, problems are swallowed silently', async (t) => {
  let fail = false
  const io = { fsyncSync: (fd: number) => { if (fail) throw new Error('EIO'); fs.fsyncSync(fd) } }
  const j2dir = tempDir()
  const j = openJournal(j2dir, { fsync: 'interval', fsyncIntervalMs: 5 }, { io })
  j.append(rec('a'))
  fail = true
  await new Promise((r) => setTimeout(r, 30))
  fail = false
  t.ok(j.append(rec('b')), 'still appending after the failed fsyncs')
  j.close()
  const again = openJournal(j2dir)
  t.same(readAll(again), ['a', 'b'], 'and nothing was lost')
  again.close()
})
