// Crash recovery: the previous instance is simply abandoned (no close(), fds left open), which is
// what the file system sees after kill -9; then files are damaged by hand.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { createMetrics } from '../../src/telemetry/metrics.js'
import { segmentFileName, type CorruptEvent, type Journal } from '../../src/journal/journal.js'
import { FRAME_OVERHEAD, HEADER_BYTES } from '../../src/journal/segment-format.js'
import { checkSequence, fakeClock, openJournal, readAll, segFiles, tempDir } from './fixtures/helpers.js'

const rec = (i: number): Buffer => Buffer.from(String(i))

function write(j: Journal, from: number, to: number): void {
  for (let i = from; i < to; i++) if (!j.append(rec(i))) throw new Error('journal full')
}

function corruptEvents(j: Journal): Promise<CorruptEvent[]> {
  const events: CorruptEvent[] = []
  j.on('corrupt', (e: CorruptEvent) => events.push(e))
  return new Promise((resolve) => setImmediate(() => resolve(events)))
}

t.test('an abandoned journal (kill -9) recovers every record; the active segment becomes pending', async (t) => {
  const dir = tempDir()
  const clock = fakeClock(1000)
  const crashed = openJournal(dir, { segmentMaxRecords: 4, now: clock.now })
  write(crashed, 0, 10) // 2 sealed + 2 records in the active segment, never closed
  const lastId = Math.max(...crashed.pending().map((s) => s.id)) + 1

  const j = openJournal(dir, { segmentMaxRecords: 4, now: clock.now })
  t.same(j.recovery, { segments: 3, records: 10, corrupt: 0, truncatedBytes: 0 })
  t.same(checkSequence(readAll(j), 10), [])
  t.equal(j.pending()[2]!.id, lastId, 'formerly active segment is pending')
  t.equal(j.pending()[2]!.records, 2)
  write(j, 10, 11)
  t.equal(j.sealActive()!.id, lastId + 1, 'new segment, new id')
  t.same(checkSequence(readAll(j), 11), [])
  j.close()
})

t.test('a torn last frame: earlier records kept, one corrupt, file truncated', async (t) => {
  const dir = tempDir()
  const metrics = createMetrics({ defaults: false })
  const crashed = openJournal(dir)
  write(crashed, 0, 5)
  const file = path.join(dir, segFiles(dir)[0]!)
  const size = fs.statSync(file).size
  fs.truncateSync(file, size - 2) // cut inside the payload of record 4

  const j = openJournal(dir, {}, { metrics })
  const events = await corruptEvents(j)
  t.same(j.recovery, { segments: 1, records: 4, corrupt: 1, truncatedBytes: FRAME_OVERHEAD + 1 - 2 })
  t.same(readAll(j), ['0', '1', '2', '3'])
  t.equal(fs.statSync(file).size, size - FRAME_OVERHEAD - 1, 'torn tail removed from the file')
  t.equal(j.pending()[0]!.bytes, size - FRAME_OVERHEAD - 1)
  t.equal(events.length, 1)
  t.match(events[0], { reason: 'torn frame', records: 1, offset: size - FRAME_OVERHEAD - 1 })
  t.equal((await metrics.journalCorruptRecords.get()).values[0]!.value, 1)
  j.close()

  // A third open finds a clean file: the truncation is permanent.
  const again = openJournal(dir)
  t.equal(again.recovery.corrupt, 0)
  t.same(readAll(again), ['0', '1', '2', '3'])
  again.close()
})

t.test('a flipped byte mid-segment: earlier records kept, the damaged one and the rest of that segment dropped, other segments intact', async (t) => {
  const dir = tempDir()
  const crashed = openJournal(dir, { segmentMaxRecords: 5 })
  write(crashed, 0, 15) // three sealed segments of 5: "0".."4", "5".."9", "10".."14"
  const middle = crashed.pending()[1]!
  const buf = fs.readFileSync(middle.path)
  const third = HEADER_BYTES + 2 * (FRAME_OVERHEAD + 1) // frame of record "7"
  buf[third + FRAME_OVERHEAD] = buf[third + FRAME_OVERHEAD]! ^ 0x01
  fs.writeFileSync(middle.path, buf)

  const j = openJournal(dir, { segmentMaxRecords: 5 })
  const events = await corruptEvents(j)
  t.same(readAll(j), ['0', '1', '2', '3', '4', '5', '6', '10', '11', '12', '13', '14'])
  t.same(j.recovery, { segments: 3, records: 12, corrupt: 3, truncatedBytes: 3 * (FRAME_OVERHEAD + 1) })
  t.same(events, [{ segment: middle.id, offset: third, reason: 'bad checksum', records: 3 }])
  j.close()
})

