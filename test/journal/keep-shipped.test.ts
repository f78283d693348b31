// Kept shipped segments: the newest confirmed segments stay as `.shipped` files (outside the disk
// bound) so the re-delivery filter can be seeded locally after a crash, whatever the size of the
// positions table. They survive a restart, are pruned to the configured count, and are never
// shipped again.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { fakeClock, openJournal, tempDir } from './fixtures/helpers.js'

const rec = (s: string): Buffer => Buffer.from(s)
const shippedFiles = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith('.shipped')).sort()

t.test('confirmed segments are kept (newest N), read back by recentRecords, and survive a restart', async (t) => {
  const dir = tempDir()
  const clock = fakeClock()
  const j = openJournal(dir, { segmentMaxRecords: 2, keepShipped: 2, now: clock.now })
  for (let i = 0; i < 8; i++) j.append(rec(`r${i}`))
  const [s0, s1, s2] = j.pending()
  const before = j.bytes
  j.confirm(s0!)
  j.confirm(s1!)
  j.confirm(s2!)
  t.equal(j.bytes, before - s0!.bytes - s1!.bytes - s2!.bytes, 'kept segments do not count against the bound')
  t.same(shippedFiles(dir), [path.basename(s1!.path) + '.shipped', path.basename(s2!.path) + '.shipped'], 'pruned to the newest two')
  t.same(j.recentRecords().map(String), ['r2', 'r3', 'r4', 'r5', 'r6', 'r7'], 'two kept, then the pending one')
  j.close()

  const j2 = openJournal(dir, { segmentMaxRecords: 2, keepShipped: 1, now: clock.now })
  t.equal(j2.pending().length, 1, 'kept segments are not pending again')
  t.same(shippedFiles(dir), [path.basename(s2!.path) + '.shipped'], 'pruned at open to the new count')
  t.same(j2.recentRecords().map(String), ['r4', 'r5', 'r6', 'r7'])
  t.ok(j2.append(rec('x')))
  const ids = j2.pending().map((s) => s.id)
  t.ok(ids.every((id) => id > s2!.id), 'ids are never reused, kept files included')
  fs.writeFileSync(path.join(dir, shippedFiles(dir)[0]!), 'garbage')
  t.same(j2.recentRecords().map(String), ['r6', 'r7'], 'a damaged kept file yields nothing, silently')
  fs.rmSync(path.join(dir, shippedFiles(dir)[0]!))
  t.same(j2.recentRecords().map(String), ['r6', 'r7'], 'a vanished kept file is skipped')
  j2.close()
})

t.test('without keepShipped, confirm deletes and recentRecords is empty', async (t) => {
  const dir = tempDir()
  const j = openJournal(dir, { segmentMaxRecords: 1 })
  j.append(rec('a'))
  j.confirm(j.pending()[0]!)
  t.same(shippedFiles(dir), [])
  t.same(j.recentRecords(), [])
  j.close()
})
