// The journal's when-full policy: refuse (append → false) at journal.max_bytes or when the disk
// itself is full, and say when writing may resume.
import t from 'tap'
import fs from 'node:fs'
import { HEADER_BYTES, FRAME_OVERHEAD } from '../../src/journal/segment-format.js'
import type { JournalIo } from '../../src/journal/journal.js'
import { createMetrics } from '../../src/telemetry/metrics.js'
import { openJournal, readAll, segFiles, tempDir, until } from './fixtures/helpers.js'

const rec = (i: number): Buffer => Buffer.from(String(i).padStart(10, '0')) // 10 bytes → 18-byte frames
const FRAME = FRAME_OVERHEAD + 10

function noSpace(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
}

t.test('append refuses at the bound; confirm frees space, emits writable, resolves whenWritable', async (t) => {
  const metrics = createMetrics({ defaults: false })
  // Room for one header and exactly 5 frames per segment of 2 → headers count too.
  const maxBytes = 2 * HEADER_BYTES + 4 * FRAME + 5
  const j = openJournal(tempDir(), { maxBytes, segmentMaxRecords: 2 }, { metrics })
  const events: string[] = []
  j.on('full', () => events.push('full'))
  j.on('writable', () => events.push('writable'))
  await j.whenWritable() // not full: resolves at once

  for (let i = 0; i < 4; i++) t.equal(j.append(rec(i)), true)
  t.equal(j.bytes, 2 * HEADER_BYTES + 4 * FRAME)
  t.equal(j.append(rec(4)), false, 'a third segment (header + frame) does not fit')
  t.equal(j.full, true)
  t.equal(j.append(rec(4)), false, 'still full')
  t.same(events, ['full'], "'full' emitted once")
  t.equal((await metrics.journalFull.get()).values[0]!.value, 1)

  let resolved = false
  const waiting = j.whenWritable().then(() => { resolved = true })
  await new Promise((r) => setImmediate(r))
  t.equal(resolved, false)

  j.confirm(j.pending()[0]!)
  await waiting
  t.same(events, ['full', 'writable'])
  t.equal(j.full, false)
  t.equal((await metrics.journalFull.get()).values[0]!.value, 0)
  t.equal(j.append(rec(4)), true)
  t.same(readAll(j), ['0000000002', '0000000003', '0000000004'].slice(0, 2))
  j.close()
})

t.test('confirming a segment too small to make room keeps the journal full', async (t) => {
  const big = Buffer.alloc(300)
  const maxBytes = 2 * HEADER_BYTES + FRAME + (FRAME_OVERHEAD + 300) + 10
  const j = openJournal(tempDir(), { maxBytes, segmentMaxRecords: 1 })
  t.equal(j.append(rec(0)), true)
  t.equal(j.append(big), true)
  t.equal(j.append(big), false)
  j.confirm(j.pending()[0]!)
  t.equal(j.full, true, 'the small segment freed too little for the refused record')
  j.confirm(j.pending()[0]!)
  t.equal(j.full, false)
  t.equal(j.append(big), true)
  j.close()
})

t.test('ENOSPC mid-frame: the partial write is rolled back, the file stays valid, retried later', async (t) => {
  const dir = tempDir()
  let failNext = false
  const io: Partial<JournalIo> = {
    writeSync: (fd, buf, off, len) => {
      if (failNext) {
        failNext = false
        // Write half the frame for real, then fail: what a filling disk does.
        fs.writeSync(fd, buf, off, Math.floor(len / 2))
        throw noSpace()
      }
      return fs.writeSync(fd, buf, off, len)
    },
  }
  const j = openJournal(dir, { diskRetryMs: 20 }, { io })
  t.equal(j.append(rec(0)), true)
  failNext = true
  t.equal(j.append(rec(1)), false)
  t.equal(j.full, true)
  const file = `${dir}/${segFiles(dir)[0]}`
  t.equal(fs.statSync(file).size, HEADER_BYTES + FRAME, 'partial frame truncated away')
  // The retry timer lets appends try again (its timer is unref'd: keep the test's loop alive).
  let writable = false
  void j.whenWritable().then(() => { writable = true })
  t.ok(await until(() => writable))
  t.equal(j.append(rec(1)), true)
  t.same(readAll(j), ['0000000000'], 'the segment before the failure was sealed for shipping')
  j.close()
  const again = openJournal(dir)
  t.same(readAll(again), ['0000000000', '0000000001'])
  t.equal(again.recovery.corrupt, 0)
  again.close()
})

