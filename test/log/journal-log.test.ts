import t from 'tap'
import fs from 'node:fs'
import { Journal, type JournalIo } from '../../src/journal/journal.js'
import { JournalLog, journalPosition } from '../../src/log/journal-log.js'
import { LOG_START, type LogEntry } from '../../src/log/log.js'
import { tempDir } from '../helpers/harness.js'
import { idOfData, logSuite, rec } from './log-suite.js'

interface Disk { broken: NodeJS.ErrnoException | null }

function openJournal(dir: string, disk: Disk, extra: { segmentMaxRecords?: number; maxBytes?: number } = {}): Journal {
  const io: Partial<JournalIo> = {
    writeSync: (fd, buf, off, len) => {
      if (disk.broken) throw disk.broken
      return fs.writeSync(fd, buf, off, len)
    },
  }
  return Journal.open({ dir, maxBytes: extra.maxBytes ?? 1 << 20, segmentMaxRecords: extra.segmentMaxRecords ?? 1000, segmentMaxAgeMs: 60_000, fsync: 'never', fsyncIntervalMs: 1000, diskRetryMs: 5 }, { io })
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code })
}

/** Disk bytes of a one-record segment holding rec(id): header, frame header, payload. */
const segBytes = (id: string): number => 16 + 8 + JSON.stringify({ id, value: id }).length
const ids = (entries: readonly LogEntry[]): string[] => entries.map((e) => e.id)

t.test('the journal log passes the log suite', async (t) => {
  // Three records per segment: every suite test reads across sealed segments and the open one.
  logSuite(t, async () => {
    const dir = tempDir('hexp-jlog-')
    const disk: Disk = { broken: null }
    return {
      open: async () => new JournalLog({ journal: openJournal(dir, disk, { segmentMaxRecords: 3 }), idOf: idOfData }),
      breakBackend: async () => { disk.broken = errno('EIO') },
      repairBackend: async () => { disk.broken = null },
    }
  })
})

t.test('positions are the journal segment id and record index', async (t) => {
  const journal = openJournal(tempDir('hexp-jlog-'), { broken: null }, { segmentMaxRecords: 2 })
  const log = new JournalLog({ journal, idOf: idOfData })
  t.teardown(() => log.close())
  const acks = await log.append(0, [rec('a'), rec('b'), rec('c')])
  const [first, second] = journal.pending()
  t.same(acks.map((a) => a.position), [journalPosition(first!.id, 0), journalPosition(first!.id, 1), journalPosition(journal.lastAppended!.segment, 0)])
  t.equal(second, undefined, 'the third record is in the open segment')
  t.same(journal.lastAppended, { segment: journal.lastAppended!.segment, index: 0 })
  t.ok(journal.lastAppended!.segment > first!.id)
})

t.test('a full journal makes appends wait, in order, until segments are confirmed', async (t) => {
  const disk: Disk = { broken: null }
  // Room for two one-record segments: the third waits.
  const journal = openJournal(tempDir('hexp-jlog-'), disk, { segmentMaxRecords: 1, maxBytes: 2 * segBytes('full-1') + 10 })
  const log = new JournalLog({ journal, idOf: idOfData })
  t.teardown(() => log.close())
  await log.append(0, [rec('full-1'), rec('full-2')])
  let thirdDone = false
  const third = log.append(0, [rec('full-3')]).then((a) => { thirdDone = true; return a })
  const fourth = log.append(0, [rec('full-4')])
  await new Promise((r) => setImmediate(r))
  t.notOk(thirdDone, 'no ack while the journal is full')
  t.ok(journal.full)
  journal.confirm(journal.pending()[0]!)
  journal.confirm(journal.pending()[0]!)
  const [a3, a4] = await Promise.all([third, fourth])
  t.ok(a4![0]!.position > a3![0]!.position, 'the later append did not overtake the waiting one')
  t.same(ids(await log.read(0, LOG_START, 10)), ['full-3', 'full-4'], 'confirmed segments are no longer readable')
})

