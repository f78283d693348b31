// Incident rate per zone over a rolling window, for the optional patrol_level.suggested proposal:
// once a zone reaches the threshold it is proposed once, and again only after the rate has fallen
// below the threshold. Pure; times are incident times, epoch ms. Incidents are keyed by id, so
// the window can be rebuilt from the `incidents` table after a restart (restore()) while new
// incidents arrive, without counting one twice.

export class RateWatch {
  /** Per zone: incident id → incident time. */
  private readonly times = new Map<string, Map<string, number>>()
  private readonly raised = new Set<string>()

  constructor(private readonly windowMs: number, private readonly threshold: number) {}

  /** Records an incident; returns the zone's count within the window ending at `now`. */
  add(zoneId: string, id: string, ts: number, now: number): number {
    let list = this.times.get(zoneId)
    if (list === undefined) this.times.set(zoneId, (list = new Map()))
    list.set(id, ts)
    return this.count(zoneId, now)
  }

  count(zoneId: string, now: number): number {
    const list = this.times.get(zoneId)
    if (list === undefined) return 0
    const from = now - this.windowMs
    let n = 0
    // Drop what slid out of the window; keep incidents timed ahead of the clock for later.
    for (const [id, t] of list) {
      if (t < from) list.delete(id)
      else if (t <= now) n++
    }
    return n
  }

  /**
   * The window as it stood before a restart, from the stored incidents. A zone already at the
   * threshold had its crossing (and its proposal) before the restart: it is not proposed again
   * until its rate has fallen below the threshold, as if the engine had never stopped.
   */
  restore(incidents: Iterable<{ zoneId: string; id: string; ts: number }>, now: number): void {
    for (const i of incidents) this.add(i.zoneId, i.id, i.ts, now)
    if (this.threshold <= 0) return
    for (const zoneId of this.times.keys()) if (this.count(zoneId, now) >= this.threshold) this.raised.add(zoneId)
  }

  /** The window and the zones proposed already (cluster mode's fleet snapshot). */
  toJSON(): { times: Array<[string, Array<[string, number]>]>; raised: string[] } {
    return { times: [...this.times].map(([z, m]) => [z, [...m]]), raised: [...this.raised] }
  }

  /** Replaces the window with a toJSON() of it (unreadable parts are skipped). */
  load(json: unknown): void {
    const j = json as { times?: unknown; raised?: unknown } | null
    this.times.clear()
    this.raised.clear()
    if (typeof j !== 'object' || j === null) return
    if (Array.isArray(j.times)) {
      for (const e of j.times as unknown[]) {
        if (!Array.isArray(e) || typeof e[0] !== 'string' || !Array.isArray(e[1])) continue
        this.times.set(e[0], new Map((e[1] as unknown[]).filter((x): x is [string, number] => Array.isArray(x) && typeof x[0] === 'string' && typeof x[1] === 'number')))
      }
    }
    if (Array.isArray(j.raised)) for (const z of j.raised as unknown[]) if (typeof z === 'string') this.raised.add(z)
  }

  /** True exactly once per crossing of the threshold. */
  shouldSuggest(zoneId: string, now: number): boolean {
    if (this.threshold <= 0) return false
    const n = this.count(zoneId, now)
    if (n < this.threshold) {
      this.raised.delete(zoneId)
      return false
    }
    if (this.raised.has(zoneId)) return false
    this.raised.add(zoneId)
    return true
  }
}
