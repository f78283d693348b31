import t from 'tap'
import type { Test } from 'tap'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { Ownership, type OwnershipChange } from '../../src/cluster/ownership.js'
import { assignKeys } from '../../src/cluster/assignment.js'
import { startNats, natsServerPath, NATS_MISSING, type NatsServer } from '../helpers/nats.js'

// Real time on a real nats-server, takeover 1.5 s (ticks every 250 ms). The machine is shared, so
// the time bounds are generous; the one strict assertion is that no key ever has two owners.
const TAKEOVER = 1500
const PARTITIONS = 32
const ROLES = ['schedule']
const KEYS = [...Array.from({ length: PARTITIONS }, (_, p) => `p.${p}`), 'role.schedule']
const SLACK = 1500

interface Engine { id: string; own: Ownership; changes: OwnershipChange[]; errors: unknown[]; lost: string[]; renewals: number; members: number; tookOver: { key: string; from: string; waitMs: number }[] }

function holds(e: Engine, key: string): boolean {
  return key.startsWith('p.') ? e.own.owns(Number(key.slice(2))) : e.own.holdsRole(key.slice('role.'.length))
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

if (natsServerPath() === null) {
  void t.skip(NATS_MISSING, () => undefined)
} else {
  let server: NatsServer
  const conns: NatsConnection[] = []
  t.before(async () => { server = (await startNats(t))! })
  t.teardown(async () => { for (const nc of conns) await nc.close() })

  async function engine(t: Test, id: string, buckets: string, handoff?: (p: number) => Promise<void>): Promise<Engine> {
    const nc = await connect({ servers: server.url })
    conns.push(nc)
    const e: Engine = { id, changes: [], errors: [], lost: [], renewals: 0, members: 0, tookOver: [], own: null as unknown as Ownership }
    e.own = await Ownership.open({
      nc, nodeId: id, partitions: PARTITIONS, roles: ROLES, takeoverMs: TAKEOVER, replicas: 1,
      leaseBucket: `leases_${buckets}`, memberBucket: `members_${buckets}`,
      version: '0.1.0',
      hooks: { members: (n) => { e.members = n }, renewed: () => { e.renewals += 1 }, lost: (k) => e.lost.push(k), tookOver: (key, from, waitMs) => e.tookOver.push({ key, from, waitMs }) },
    })
    e.own.start((c) => e.changes.push(...c), (err) => e.errors.push(err), handoff)
    e.own.start(() => t.fail('a second start() is ignored'), () => undefined)
    return e
  }

  /** Samples every 25 ms: which engines own each key; fails on any key with two owners. */
  function sampler(engines: () => Engine[]) {
    let samples = 0
    const overlaps: string[] = []
    const timer = setInterval(() => {
      samples += 1
      for (const k of KEYS) {
        const owners = engines().filter((e) => holds(e, k)).map((e) => e.id)
        if (owners.length > 1) overlaps.push(`${k}: ${owners.join(' + ')}`)
      }
    }, 25)
    return { stop: () => { clearInterval(timer); return { samples, overlaps } } }
  }

  /** Waits until every key is held by exactly its preferred owner among `live`; returns the ms it took. */
  async function converged(engines: Engine[], limitMs: number): Promise<number> {
    const ids = engines.map((e) => e.id)
    const plan = assignKeys(KEYS.filter((k) => k.startsWith('p.')), KEYS.filter((k) => !k.startsWith('p.')), ids)
    const start = Date.now()
    for (;;) {
      const ok = KEYS.every((k) => {
        const owners = engines.filter((e) => holds(e, k)).map((e) => e.id)
        return owners.length === 1 && owners[0] === plan.get(k)
      })
      if (ok) return Date.now() - start
      if (Date.now() - start > limitMs) {
        const held = engines.map((e) => `${e.id}: ${e.own.ownedKeys().length} (members ${e.own.members().join(',')})`).join('; ')
        throw new Error(`not converged within ${limitMs} ms: ${held}`)
      }
      await sleep(10)
    }
  }

  t.test('three engines converge, survive a crash, take in a joiner and hand over on a graceful stop; never two owners', async (t) => {
    let all: Engine[] = []
    const s = sampler(() => all)
    const [a, b, c] = [await engine(t, 'engine-a', 'x'), await engine(t, 'engine-b', 'x'), await engine(t, 'engine-c', 'x')]
    all = [a, b, c]
    t.equal(a.own.tickEveryMs, 250)

    const startup = await converged(all, 10_000)
    const split = all.map((e) => e.own.ownedKeys().length)
    t.comment(`start-up: converged in ${startup} ms; keys held ${all.map((e, i) => `${e.id} ${split[i]}`).join(', ')}`)
    t.ok(split.every((n) => n >= 4), 'every engine holds a share (rendezvous split of 33 keys over 3)')
    t.same(all.map((e) => e.own.members()), all.map(() => ['engine-a', 'engine-b', 'engine-c']))

    // Crash: c stops ticking and keeps its keys (no release). The survivors wait out the lease.
    const cKeys = c.own.ownedKeys()
    await c.own.stop({ release: false })
    const crashWait = await converged([a, b], TAKEOVER + a.own.tickEveryMs + SLACK + 5000)
    t.comment(`crash: survivors hold all of engine-c's ${cKeys.length} keys ${crashWait} ms after it stopped (takeover ${TAKEOVER} ms + tick ${a.own.tickEveryMs} ms)`)
    t.ok(crashWait <= TAKEOVER + a.own.tickEveryMs + SLACK, `within takeover + one tick (+${SLACK} ms for a shared machine)`)
    t.ok(crashWait >= TAKEOVER - TAKEOVER / 3 - 100, 'not before the lease could lapse')
    const claims = [...a.tookOver, ...b.tookOver]
    t.same(claims.map((x) => x.key).sort(), [...cKeys].sort(), 'each of c\'s keys claimed once, by a takeover')
    t.ok(claims.every((x) => x.from === 'engine-c' && x.waitMs >= TAKEOVER), 'from c, after a full takeover unchanged')
    t.comment(`takeover waits reported by the hook: ${claims.map((x) => x.waitMs).sort((p, q) => p - q).join(', ')} ms`)
    all = [a, b]
    // A joiner that read c's member key before it expired would count c live for a takeover of its
    // own (it cannot tell a fresh key from a stale one) and leave c's share unclaimed meanwhile: the
    // join below is measured from a clean start, once the server has expired the key.
    const members = await new Kvm(conns[0]!).open('members_x')
    for (let i = 0; i < 100 && (await members.get('engine-c')) !== null; i++) await sleep(50)
    t.equal(await members.get('engine-c'), null, 'the crashed engine\'s member key expired')

    // A fourth engine joins: its keys move to it (released by the holders, created at once).
    const d = await engine(t, 'engine-d', 'x')
    all = [a, b, d]
    const joinWait = await converged(all, 10_000)
    t.comment(`join: engine-d holds its ${d.own.ownedKeys().length} keys ${joinWait} ms after it started`)
    t.ok(joinWait < TAKEOVER, 'a joiner does not wait out a takeover: the holders release its keys')

    // Graceful stop: d leaves and releases; a and b create its keys on their next tick.
    const dKeys = d.own.ownedKeys().length
    const stopAt = Date.now()
    await d.own.stop({ release: true })
    t.same(d.own.ownedKeys(), [], 'nothing owned after a graceful stop')
    const stopped = Date.now() - stopAt
    await converged([a, b], 10_000)
    const handoverMs = Date.now() - stopAt
    t.comment(`graceful stop: engine-d's ${dKeys} keys held by the others ${handoverMs} ms after stop() began (stop() took ${stopped} ms)`)
    t.ok(handoverMs < TAKEOVER, 'well under the takeover')
    all = [a, b]

    const { samples, overlaps } = s.stop()
    t.same(overlaps, [], `no key owned by two engines in ${samples} samples`)
    t.ok(samples > 40, 'the sampler kept running (every 25 ms when the event loop lets it)')
    t.same([...a.lost, ...b.lost, ...d.lost], [], 'no lease lost: keys moved only by release or takeover')
    t.same([...a.errors, ...b.errors, ...d.errors], [])
    t.ok(a.renewals > 0 && b.renewals > 0, `renewals counted (a ${a.renewals}, b ${b.renewals})`)
    await sleep(2 * a.own.tickEveryMs)
    t.same([a.members, b.members], [2, 2], 'member counts as last read')
    // What onChange told each engine adds up to what it owns.
    for (const e of [a, b]) {
      const told = new Set<string>()
      for (const c of e.changes) if (c.owned) told.add(c.key); else told.delete(c.key)
      t.same([...told].sort(), [...e.own.ownedKeys()].sort(), `${e.id}: onChange matches owns()`)
      t.same(e.own.ownedPartitions(), e.own.ownedKeys().filter((k) => k.startsWith('p.')).map((k) => Number(k.slice(2))))
    }
    await a.own.stop({ release: true })
    await b.own.stop({ release: true })
  })

  t.test('a partition moving to a joiner is handed off first: its lease is kept until the handoff is done, then released', async (t) => {
    let all: Engine[] = []
    const s = sampler(() => all)
    // Each handoff takes 600 ms (a worker finishing a slow insert, then writing its marks). At its
    // start, midway and at its end the old owner still holds the lease and the joiner does not.
    let joiner: Engine | null = null
    const handoffs = new Map<number, { held: boolean[]; joinerOwned: boolean[]; done: boolean }>()
    const a = await engine(t, 'handoff-a', 'h', async (p) => {
      const h = { held: [] as boolean[], joinerOwned: [] as boolean[], done: false }
      handoffs.set(p, h)
      const look = () => { h.held.push(a.own.owns(p)); h.joinerOwned.push(joiner?.own.owns(p) ?? false) }
      look()
      await sleep(300)
      look()
      await sleep(300)
      look()
      h.done = true
      if (p === 0) throw new Error('a failed handoff still lets the key go')
    })
    all = [a]
    await converged(all, 10_000)
    const b = joiner = await engine(t, 'handoff-b', 'h')
    all = [a, b]
    await converged(all, 10_000)
    const moved = b.own.ownedPartitions()
    t.ok(moved.length > 0, `partitions moved to the joiner: ${moved.join(', ')}`)
    t.same([...handoffs.keys()].sort((x, y) => x - y), [...moved].sort((x, y) => x - y), 'a handoff for each partition that moved, none other (roles are not handed off)')
    t.ok(moved.every((p) => handoffs.get(p)!.done), 'each handoff ran to its end')
    t.same(moved.flatMap((p) => handoffs.get(p)!.held), moved.flatMap(() => [true, true, true]), 'the old owner held the lease throughout its handoffs')
    t.same(moved.flatMap((p) => handoffs.get(p)!.joinerOwned), moved.flatMap(() => [false, false, false]), 'the joiner owned none of them before its handoff finished')
    t.ok(moved.every((p) => !a.own.owns(p)), 'released by the old owner')
    const { overlaps } = s.stop()
    t.same(overlaps, [], 'never two owners')
    t.same(a.lost, [], 'handed off, not lost: the lease was renewed meanwhile')
    await b.own.stop({ release: true })
    await a.own.stop({ release: true })
  })

  t.test('driven by hand with a fake clock on the default buckets: changes per round, roles, a join, and a stop that cannot reach NATS', async (t) => {
    await t.rejects(Ownership.open({ nc: conns[0]!, nodeId: 'x', partitions: 0, roles: [], takeoverMs: 3000, replicas: 1 }), RangeError)
    const clock = { p: 1_000_000, q: 9_000_000 }
    const open = async (id: 'p' | 'q'): Promise<Ownership> => {
      const nc = await connect({ servers: server.url })
      conns.push(nc)
      return Ownership.open({ nc, nodeId: id, partitions: 4, roles: ['schedule', 'reports'], takeoverMs: 3000, replicas: 1, now: () => clock[id] })
    }
    const p = await open('p')
    t.equal(p.nextRoundInMs(), p.tickEveryMs, 'nothing to confirm: rounds every takeover / 6')
    t.same(await p.tick(), { changes: [], errors: [] }, 'alone: every key created, none owned before a confirming read')
    t.equal(p.nextRoundInMs(), 251, 'the next round comes as soon as a read may confirm them (takeover / 12 after the answers)')
    clock.p += 250
    t.same(await p.tick(), {
      changes: ['p.0', 'p.1', 'p.2', 'p.3', 'role.schedule', 'role.reports'].map((key, i) => ({ key, partition: i < 4 ? i : null, owned: true })),
      errors: [],
    }, 'alone: everything, partitions numbered, roles not')
    t.ok(p.holdsRole('schedule') && p.holdsRole('reports'))
    t.notOk(p.holdsRole('nothing'))
    t.same(p.ownedPartitions(), [0, 1, 2, 3])
    const q = await open('q')
    t.same((await q.tick()).changes, [], 'q sees everything held')
    const plan = assignKeys(['p.0', 'p.1', 'p.2', 'p.3'], ['role.schedule', 'role.reports'], ['p', 'q'])
    const qWants = ['p.0', 'p.1', 'p.2', 'p.3', 'role.schedule', 'role.reports'].filter((k) => plan.get(k) === 'q')
    t.ok(qWants.length > 0, `q is preferred for ${qWants.join(', ')}`)
    t.same((await p.tick()).changes, qWants.map((key) => ({ key, partition: key.startsWith('p.') ? Number(key.slice(2)) : null, owned: false })), 'p releases them on its next round')
    t.same((await q.tick()).changes, [], 'q creates them at once: no clock moved')
    clock.q += 250
    t.same((await q.tick()).changes.map((c) => c.key), qWants, 'and owns them after the confirming read')
    t.same(p.members(), ['p', 'q'])
    // NATS goes away: a round reports the failures, and a graceful stop cannot leave or release.
    await server.stop()
    clock.p += 1000
    const r = await p.tick()
    t.ok(r.errors.length > 0, `a round without NATS reports failures (${String(r.errors[0])})`)
    t.same(r.changes, [], 'inside the lease: still the owner')
    clock.p += 2000
    t.same((await p.tick()).changes.length, 6 - qWants.length, 'the fence: every key reported not owned, NATS or not')
    const failure = await new Promise((resolve) => p.start(() => undefined, resolve))
    t.ok(failure, `start() passes a failed round to onError (${String(failure)})`)
    await t.rejects(p.stop({ release: true }))
    await server.restart()
    await q.stop({ release: false })
  })
}
