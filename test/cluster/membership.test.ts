import t from 'tap'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { Membership, type MemberValue } from '../../src/cluster/membership.js'
import { startNats, natsServerPath, NATS_MISSING, type NatsServer } from '../helpers/nats.js'

if (natsServerPath() === null) {
  void t.skip(NATS_MISSING, () => undefined)
} else {
  let server: NatsServer
  let nc: NatsConnection
  t.before(async () => {
    server = (await startNats(t))!
    nc = await connect({ servers: server.url })
  })
  t.teardown(async () => { await nc.close() })

  t.test('members heartbeat, see each other by their own clocks, drop the silent and the departed', async (t) => {
    const clock = { a: 1_000_000, b: 7_000_000, c: 0 }
    const open = (node: 'a' | 'b' | 'c'): Promise<Membership> =>
      Membership.open({ nc, nodeId: node, takeoverMs: 3000, replicas: 1, bucket: 'members1', version: '0.1.0', now: () => clock[node] })
    const [a, b, c] = [await open('a'), await open('b'), await open('c')]
    t.equal(a.heartbeatEveryMs, 1000)
    t.same(a.members(), ['a'], 'ourselves before any read')
    await a.tick()
    await b.tick()
    t.same(await c.tick(), ['a', 'b', 'c'])
    t.same(await a.refresh(), ['a', 'b', 'c'])
    t.same(await b.refresh(), ['a', 'b', 'c'])
    const kv = await new Kvm(nc).open('members1')
    const v = (await kv.get('a'))!.json<MemberValue>()
    t.same(v, { node: 'a', startedAt: 1_000_000, version: '0.1.0' })
    // c goes silent; a and b keep beating. Each judges by its own clock only.
    for (let i = 0; i < 3; i++) {
      clock.a += 1000
      clock.b += 1000
      await a.tick()
      await b.tick()
    }
    t.same(a.members(), ['a', 'b'], 'c unchanged for a takeover by a\'s clock: dead')
    t.same(b.members(), ['a', 'b'])
    clock.c += 60_000
    t.same(await c.tick(), ['a', 'b', 'c'], 'c itself is always live; its heartbeat brings it back')
    t.same(await a.refresh(), ['a', 'b', 'c'])
    // b leaves: dropped on the next read, no takeover wait.
    await b.leave()
    t.same(await a.refresh(), ['a', 'c'])
    t.equal((await kv.get('b'))?.operation, 'DEL')
  })

  t.test('member keys expire a takeover after their last write; a changed takeover updates the expiry', async (t) => {
    const m = await Membership.open({ nc, nodeId: 'gone', takeoverMs: 1000, replicas: 1, bucket: 'members3', now: Date.now })
    await m.heartbeat()
    const kv = await new Kvm(nc).open('members3')
    t.equal((await kv.status()).ttl, 1000)
    const seen = await Membership.open({ nc, nodeId: 'late', takeoverMs: 1000, replicas: 1, bucket: 'members3', now: Date.now })
    t.same(await seen.refresh(), ['gone', 'late'])
    await new Promise((r) => setTimeout(r, 2000))
    const later = await Membership.open({ nc, nodeId: 'later', takeoverMs: 1000, replicas: 1, bucket: 'members3', now: Date.now })
    t.same(await later.refresh(), ['later'], 'a crashed member\'s key is gone for engines that start later')
    t.equal(await kv.get('gone'), null)
    await Membership.open({ nc, nodeId: 'slow', takeoverMs: 4000, replicas: 1, bucket: 'members3', now: Date.now })
    t.equal((await kv.status()).ttl, 4000)
  })

  t.test('a heartbeat that cannot reach NATS rejects (the leases\' fence decides what that means)', async (t) => {
    const m = await Membership.open({ nc, nodeId: 'x', takeoverMs: 3000, replicas: 1, bucket: 'members2', now: Date.now })
    await m.tick()
    await server.stop()
    await t.rejects(m.heartbeat())
    await server.restart()
  })
}
