import t from 'tap'
import { Kvm } from '@nats-io/kv'
import { LeaseSet, leaseKey, roleKey, roleOfKey, type LeaseChange, type LeaseKv } from '../../src/cluster/leases.js'
import { natsFixture, natsServerPath, NATS_MISSING } from '../helpers/nats.js'

/** An in-memory bucket: reads answer as JetStream's do; `store` writes a key at the next revision. */
function memoryBucket() {
  const entries = new Map<string, { value: Uint8Array; revision: number }>()
  let rev = 0
  return {
    revisionOf: (k: string): number => entries.get(k)?.revision ?? 0,
    store(k: string, v: unknown): number {
      entries.set(k, { value: v as Uint8Array, revision: ++rev })
      return rev
    },
    get: async (k: string) => {
      const e = entries.get(k)
      return e === undefined ? null : ({ key: k, value: e.value, revision: e.revision, operation: 'PUT' } as unknown as Awaited<ReturnType<LeaseKv['get']>>)
    },
  }
}

/** A stand-in bucket for the write failures a real server cannot be made to produce on cue. */
function fakeKv(failNext: { error: Error | null }): LeaseKv {
  const bucket = memoryBucket()
  const fail = (): void => {
    const e = failNext.error
    failNext.error = null
    if (e) throw e
  }
  return {
    get: bucket.get,
    create: async (k: string, v: unknown) => {
      fail()
      return bucket.store(k, v)
    },
    update: async (k: string, v: unknown) => {
      fail()
      return bucket.store(k, v)
    },
    delete: async () => fail(),
  } as unknown as LeaseKv
}

t.test('a lost compare-and-set drops the hold; any other write failure rejects the tick and the fence decides', async (t) => {
  const failNext: { error: Error | null } = { error: null }
  let now = 0
  const leases = LeaseSet.over(fakeKv(failNext), { nodeId: 'a', takeoverMs: 3000, keys: ['p.0'], now: () => now })
  const owns = (): boolean => leases.owns('p.0')
  failNext.error = Object.assign(new Error('wrong last sequence: 4'), { code: 10071 })
  t.same((await leases.tick()).changes, [], 'lost the create race')
  t.notOk(owns())
  t.same(await leases.tick(), { changes: [], events: [{ kind: 'created', key: 'p.0' }], errors: [] }, 'created on the next round')
  t.notOk(owns(), 'not before a confirming read')
  t.equal(leases.confirmDueAt(), 250)
  now += 250
  t.same(await leases.tick(), { changes: [{ key: 'p.0', owned: true }], events: [], errors: [] }, 'a read confirmAfter later shows our revision: owner')
  t.equal(leases.confirmDueAt(), null)
  now += 1000
  failNext.error = new Error('TimeoutError: timeout')
  t.match(await leases.tick(), { changes: [], errors: [/timeout/] })
  t.ok(owns(), 'a failed renewal alone does not end the lease')
  now += 1700
  t.notOk(owns(), 'the fence does')
  failNext.error = new Error('TimeoutError: timeout')
  t.match(await leases.tick(), { changes: [{ key: 'p.0', owned: false }], events: [{ kind: 'lost', key: 'p.0' }], errors: [/timeout/] }, 'the fence is reported though the round failed')
  // Nobody took the key meanwhile, so the next renewal's compare-and-set succeeds: owner again,
  // once confirmed (a renewal after the fence takes the key anew).
  t.same(await leases.tick(), { changes: [], events: [{ kind: 'renewed', key: 'p.0' }], errors: [] })
  now += 250
  t.same(await leases.tick(), { changes: [{ key: 'p.0', owned: true }], events: [], errors: [] }, 'owner again')
  t.ok(owns())
})

t.test('a release that fails stops us acting all the same; a lost race on the delete is no error', async (t) => {
  const failNext: { error: Error | null } = { error: null }
  let now = 0
  const leases = LeaseSet.over(fakeKv(failNext), { nodeId: 'a', takeoverMs: 3000, keys: ['p.0', 'p.1'], now: () => now })
  await leases.tick()
  now += 250
  await leases.tick()
  t.same(leases.owned(), ['p.0', 'p.1'])
  failNext.error = new Error('TimeoutError: timeout')
  t.match(await leases.tick((k) => k === 'p.1'), { changes: [{ key: 'p.0', owned: false }], events: [{ kind: 'released', key: 'p.0' }], errors: [/timeout/] })
  t.same(leases.owned(), ['p.1'], 'p.0 no longer ours to act for, though the key may still name us')
  failNext.error = Object.assign(new Error('wrong last sequence: 9'), { code: 10071 })
  t.same((await leases.tick(() => false)).events, [{ kind: 'released', key: 'p.1' }])
  t.same(leases.owned(), [])
})

