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