t.test('a segment whose only record is damaged is removed', async (t) => {
  const dir = tempDir()
  const crashed = openJournal(dir)
  write(crashed, 0, 1)
  const file = path.join(dir, segFiles(dir)[0]!)
  fs.truncateSync(file, fs.statSync(file).size - 1)
  const j = openJournal(dir)
  t.same(j.recovery, { segments: 0, records: 0, corrupt: 1, truncatedBytes: FRAME_OVERHEAD })
  t.notOk(fs.existsSync(file))
  t.equal(j.bytes, 0)
  j.close()
})

t.test('garbage and torn headers', async (t) => {
  const dir = tempDir()
  const clock = fakeClock(1000)
  const ok = openJournal(dir, { now: clock.now })
  write(ok, 0, 3)
  ok.close()
  const garbage = path.join(dir, segmentFileName(99_999))
  fs.writeFileSync(garbage, 'this is not a journal segment at all')
  const torn = path.join(dir, segmentFileName(50))
  fs.writeFileSync(torn, Buffer.from('HXPJ\x01'))
  const empty = path.join(dir, segmentFileName(51))
  fs.writeFileSync(empty, '')
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'ignored')
  fs.writeFileSync(path.join(dir, 'x.seg'), 'ignored')

  const j = openJournal(dir, { now: clock.now })
  const events = await corruptEvents(j)
  t.same(readAll(j), ['0', '1', '2'], 'good segment unaffected')
  t.same(j.recovery, { segments: 1, records: 3, corrupt: 1, truncatedBytes: 36 })
  t.ok(fs.existsSync(`${garbage}.corrupt`), 'garbage moved aside for inspection')
  t.notOk(fs.existsSync(garbage))
  t.notOk(fs.existsSync(torn), 'torn header (crash at creation) removed')
  t.notOk(fs.existsSync(empty))
  t.same(events, [{ segment: 99_999, offset: 0, reason: 'bad magic', records: 1 }])
  write(j, 3, 4)
  t.equal(j.sealActive()!.id, 100_000, 'ids never reuse one seen on disk, even a corrupt one')
  j.close()

  const j2 = openJournal(dir, { now: clock.now })
  t.equal(j2.recovery.corrupt, 0, 'the moved-aside file is not re-counted')
  write(j2, 4, 5)
  t.equal(j2.sealActive()!.id, 100_001)
  j2.close()
})

t.test('readSegment re-verifies: damage after sealing is skipped and reported', async (t) => {
  const dir = tempDir()
  const j = openJournal(dir, { segmentMaxRecords: 3 })
  const events: CorruptEvent[] = []
  j.on('corrupt', (e: CorruptEvent) => events.push(e))
  write(j, 0, 9)
  const [a, b, c] = j.pending() as [never, never, never]

  // Bytes after the sealed length (a rolled-back write) are not ours and are ignored.
  fs.appendFileSync((a as { path: string }).path, Buffer.from([1, 2, 3]))
  t.same(j.readSegment(a).map(String), ['0', '1', '2'])

  const bufB = fs.readFileSync((b as { path: string }).path)
  bufB[bufB.length - 1] = bufB[bufB.length - 1]! ^ 0xff
  fs.writeFileSync((b as { path: string }).path, bufB)
  t.same(j.readSegment(b).map(String), ['3', '4'])

  fs.unlinkSync((c as { path: string }).path)
  t.same(j.readSegment(c), [])

  fs.writeFileSync((a as { path: string }).path, 'garbage garbage garbage')
  t.same(j.readSegment(a), [])
  fs.writeFileSync((a as { path: string }).path, 'HXP')
  t.same(j.readSegment(a), [])

  t.same(events.map((e) => [e.reason, e.records]), [
    ['bad checksum', 1],
    ['missing file', 3],
    ['bad magic', 3],
    ['torn header', 3],
  ])
  j.close()
})

t.test('control: the sequence check does catch a missing, duplicated or short recovery', async (t) => {
  const dir = tempDir()
  const crashed = openJournal(dir, { segmentMaxRecords: 4 })
  write(crashed, 0, 10)
  const j = openJournal(dir)
  const records = readAll(j)
  t.same(checkSequence(records, 10), [])
  const dropped = records.slice()
  dropped.splice(6, 1)
  t.not(checkSequence(dropped, 10).length, 0, 'a dropped record is detected')
  t.not(checkSequence([...records.slice(0, 5), '4', ...records.slice(5)], 10).length, 0, 'a duplicate is detected')
  t.not(checkSequence(records.slice(0, 9), 10).length, 0, 'a lost tail is detected')
  j.close()
})
