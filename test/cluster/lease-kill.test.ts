// Leases across a NATS server killed under contention: two holders on two connections (to
// different servers of a three-server cluster, the bucket replicated three times) both want every
// key. First both take every key at the same moment, several times over (nats-server before 2.11
// can answer success to both compare-and-sets: the confirming read must leave one owner); then
// they tick as engines do (takeover / 6) on the real clock and the server leading the lease bucket
// is killed with SIGKILL. Checked every few milliseconds: never do both hold one key at once.
import t from 'tap'
import { connect } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { LeaseSet, leaseKey, type LeaseTick } from '../../src/cluster/leases.js'
import { startNatsCluster, streamLeader } from '../helpers/nats-cluster.js'
import { sleep } from '../helpers/cluster.js'

const TAKEOVER_MS = 3750
const KEYS = [0, 1, 2, 3].map(leaseKey)

t.test('the lease bucket\'s leader killed while two holders contend: never two owners of a key', { timeout: 180_000 }, async (t) => {
  const nats = await startNatsCluster(t)
  if (nats === null) return
  const holders: Array<{ id: string; set: LeaseSet; running: boolean; done: Promise<void> }> = []
  for (const [i, id] of ['a', 'b'].entries()) {
    const nc = await connect({ servers: [nats.nodes[i + 1]!.url, ...nats.nodes.map((n) => n.url)], maxReconnectAttempts: -1, reconnectTimeWait: 250 })
    t.teardown(() => nc.close())
    const set = await LeaseSet.open({ nc, nodeId: id, takeoverMs: TAKEOVER_MS, replicas: 3, keys: KEYS, now: Date.now, bucket: 'test_leases' })
    holders.push({ id, set, running: false, done: Promise.resolve() })
  }
  t.teardown(async () => {
    for (const h of holders) h.running = false
    await Promise.all(holders.map((h) => h.done))
  })
  const overlaps: string[] = []
  const owned = new Map<string, number>()
  const check = (): void => {
    for (const k of KEYS) {
      const who = holders.filter((h) => h.set.owns(k)).map((h) => h.id)
      if (who.length > 1) overlaps.push(`${k} ${who.join('+')} at ${Date.now()}`)
      if (who.length === 1) owned.set(who[0]!, (owned.get(who[0]!) ?? 0) + 1)
    }
  }
  const watch = setInterval(check, 5)
  t.teardown(() => clearInterval(watch))
  // Both take every key at once: a third holder's keys, left to lapse, claimed by both in the same
  // round (their rounds run together), twice over.
  const writer = await connect({ servers: nats.servers })
  t.teardown(() => writer.close())
  const kv = await new Kvm(writer).open('test_leases')
  let bothAnswered = 0
  const together = async (): Promise<LeaseTick[]> => Promise.all(holders.map((h) => h.set.tick()))
  for (let round = 0; round < 2; round++) {
    for (const k of KEYS) await kv.put(k, JSON.stringify({ owner: 'c' }))
    const claimed = holders.map(() => new Set<string>())
    for (let i = 0; i < 12 && claimed.some((s) => s.size < KEYS.length); i++) {
      const ticks = await together()
      ticks.forEach((r, h) => r.events.forEach((e) => e.kind === 'claimed' && claimed[h]!.add(e.key)))
      await sleep(TAKEOVER_MS / 6)
    }
    bothAnswered += KEYS.filter((k) => claimed.every((s) => s.has(k))).length
    await together()
  }
  t.comment(`claiming every key at once, twice: ${bothAnswered} of ${2 * KEYS.length} keys had both claims answered success`)
  t.same(overlaps, [], 'taken at once: never two owners of a key')
  for (const h of holders) {
    h.running = true
    h.done = (async () => {
      while (h.running) {
        await h.set.tick().catch(() => undefined)
        await sleep(TAKEOVER_MS / 6)
      }
    })()
  }
  await sleep(TAKEOVER_MS)
  const leader = await streamLeader(nats, 'KV_test_leases')
  await nats.nodes.find((n) => n.name === leader)!.kill()
  await sleep(6 * TAKEOVER_MS)
  clearInterval(watch)
  t.comment(`killed ${leader}; owner samples ${JSON.stringify(Object.fromEntries(owned))}`)
  t.same(overlaps.slice(0, 10), [], 'the leader killed: never two owners of a key')
})