/**
 * A bucket with nats-server 2.9's flaw on replicated streams: a compare-and-set is checked when it
 * arrives but stored a moment later, so two that arrive together on the same revision both succeed
 * (the later one stays).
 */
function racyKv(): LeaseKv {
  const bucket = memoryBucket()
  const write = async (k: string, v: unknown, expected: number): Promise<number> => {
    if (bucket.revisionOf(k) !== expected) throw Object.assign(new Error('wrong last sequence'), { code: 10071 })
    await new Promise((resolve) => setImmediate(resolve))
    return bucket.store(k, v)
  }
  return {
    get: bucket.get,
    create: async (k: string, v: unknown) => write(k, v, 0),
    update: async (k: string, v: unknown, expected: number) => write(k, v, expected),
    delete: async () => undefined,
  } as unknown as LeaseKv
}

t.test('two compare-and-sets on one revision both answered (nats-server before 2.11): a confirming read leaves one owner', async (t) => {
  const kv = racyKv()
  let now = 0
  const keys = ['p.0', 'p.1']
  const a = LeaseSet.over(kv, { nodeId: 'a', takeoverMs: 3000, keys, now: () => now })
  const b = LeaseSet.over(kv, { nodeId: 'b', takeoverMs: 3000, keys, now: () => now })
  const [ra, rb] = await Promise.all([a.tick(), b.tick()])
  t.same([ra.events, rb.events], [keys.map((key) => ({ kind: 'created', key })), keys.map((key) => ({ kind: 'created', key }))], 'both creates answered success')
  t.same([a.owned(), b.owned()], [[], []], 'neither acts on its write alone')
  for (let i = 0; i < 8; i++) {
    now += 250
    await Promise.all([a.tick(), b.tick()])
    for (const k of keys) t.notOk(a.owns(k) && b.owns(k), `round ${i}, ${k}: one owner at most`)
  }
  t.same([a.owned(), b.owned()], [[], keys], 'the holder whose write stayed owns, the other let go')
})

t.test('role keys: role.<name> back to the name the engine listens for', async (t) => {
  t.equal(roleOfKey(roleKey('schedule')), 'schedule', 'the engine starts the bulletins on "schedule", not "role.schedule"')
  t.equal(roleOfKey(leaseKey(3)), null)
})