t.test('a batch that fills the journal midway waits for the rest', async (t) => {
  const journal = openJournal(tempDir('hexp-jlog-'), { broken: null }, { segmentMaxRecords: 1, maxBytes: 2 * segBytes('m-1') + 10 })
  const log = new JournalLog({ journal, idOf: idOfData })
  t.teardown(() => log.close())
  await log.append(0, [rec('m-0')])
  const batch = log.append(0, [rec('m-1'), rec('m-2'), rec('m-3')])
  await new Promise((r) => setImmediate(r))
  t.ok(journal.full)
  journal.confirm(journal.pending()[0]!)
  await new Promise((r) => setImmediate(r))
  journal.confirm(journal.pending()[0]!)
  const acks = await batch
  t.equal(acks.length, 3)
  t.same(ids(await log.read(0, LOG_START, 10)), ['m-2', 'm-3'])
  t.equal(acks[2]!.duplicate, false)
})

t.test('a full disk (ENOSPC) holds appends until the disk takes writes again', async (t) => {
  const disk: Disk = { broken: null }
  const journal = openJournal(tempDir('hexp-jlog-'), disk)
  const log = new JournalLog({ journal, idOf: idOfData })
  t.teardown(() => log.close())
  disk.broken = errno('ENOSPC')
  let done = false
  const p = log.append(0, [rec('nospace')]).then(() => { done = true })
  await new Promise((r) => setTimeout(r, 30))
  t.notOk(done, 'not acknowledged while the disk is full')
  disk.broken = null
  // The journal's disk-retry timer is unref'd (it must not hold the engine open): hold the test open.
  const hold = setInterval(() => undefined, 1000)
  await p
  clearInterval(hold)
  t.same(ids(await log.read(0, LOG_START, 10)), ['nospace'])
})

t.test('closing while an append waits for space rejects it', async (t) => {
  const journal = openJournal(tempDir('hexp-jlog-'), { broken: null }, { segmentMaxRecords: 1, maxBytes: segBytes('only-one') + 5 })
  const log = new JournalLog({ journal, idOf: idOfData })
  await log.append(0, [rec('only-one')])
  const waiting = log.append(0, [rec('never')])
  await new Promise((r) => setImmediate(r))
  await log.close()
  await t.rejects(waiting, { name: 'LogClosedError' })
})

t.test('dedup remembers ids for the window, and at most dedupMaxIds of them', async (t) => {
  let now = 1_000_000
  const journal = openJournal(tempDir('hexp-jlog-'), { broken: null })
  const log = new JournalLog({ journal, idOf: idOfData, dedupWindowMs: 60_000, dedupMaxIds: 2, now: () => now })
  t.teardown(() => log.close())
  await log.append(0, [rec('w1')])
  now += 59_999
  t.equal((await log.append(0, [rec('w1')]))[0]!.duplicate, true, 'inside the window')
  now += 1
  t.equal((await log.append(0, [rec('w1')]))[0]!.duplicate, false, 'after the window the id is new again')
  await log.append(0, [rec('w2'), rec('w3')])
  t.equal((await log.append(0, [rec('w1')]))[0]!.duplicate, false, 'the oldest id was dropped past dedupMaxIds')
})

t.test('reads of many sealed segments (segment cache eviction) stay correct', async (t) => {
  const journal = openJournal(tempDir('hexp-jlog-'), { broken: null }, { segmentMaxRecords: 1 })
  const log = new JournalLog({ journal, idOf: idOfData })
  t.teardown(() => log.close())
  const names = Array.from({ length: 7 }, (_, i) => `s${i}`)
  const acks = await log.append(0, names.map((n) => rec(n)))
  t.same(ids(await log.read(0, LOG_START, 100)), names)
  t.same(ids(await log.read(0, acks[4]!.position, 100)), ['s5', 's6'])
  t.same(ids(await log.read(0, LOG_START, 3)), ['s0', 's1', 's2'])
})
