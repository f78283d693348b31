import t from 'tap'
import { assignKeys, balancedAssignment, preferredKeys, preferredOwner, rendezvousScore } from '../../src/cluster/assignment.js'

const KEYS = [...Array.from({ length: 32 }, (_, i) => `p.${i}`), 'role.schedule']
const PARTITIONS = KEYS.slice(0, 32)
const engines = (n: number, name = (i: number) => `engine-${i}`): string[] => Array.from({ length: n }, (_, i) => name(i + 1))

/** Deterministic pseudo-random member ids (mulberry32), so the statistics below never flake. */
function randomIds(seed: number, n: number): string[] {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32
  }
  return Array.from({ length: n }, () => `node-${Math.floor(next() * 36 ** 6).toString(36)}`)
}

function counts(keys: readonly string[], members: readonly string[]): Map<string, number> {
  const c = new Map(members.map((m) => [m, 0]))
  for (const k of keys) {
    const o = preferredOwner(k, members)!
    c.set(o, c.get(o)! + 1)
  }
  return c
}

t.test('scores are fixed (a change would move keys between engines on upgrade)', async (t) => {
  t.equal(rendezvousScore('engine-1', 'p.0'), rendezvousScore('engine-1', 'p.0'))
  t.matchSnapshot([rendezvousScore('engine-1', 'p.0'), rendezvousScore('engine-2', 'p.0'), rendezvousScore('警车', 'role.schedule')], 'golden scores')
})

t.test('equal scores go to the smaller member id', async (t) => {
  // Found by search: a real 32-bit collision on p.0.
  t.equal(rendezvousScore('engine-539599', 'p.0'), rendezvousScore('engine-722382', 'p.0'))
  t.equal(preferredOwner('p.0', ['engine-722382', 'engine-539599']), 'engine-539599')
  t.equal(preferredOwner('p.0', ['engine-539599', 'engine-722382']), 'engine-539599')
})

t.test('no members: no owner; one member: it owns everything', async (t) => {
  t.equal(preferredOwner('p.0', []), null)
  t.same(preferredKeys(KEYS, ['solo'], 'solo'), KEYS)
  t.same(preferredKeys(KEYS, ['solo'], 'other'), [])
})

t.test('every engine computes the same owner whatever the order of the member list', async (t) => {
  const m = engines(5)
  for (const k of KEYS) t.equal(preferredOwner(k, [...m].reverse()), preferredOwner(k, m))
  const union = m.flatMap((self) => preferredKeys(KEYS, m, self))
  t.same(union.sort(), [...KEYS].sort(), 'each key preferred by exactly one member')
})

t.test('balanced spread of 32 partitions over 1..5 members', async (t) => {
  // Rendezvous hashing is a random assignment per key: with 32 keys the counts are binomial, so the
  // bound is statistical, and wide: named engines (engine-1..5) stay within [mean/4, 2 × mean]; over
  // 1,000 random id sets per size, 98 % give every member at least one key and at most 2.2 × mean
  // (measured: with 5 members the emptiest holds 2 or fewer in 5 % of sets, the fullest 12 or more).
  for (let n = 1; n <= 5; n++) {
    const mean = 32 / n
    const c = [...counts(PARTITIONS, engines(n)).values()]
    t.ok(Math.min(...c) >= mean / 4 && Math.max(...c) <= mean * 2, `${n} named engines: ${c.join(', ')}`)
    let within = 0
    for (let seed = 1; seed <= 1000; seed++) {
      const r = [...counts(PARTITIONS, randomIds(seed * 7 + n, n)).values()]
      if (r.length < n) continue // a duplicate id: not a valid cluster
      if (Math.min(...r) >= Math.min(1, mean) && Math.max(...r) <= mean * 2.2) within += 1
    }
    t.ok(within >= 980, `${n} random members: ${within / 10} % of sets within [1, ${(mean * 2.2).toFixed(1)}]`)
  }
})

t.test('a leaver: only its keys move; a joiner takes about 1/N and nothing else moves', async (t) => {
  let joinerTotal = 0
  let trials = 0
  for (let seed = 1; seed <= 200; seed++) {
    for (let n = 2; n <= 5; n++) {
      const before = randomIds(seed * 13 + n, n)
      if (new Set(before).size < n) continue
      const leaver = before[seed % n]!
      const after = before.filter((m) => m !== leaver)
      for (const k of KEYS) {
        const was = preferredOwner(k, before)
        const now = preferredOwner(k, after)
        if (was !== leaver && now !== was) t.fail(`${k} moved from ${was} to ${now} though ${leaver} left`)
      }
      // Join: the reverse view (after → before), the leaver comes back.
      let taken = 0
      for (const k of PARTITIONS) {
        const was = preferredOwner(k, after)
        const now = preferredOwner(k, before)
        if (now !== was && now !== leaver) t.fail(`${k} moved from ${was} to ${now}, not to the joiner`)
        if (now === leaver) taken += 1
      }
      joinerTotal += taken / (32 / n)
      trials += 1
    }
  }
  const ratio = joinerTotal / trials
  t.ok(ratio > 0.9 && ratio < 1.1, `a joiner takes ${ratio.toFixed(3)} × 1/N of the partitions on average`)
})

t.test('bounded-load assignment: every member gets floor or ceil of its share, the same map from any member order', async (t) => {
  const parts = Array.from({ length: 8 }, (_, p) => `p.${p}`)
  for (const n of [1, 2, 3, 5, 8, 9]) {
    const members = Array.from({ length: n }, (_, i) => `engine-${i + 1}`)
    const plan = balancedAssignment(parts, members)
    t.equal(plan.size, parts.length, `${n} members: every key assigned`)
    const load = new Map<string, number>()
    for (const m of plan.values()) load.set(m, (load.get(m) ?? 0) + 1)
    for (const m of members) {
      const k = load.get(m) ?? 0
      t.ok(k >= Math.floor(8 / n) && k <= Math.ceil(8 / n), `${n} members: ${m} holds ${k}`)
    }
    t.same([...balancedAssignment(parts, [...members].reverse())].sort(), [...plan].sort(), `${n} members: order does not matter`)
  }
  t.same(balancedAssignment(parts, []), new Map(), 'no members: nothing assigned')
  // A member leaving moves only its own keys.
  const three = balancedAssignment(parts, ['engine-1', 'engine-2', 'engine-3'])
  const two = balancedAssignment(parts, ['engine-1', 'engine-3'])
  const moved = parts.filter((k) => three.get(k) !== two.get(k))
  t.ok(moved.every((k) => three.get(k) === 'engine-2'), `only engine-2's keys move when it leaves (${moved.length})`)
  const plan = assignKeys(parts, ['role.schedule'], ['engine-1', 'engine-2'])
  t.equal(plan.get('role.schedule'), preferredOwner('role.schedule', ['engine-1', 'engine-2']), 'roles go to their rendezvous winner')
  t.same(assignKeys(parts, ['role.schedule'], []), new Map(), 'no members: no owners')
})
