import t from 'tap'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { PartitionLeases, leaseKey, type LeaseChange, type LeaseKv } from '../../src/cluster/leases.js'
import { startNats, natsServerPath, NATS_MISSING, type NatsServer } from '../helpers/nats.js'

/** A stand-in bucket for the write failures a real server cannot be made to produce on cue. */
function fakeKv(failNext: { error: Error | null }): LeaseKv {
  const entries = new Map<string, { value: Uint8Array; revision: number }>()
  let rev = 0
  const fail = (): void => {
    const e = failNext.error
    failNext.error = null
    if (e) throw e
  }
  return {
    get: async (k: string) => {
      const e = entries.get(k)
      return e === undefined ? null : ({ key: k, value: e.value, revision: e.revision, operation: 'PUT' } as unknown as Awaited<ReturnType<LeaseKv['get']>>)
    },
    create: async (k: string, v: unknown) => {
      fail()
      entries.set(k, { value: v as Uint8Array, revision: ++rev })
      return rev
    },
    update: async (k: string, v: unknown) => {
      fail()
      entries.set(k, { value: v as Uint8Array, revision: ++rev })
      return rev
    },
    delete: async () => undefined,
  } as unknown as LeaseKv
}

t.test('a lost compare-and-set drops the hold; any other write failure rejects the tick and the fence decides', async (t) => {
  const failNext: { error: Error | null } = { error: null }
  let now = 0
  const leases = PartitionLeases.over(fakeKv(failNext), { nodeId: 'a', takeoverMs: 3000, replicas: 1, partitions: [0], now: () => now })
  failNext.error = Object.assign(new Error('wrong last sequence: 4'), { code: 10071 })
  t.same(await leases.tick(), [], 'lost the create race')
  t.notOk(leases.owns(0))
  t.same(await leases.tick(), [{ partition: 0, owned: true }], 'created on the next round')
  now += 1000
  failNext.error = new Error('TimeoutError: timeout')
  await t.rejects(leases.tick(), /timeout/)
  t.ok(leases.owns(0), 'a failed renewal alone does not end the lease')
  now += 1700
  t.notOk(leases.owns(0), 'the fence does')
  // Nobody took the key meanwhile, so the next renewal's compare-and-set succeeds: owner again.
  t.same(await leases.tick(), [], 'no change between two ticks that both saw it owned')
  t.ok(leases.owns(0))
})

if (natsServerPath() === null) {
  void t.skip(NATS_MISSING, () => undefined)
} else {
  let server: NatsServer
  let n = 0
  const conns: NatsConnection[] = []
  const conn = async (): Promise<NatsConnection> => {
    const nc = await connect({ servers: server.url, reconnectTimeWait: 50 })
    conns.push(nc)
    return nc
  }
  t.before(async () => { server = (await startNats(t))! })
  t.teardown(async () => { for (const nc of conns) await nc.close() })

  /** Two holders on their own bucket, each with a clock the test moves. */
  async function pair(partitions: number[]) {
    n += 1
    const bucket = `leases${n}`
    const clock = { a: 1_000_000, b: 5_000_000 }
    const a = await PartitionLeases.open({ nc: await conn(), nodeId: 'a', takeoverMs: 9000, replicas: 1, partitions, bucket, now: () => clock.a })
    const b = await PartitionLeases.open({ nc: await conn(), nodeId: 'b', takeoverMs: 9000, replicas: 1, partitions, bucket, now: () => clock.b })
    return { a, b, clock, bucket }
  }

  t.test('two holders: one owner at a time, takeover after a silent owner, the old owner fenced', async (t) => {
    const { a, b, clock } = await pair([0, 1])
    t.same(await a.tick(), [{ partition: 0, owned: true }, { partition: 1, owned: true }] satisfies LeaseChange[], 'a creates both keys')
    t.same(await b.tick(), [], 'b sees them held')
    t.same(b.owned(), [])
    // a keeps renewing while time passes for both: b never takes over.
    for (let i = 0; i < 6; i++) {
      clock.a += 3000
      clock.b += 3000
      await a.tick()
      t.same(await b.tick(), [], `round ${i}: b waits`)
    }
    t.same(a.owned(), [0, 1])
    // a goes silent (paused, cut off): it stops acting as owner before b may take over.
    clock.a += 8099
    t.same(a.owned(), [0, 1], 'inside the lease')
    clock.a += 1
    t.same(a.owned(), [], 'fenced 0.9 s before the takeover, without hearing from NATS')
    clock.b += 8999
    t.same(await b.tick(), [], 'b waits a full takeover from the last revision it saw')
    clock.b += 1
    t.same(await b.tick(), [{ partition: 0, owned: true }, { partition: 1, owned: true }], 'then takes both')
    // a resumes: its renewal loses the compare-and-set, it stays out.
    t.same(await a.tick(), [{ partition: 0, owned: false }, { partition: 1, owned: false }])
    t.same(a.owned(), [])
    t.notOk(a.owns(0))
    t.ok(b.owns(0))
    await a.stop()
    await b.stop()
  })

  t.test('a graceful stop releases the keys: the other holder takes them on its next tick', async (t) => {
    const { a, b, bucket } = await pair([3])
    await a.tick()
    await b.tick()
    t.same(b.owned(), [])
    await a.stop()
    const kv = await new Kvm(await conn()).open(bucket)
    t.equal((await kv.get(leaseKey(3)))?.operation, 'DEL', 'released')
    t.same(await b.tick(), [{ partition: 3, owned: true }])
    await b.stop(false)
    t.equal((await kv.get(leaseKey(3)))?.operation, 'PUT', 'stop(false) keeps the key (a crash looks like this)')
  })

  t.test('a key whose value is unreadable is waited out, then claimed', async (t) => {
    const { a, clock, bucket } = await pair([0, 1])
    const kv = await new Kvm(await conn()).create(bucket, { history: 1 })
    await kv.put(leaseKey(0), 'not json')
    await kv.put(leaseKey(1), JSON.stringify({ owner: 7 }))
    t.same(await a.tick(), [], 'not overwritten at once')
    clock.a += 9000
    t.same(await a.tick(), [{ partition: 0, owned: true }, { partition: 1, owned: true }])
    await a.stop()
  })

  t.test('start() ticks on its own and reports changes', async (t) => {
    n += 1
    const leases = await PartitionLeases.open({ nc: await conn(), nodeId: 'solo', takeoverMs: 1200, replicas: 1, partitions: [0], bucket: `leases${n}` })
    const changes = await new Promise<LeaseChange[]>((resolve, reject) => leases.start(resolve, reject))
    t.same(changes, [{ partition: 0, owned: true }])
    t.same(leases.owned(), [0])
    await leases.stop()
  })

  t.test('NATS unreachable: tick rejects, the owner stays owner only until its fence', async (t) => {
    n += 1
    let now = 0
    const nc = await conn()
    const leases = await PartitionLeases.open({ nc, nodeId: 'solo', takeoverMs: 3000, replicas: 1, partitions: [0], bucket: `leases${n}`, now: () => now })
    await leases.tick()
    t.ok(leases.owns(0))
    await server.stop()
    now += 1000
    await t.rejects(leases.tick(), 'the read fails')
    t.ok(leases.owns(0), 'still inside the lease')
    now += 1700
    t.notOk(leases.owns(0), 'fenced')
    await server.restart()
    await leases.stop(false)
  })
}
