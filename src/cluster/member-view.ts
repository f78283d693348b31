// Which engines are alive, as a pure decision over our own clock (the I/O is membership.ts).
// Each engine rewrites its member key every takeover/3; a member is live while the key's revision
// has changed within `takeoverMs` by OUR clock, counting from when we first saw each revision.
// As in lease-decision.ts, no engine's wall clock is ever compared with another's: a member whose
// clock is hours off is judged only by whether its revision moves. A member seen for the first
// time counts as just changed, so a starting engine gives everyone a full takeover before judging.
// Our own node is always live while we run (we are the proof).

export class MemberView {
  /** node → the revision we last saw and when (our clock) we first saw it. */
  private readonly seen = new Map<string, { revision: number; since: number }>()

  constructor(readonly self: string, private readonly takeoverMs: number) {}

  /** A full listing of the member keys (node → revision) read at `now`: absent nodes are dropped (they left). */
  observe(listing: ReadonlyMap<string, number>, now: number): void {
    for (const node of [...this.seen.keys()]) if (!listing.has(node)) this.seen.delete(node)
    for (const [node, revision] of listing) {
      const s = this.seen.get(node)
      if (s === undefined || s.revision !== revision) this.seen.set(node, { revision, since: now })
    }
  }

  /** The live members at `now`, sorted, always including ourselves. */
  live(now: number): string[] {
    const out = new Set<string>([this.self])
    for (const [node, s] of this.seen) if (now - s.since < this.takeoverMs) out.add(node)
    return [...out].sort()
  }
}