t.test('ENOSPC while creating a segment leaves no file behind', async (t) => {
  const dir = tempDir()
  let fail = true
  const io: Partial<JournalIo> = {
    writeSync: (fd, buf, off, len) => {
      if (fail) throw Object.assign(new Error('quota'), { code: 'EDQUOT' })
      return fs.writeSync(fd, buf, off, len)
    },
  }
  const j = openJournal(dir, { diskRetryMs: 60_000 }, { io })
  t.equal(j.append(rec(0)), false)
  t.same(segFiles(dir), [])
  t.equal(j.bytes, 0)
  fail = false
  // Confirming anything also ends a disk-full state (space was freed); here nothing is pending,
  // so close() rejects the waiter instead.
  const waiting = j.whenWritable()
  j.close()
  await t.rejects(waiting, /closed/)
  await t.rejects(j.whenWritable(), /closed/)
})

t.test('a confirm ends a disk-full state at once', async (t) => {
  const dir = tempDir()
  let fail = false
  const io: Partial<JournalIo> = {
    writeSync: (fd, buf, off, len) => {
      if (fail) throw noSpace()
      return fs.writeSync(fd, buf, off, len)
    },
  }
  const j = openJournal(dir, { diskRetryMs: 60_000, segmentMaxRecords: 1 }, { io })
  t.equal(j.append(rec(0)), true)
  fail = true
  t.equal(j.append(rec(1)), false)
  t.equal(j.full, true)
  fail = false
  j.confirm(j.pending()[0]!)
  t.equal(j.full, false)
  t.equal(j.append(rec(1)), true)
  j.close()
})

t.test('if the rollback itself fails, the segment is sealed at its last good record', async (t) => {
  const dir = tempDir()
  let fail = false
  const errors: unknown[] = []
  const io: Partial<JournalIo> = {
    writeSync: (fd, buf, off, len) => {
      if (fail && len === FRAME) {
        fs.writeSync(fd, buf, off, 3)
        throw noSpace()
      }
      return fs.writeSync(fd, buf, off, len)
    },
    ftruncateSync: () => { throw Object.assign(new Error('EIO'), { code: 'EIO' }) },
  }
  const logger = { info() {}, warn() {}, error: (o: unknown) => { errors.push(o) } }
  const j = openJournal(dir, { diskRetryMs: 10 }, { io, logger: logger as never })
  t.equal(j.append(rec(0)), true)
  fail = true
  t.equal(j.append(rec(1)), false)
  t.equal(errors.length, 1)
  t.equal(j.pending().length, 1, 'sealed early')
  t.same(j.readSegment(j.pending()[0]!).map(String), ['0000000000'], 'the torn bytes are not read back')
  fail = false
  t.ok(await until(() => !j.full))
  t.equal(j.append(rec(1)), true)
  t.equal(j.sealActive()!.id, j.pending()[0]!.id + 1, 'continues in a fresh segment')

  // Same failure on the first frame of a fresh segment: nothing valid, the file is removed.
  t.ok(await until(() => !j.full))
  fail = true
  const before = segFiles(dir).length
  t.equal(j.append(rec(2)), false)
  t.equal(errors.length, 2)
  t.equal(segFiles(dir).length, before, 'header-only segment removed, not sealed')
  t.equal(j.pending().length, 2)
  j.close()
})

t.test('other write errors are thrown (the caller must not acknowledge)', async (t) => {
  const io: Partial<JournalIo> = { writeSync: () => { throw Object.assign(new Error('EIO'), { code: 'EIO' }) } }
  const j = openJournal(tempDir(), {}, { io })
  t.throws(() => j.append(rec(0)), /EIO/)
  t.equal(j.full, false)
  j.close()
  let n = 0
  const io2: Partial<JournalIo> = {
    writeSync: (fd, buf, off, len) => {
      if (n++ > 0) throw Object.assign(new Error('EIO'), { code: 'EIO' })
      return fs.writeSync(fd, buf, off, len)
    },
  }
  const j2 = openJournal(tempDir(), {}, { io: io2 })
  t.throws(() => j2.append(rec(0)), /EIO/, 'on the frame after a good header too')
  j2.close()
})

t.test('at the bound, the active segment is sealed at once so the shipper can free space', async (t) => {
  const j = openJournal(tempDir(), { maxBytes: HEADER_BYTES + 3 * FRAME, segmentMaxRecords: 1000, segmentMaxAgeMs: 3_600_000 })
  const sealed: number[] = []
  j.on('sealed', (s: { records: number }) => sealed.push(s.records))
  for (let i = 0; i < 3; i++) t.equal(j.append(rec(i)), true)
  t.equal(j.append(rec(3)), false)
  t.same(sealed, [3], 'sealed without waiting an hour for its age limit')
  j.confirm(j.pending()[0]!)
  t.equal(j.full, false)
  t.equal(j.append(rec(3)), true)
  j.close()
})
