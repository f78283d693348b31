// Which engine should hold each ownership key: rendezvous (highest-random-weight) hashing over the
// live members. Every engine computes the same answer from the same member list with no
// coordination, and a change of members moves only the keys it must: when a member leaves, only
// its keys move (each to its next-highest member); a joiner takes only the keys it now scores
// highest on, about 1/N of them. Pure: the member list comes from src/cluster/membership.ts.
//
// The score is FNV-1a (partition.ts) over `${member}\0${key}`, passed through murmur3's 32-bit
// finaliser. FNV-1a alone is no good here: member ids and keys that differ only in their last
// characters ("engine-1", "p.7") give scores so correlated that one member wins every key.
import { fnv1a32 } from './partition.js'

/** murmur3 fmix32: spreads every input bit over the whole score. */
function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** The rendezvous score of `member` for `key` (unsigned 32-bit; fixed forever, or keys move). */
export function rendezvousScore(member: string, key: string): number {
  return fmix32(fnv1a32(`${member}\u0000${key}`))
}

/** The member that should hold `key`: highest score, ties to the smallest member id; null when there are none. */
export function preferredOwner(key: string, members: readonly string[]): string | null {
  let best: string | null = null
  let bestScore = -1
  for (const m of members) {
    const s = rendezvousScore(m, key)
    if (s > bestScore || (s === bestScore && best !== null && m < best)) {
      best = m
      bestScore = s
    }
  }
  return best
}

/** The keys (in their given order) that `self` should hold among `members`. */
export function preferredKeys(keys: readonly string[], members: readonly string[], self: string): string[] {
  return keys.filter((k) => preferredOwner(k, members) === self)
}

/**
 * Rendezvous with bounded load: every member gets ⌊k/n⌋ or ⌈k/n⌉ keys. Plain rendezvous leaves small
 * key sets lopsided (8 partitions over 3 engines gave one engine none). Two passes over the
 * (key, member) pairs from the highest score down: the first fills every member to ⌊k/n⌋, the second
 * gives each remaining key to its best member still under ⌈k/n⌉. A key keeps its member while that
 * member is within its bound, so a member change moves few keys. Deterministic: every engine
 * computes the same map from the same member list.
 */
export function balancedAssignment(keys: readonly string[], members: readonly string[]): Map<string, string> {
  const out = new Map<string, string>()
  if (members.length === 0) return out
  const floor = Math.floor(keys.length / members.length)
  const ceil = Math.ceil(keys.length / members.length)
  const pairs: Array<{ key: string; member: string; score: number }> = []
  for (const key of keys) for (const member of members) pairs.push({ key, member, score: rendezvousScore(member, key) })
  pairs.sort((a, b) => b.score - a.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const load = new Map<string, number>()
  for (const room of [floor, ceil]) {
    for (const { key, member } of pairs) {
      if (out.has(key)) continue
      const n = load.get(member) ?? 0
      if (n >= room) continue
      out.set(key, member)
      load.set(member, n + 1)
    }
  }
  return out
}

/**
 * Who should hold each ownership key: partitions spread evenly (balancedAssignment), every other key
 * (roles) to its rendezvous winner. What every engine computes from its view of the live members.
 */
export function assignKeys(partitionKeys: readonly string[], otherKeys: readonly string[], members: readonly string[]): Map<string, string> {
  const plan = balancedAssignment(partitionKeys, members)
  for (const k of otherKeys) {
    const owner = preferredOwner(k, members)
    if (owner !== null) plan.set(k, owner)
  }
  return plan
}