if (natsServerPath() === null) {
  void t.skip(NATS_MISSING, () => undefined)
} else {
  const nats = natsFixture(t, 'leases', {})
  const { conn, bucket: nextBucket } = nats

  /** Two holders on their own bucket, each with a clock the test moves. */
  async function pair(partitions: number[]) {
    const bucket = nextBucket()
    const clock = { a: 1_000_000, b: 5_000_000 }
    const keys = partitions.map(leaseKey)
    const a = await LeaseSet.open({ nc: await conn(), nodeId: 'a', takeoverMs: 9000, replicas: 1, keys, bucket, now: () => clock.a })
    const b = await LeaseSet.open({ nc: await conn(), nodeId: 'b', takeoverMs: 9000, replicas: 1, keys, bucket, now: () => clock.b })
    const changes = async (s: LeaseSet): Promise<LeaseChange[]> => (await s.tick()).changes
    /** A round confirmAfter (750 ms) later: what it changed (a key just written becomes owned). */
    const confirm = async (who: 'a' | 'b', want?: (k: string) => boolean): Promise<LeaseChange[]> => {
      clock[who] += 750
      return (await (who === 'a' ? a : b).tick(want)).changes
    }
    return { a, b, clock, bucket, changes, confirm }
  }

  const both = (owned: boolean, ...keys: string[]): LeaseChange[] => keys.map((key) => ({ key, owned }))

  t.test('two holders: one owner at a time, takeover after a silent owner, the old owner fenced', async (t) => {
    const { a, b, clock, changes, confirm } = await pair([0, 1])
    t.same(await changes(a), [], 'a creates both keys')
    t.same(await confirm('a'), both(true, 'p.0', 'p.1'), 'and owns them once a later read confirms it')
    t.same(await changes(b), [], 'b sees them held')
    t.same(b.owned(), [])
    // a keeps renewing while time passes for both: b never takes over.
    for (let i = 0; i < 6; i++) {
      clock.a += 3000
      clock.b += 3000
      await a.tick()
      t.same(await changes(b), [], `round ${i}: b waits`)
    }
    t.same(a.owned(), ['p.0', 'p.1'])
    // a goes silent (paused, cut off): it stops acting as owner before b may take over.
    clock.a += 8099
    t.same(a.owned(), ['p.0', 'p.1'], 'inside the lease')
    clock.a += 1
    t.same(a.owned(), [], 'fenced 0.9 s before the takeover, without hearing from NATS')
    clock.b += 8999
    t.same(await changes(b), [], 'b waits a full takeover from the last revision it saw')
    clock.b += 1
    t.same(await b.tick(), {
      changes: [],
      events: [{ kind: 'claimed', key: 'p.0', from: 'a', waitMs: 9000 }, { kind: 'claimed', key: 'p.1', from: 'a', waitMs: 9000 }],
      errors: [],
    }, 'then takes both, reporting whose and after how long')
    t.same(await confirm('b'), both(true, 'p.0', 'p.1'), 'and owns them once confirmed')
    // a resumes: its renewal loses the compare-and-set, it stays out, and reports the loss.
    t.same(await a.tick(), { changes: both(false, 'p.0', 'p.1'), events: [{ kind: 'lost', key: 'p.0' }, { kind: 'lost', key: 'p.1' }], errors: [] })
    t.same(a.owned(), [])
    t.ok(b.owns('p.0'))
  })

  t.test('a held key no longer wanted is released at once, and another holder creates it on its next tick', async (t) => {
    const { a, b, bucket, changes, confirm } = await pair([3, 4])
    await a.tick()
    await confirm('a')
    await b.tick()
    t.same(b.owned(), [])
    t.same(await a.tick((k) => k !== 'p.3'), { changes: both(false, 'p.3'), events: [{ kind: 'released', key: 'p.3' }], errors: [] }, 'released, not lost')
    const kv = await new Kvm(await conn()).open(bucket)
    t.equal((await kv.get('p.3'))?.operation, 'DEL', 'deleted')
    t.same(await b.tick((k) => k === 'p.3'), { changes: [], events: [{ kind: 'created', key: 'p.3' }], errors: [] }, 'no takeover wait')
    t.same(await confirm('b', (k) => k === 'p.3'), both(true, 'p.3'))
    t.same(await changes(a), [], 'a wanting it again waits b out like any holder')
  })

  t.test('releaseAll hands every held key over; without it the keys stay (a crash looks like this)', async (t) => {
    const { a, b, bucket, changes, confirm } = await pair([5])
    await a.tick()
    await confirm('a')
    await b.tick()
    await a.releaseAll()
    t.same(a.owned(), [])
    const kv = await new Kvm(await conn()).open(bucket)
    t.equal((await kv.get(leaseKey(5)))?.operation, 'DEL', 'released')
    t.same(await changes(b), [])
    t.same(await confirm('b'), both(true, 'p.5'))
    t.equal((await kv.get(leaseKey(5)))?.operation, 'PUT')
  })

  t.test('a key whose value is unreadable is waited out, then claimed', async (t) => {
    const { a, clock, bucket, changes, confirm } = await pair([0, 1])
    const kv = await new Kvm(await conn()).create(bucket, { history: 1 })
    await kv.put(leaseKey(0), 'not json')
    await kv.put(leaseKey(1), JSON.stringify({ owner: 7 }))
    t.same(await changes(a), [], 'not overwritten at once')
    clock.a += 9000
    t.same(await changes(a), [])
    t.same(await confirm('a'), both(true, 'p.0', 'p.1'))
  })

  t.test('NATS unreachable: tick rejects, the owner stays owner only until its fence', async (t) => {
    const solo = nextBucket()
    let now = 0
    const nc = await conn()
    const leases = await LeaseSet.open({ nc, nodeId: 'solo', takeoverMs: 3000, replicas: 1, keys: ['p.0'], bucket: solo, now: () => now })
    await leases.tick()
    now += 250
    await leases.tick()
    t.ok(leases.owns('p.0'))
    await nats.server.stop()
    now += 1000
    t.equal((await leases.tick()).errors.length, 1, 'the read fails')
    t.ok(leases.owns('p.0'), 'still inside the lease')
    now += 1700
    t.notOk(leases.owns('p.0'), 'fenced')
    await nats.server.restart()
  })
}
