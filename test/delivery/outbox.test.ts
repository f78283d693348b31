import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { Outbox, type DeliveryRecord } from '../../src/delivery/outbox.js'
import { alertToOutbound } from '../../src/delivery/outbound-event.js'
import { makeEvent, tmpDir } from './fixtures/alerts.js'

const mk = (o: Outbox, sub = 's1'): DeliveryRecord => {
  const seq = o.nextSeq()
  return {
    v: 2, deliveryId: Outbox.deliveryId(seq, sub), seq, subscriptionId: sub, webhookId: `msg_${seq}`, subject: 'unit:P-1',
    event: alertToOutbound(makeEvent('unit_silent', 'opened')), enqueuedAt: 1, attempts: 0, firstAttemptAt: null, nextAttemptAt: 1,
  }
}

t.test('add, update, remove, bury, revive survive a reload', async (t) => {
  const dir = tmpDir()
  const o = new Outbox(dir, 1000)
  const [a, b, c] = [mk(o), mk(o), mk(o, 's2')]
  t.equal(a.seq, 1_000_001)
  t.match(a.deliveryId, /^0000000001000001-s1$/)
  o.addSync([a!, b!, c!])
  o.addSync([])
  a!.attempts = 3
  await o.update(a!)
  await o.remove(b!)
  await o.remove(b!) // already gone: fine
  c!.deadAt = 5
  await o.bury(c!)
  const o2 = new Outbox(dir, 0)
  const l = o2.load()
  t.same(l.pending.map((r) => [r.deliveryId, r.attempts]), [[a!.deliveryId, 3]])
  t.same(l.dead.map((r) => r.deliveryId), [c!.deliveryId])
  t.ok(o2.nextSeq() > c!.seq, 'sequence continues above what is on disk')
  o2.reviveSync(l.dead[0]!)
  const l3 = new Outbox(dir).load()
  t.same(l3.pending.map((r) => r.deliveryId), [a!.deliveryId, c!.deliveryId])
  t.same(l3.dead, [])
  o2.removeSync(a!)
  o2.removeSync(a!)
  o2.burySync(c!)
  const l4 = new Outbox(dir).load()
  t.same(l4.pending, [])
  t.same(l4.dead.map((r) => r.deliveryId), [c!.deliveryId])
  const mode = fs.statSync(path.join(dir, 'outbox', 'dead', `${c!.deliveryId}.json`)).mode & 0o777
  t.equal(mode, 0o600, 'records are private (they may carry personal data)')
})

t.test('temp files, corrupt files, other files and half-done moves at load', async (t) => {
  const dir = tmpDir()
  const o = new Outbox(dir)
  const a = mk(o)
  o.addSync([a])
  const outbox = path.join(dir, 'outbox')
  fs.writeFileSync(path.join(outbox, 'x.json.tmp'), '{')
  fs.writeFileSync(path.join(outbox, 'bad.json'), '{not json')
  fs.writeFileSync(path.join(outbox, 'dead', 'shape.json'), JSON.stringify({ v: 2 }))
  fs.writeFileSync(path.join(outbox, 'README'), 'ignored')
  // A crash inside bury() left the record in both places: the pending copy wins.
  fs.writeFileSync(path.join(outbox, 'dead', `${a.deliveryId}.json`), JSON.stringify({ ...a, deadAt: 9 }))
  const l = new Outbox(dir).load()
  t.same(l.pending.map((r) => r.deliveryId), [a.deliveryId])
  t.same(l.dead, [])
  t.equal(l.corrupt.length, 2)
  t.notOk(fs.existsSync(path.join(outbox, 'x.json.tmp')))
  t.ok(fs.existsSync(path.join(outbox, 'bad.json.corrupt')))
  t.notOk(fs.existsSync(path.join(outbox, 'dead', `${a.deliveryId}.json`)))
})

t.test('write errors surface', async (t) => {
  const dir = tmpDir()
  const o = new Outbox(dir)
  const a = mk(o)
  fs.rmSync(path.join(dir, 'outbox'), { recursive: true })
  t.throws(() => o.addSync([a]))
  await t.rejects(o.update(a))
  fs.mkdirSync(path.join(dir, 'outbox', 'dead'), { recursive: true })
  fs.mkdirSync(path.join(dir, 'outbox', `${a.deliveryId}.json`))
  await t.rejects(o.remove(a), 'a failing unlink (not ENOENT) is reported')
  fs.mkdirSync(path.join(dir, 'outbox', 'dead', `${a.deliveryId}.json.tmp`))
  t.throws(() => o.burySync(a))
})
