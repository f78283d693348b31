// Incident rate per zone over a rolling window, for the optional patrol_level.suggested proposal:
// once a zone reaches the threshold it is proposed once, and again only after the rate has fallen
// below the threshold. Pure; times are incident times, epoch ms.

export class RateWatch {
  private readonly times = new Map<string, number[]>()
  private readonly raised = new Set<string>()

  constructor(private readonly windowMs: number, private readonly threshold: number) {}

  /** Records an incident; returns the zone's count within the window ending at `now`. */
  add(zoneId: string, ts: number, now: number): number {
    let list = this.times.get(zoneId)
    if (list === undefined) this.times.set(zoneId, (list = []))
    list.push(ts)
    return this.count(zoneId, now)
  }

  count(zoneId: string, now: number): number {
    const list = this.times.get(zoneId) ?? []
    const from = now - this.windowMs
    // Drop what slid out of the window; keep incidents timed ahead of the clock for later.
    const kept = list.filter((t) => t >= from)
    this.times.set(zoneId, kept)
    return kept.filter((t) => t <= now).length
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
