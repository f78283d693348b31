// Group commit: records appended inside defer() are held and written by one flush(), in order,
// before anything else reaches the file; a failed group write keeps them and retries.
import t from 'tap'
import fs from 'node:fs'
import type { JournalIo } from '../../src/journal/journal.js'
import { HEADER_BYTES } from '../../src/journal/segment-format.js'
import { openJournal, readAll, segFiles, tempDir, until } from './fixtures/helpers.js'

const rec = (s: string): Buffer => Buffer.from(s)

function countingIo(): { io: Partial<JournalIo>; writes: () => number; syncs: () => number } {
  let writes = 0
  let syncs = 0
  return {
    io: {
      writeSync: (fd, buf, off, len) => { writes++; return fs.writeSync(fd, buf, off, len) },
      fsyncSync: (fd) => { syncs++; fs.fsyncSync(fd) },
    },
    writes: () => writes,
    syncs: () => syncs,
  }
}

t.test('appends inside defer() are held, then written by one flush, in order', async (t) => {
  const dir = tempDir()
  const c = countingIo()
  const j = openJournal(dir, {}, { io: c.io })
  t.equal(j.append(rec('a')), true, 'outside defer: written at once')
  const file = `${dir}/${segFiles(dir)[0]}`
  const sizeAfterA = fs.statSync(file).size
  const writes0 = c.writes()
  const ok = j.defer(() => [j.append(rec('b')), j.append(rec('c')), j.append(rec('d'))])
  t.same(ok, [true, true, true])
  t.equal(j.flushed, false)
  t.equal(c.writes(), writes0, 'nothing written inside defer')
  t.equal(fs.statSync(file).size, sizeAfterA, 'the file is unchanged until flush')
  t.same(j.lastAppended?.index, 3, 'positions are assigned at append')
  t.equal(j.flush(), true)
  t.equal(c.writes(), writes0 + 1, 'one write for the group')
  t.equal(j.flushed, true)
  t.equal(j.flush(), true, 'nothing held: a no-op')
  t.equal(c.writes(), writes0 + 1)
  j.sealActive()
  t.same(readAll(j), ['a', 'b', 'c', 'd'])
  j.close()
})

t.test('an append outside defer, a seal and close write what is held first', async (t) => {
  const dir = tempDir()
  const j = openJournal(dir)
  j.defer(() => j.append(rec('held-1')))
  t.equal(j.append(rec('direct')), true)
  t.equal(j.flushed, true, 'the direct append flushed the held record first')
  j.defer(() => j.append(rec('held-2')))
  const seg = j.sealActive()
  t.equal(seg?.records, 3)
  t.same(readAll(j), ['held-1', 'direct', 'held-2'], 'file order is append order')
  j.defer(() => j.append(rec('held-3')))
  j.close()
  const again = openJournal(dir)
  t.same(readAll(again), ['held-1', 'direct', 'held-2', 'held-3'], 'close() wrote the held record')
  again.close()
})

t.test('fsync always: one fsync per group, not per record', async (t) => {
  const c = countingIo()
  const j = openJournal(tempDir(), { fsync: 'always' }, { io: c.io })
  j.append(rec('first')) // creates the segment: directory + record fsyncs
  const before = c.syncs()
  j.defer(() => { for (let i = 0; i < 10; i++) j.append(rec(`r${i}`)) })
  t.equal(c.syncs(), before, 'no fsync while held')
  t.equal(j.flush(), true)
  t.equal(c.syncs(), before + 1, 'one fsync for ten records')
  j.close()
})

t.test('a failed group write keeps the records, makes the journal full and writes them on the retry', async (t) => {
  const dir = tempDir()
  let fail = false
  const errors: unknown[] = []
  const logger = { info() {}, warn() {}, error: (o: unknown) => { errors.push(o) } }
  const io: Partial<JournalIo> = {
    writeSync: (fd, buf, off, len) => {
      if (fail) {
        // Half the group reaches the file, then the disk refuses: what a filling disk does.
        fs.writeSync(fd, buf, off, Math.floor(len / 2))
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
      }
      return fs.writeSync(fd, buf, off, len)
    },
  }
  const j = openJournal(dir, { diskRetryMs: 20 }, { io, logger: logger as never })
  t.equal(j.append(rec('before')), true)
  const file = `${dir}/${segFiles(dir)[0]}`
  const size = fs.statSync(file).size
  j.defer(() => { j.append(rec('g1')); j.append(rec('g2')) })
  fail = true
  t.equal(j.flush(), false, 'not written')
  t.equal(j.full, true, 'appends are refused meanwhile')
  t.equal(j.flushed, false, 'the records are still held')
  t.equal(fs.statSync(file).size, size, 'the partial group write was undone')
  t.ok(errors.length >= 1, 'logged as an error')
  t.equal(j.append(rec('refused')), false)
  t.equal(j.sealActive(), null, 'no seal while held records cannot be written')
  fail = false
  let writable = false
  void j.whenWritable().then(() => { writable = true })
  t.ok(await until(() => writable), 'writable again once the retry wrote the held records')
  t.equal(j.flushed, true)
  t.equal(j.append(rec('after')), true)
  j.sealActive()
  t.same(readAll(j), ['before', 'g1', 'g2', 'after'])
  t.equal(fs.statSync(j.pending()[0]!.path).size, j.pending()[0]!.bytes)
  t.ok(j.pending()[0]!.bytes > HEADER_BYTES)
  j.close()
})
