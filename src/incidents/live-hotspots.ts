// The hotspots in force and their recomputation from ClickHouse: the store scores cells, the top
// N per zone (hotspots.ts) replace the previous set. Out of service.ts so the hotspot state has
// one owner. A failed recomputation keeps the previous hotspots (logged). Cluster mode (`toLog`
// given): the result is appended to the log instead, and every engine applies it (apply()).
import type { Logger } from 'pino'
import type { HotspotZones } from './commands.js'
import { hotspotsByZone, type Hotspot, type HotspotSpec, type ZoneCells } from './hotspots.js'
import type { IncidentStore } from './incident-store.js'

/** Cells fetched from ClickHouse before the per-zone top N is taken. */
const HOTSPOT_FETCH = 5000

export interface LiveHotspotsDeps {
  spec: HotspotSpec & { enabled: boolean }
  zoneCells: readonly ZoneCells[]
  store: () => IncidentStore | null
  now: () => number
  logger: Logger
  /** Cluster mode: appends recomputed hotspots for every engine to apply. */
  toLog?: (zones: HotspotZones, at: number) => Promise<void>
}

export class LiveHotspots {
  private byZone = new Map<string, Hotspot[]>()
  private at: number | null = null

  constructor(private readonly d: LiveHotspotsDeps) {}

  /** When the hotspots in force were computed (null: never). */
  get computedAt(): number | null {
    return this.at
  }

  /** Per zone, the hotspots in force (the rule engine's coverage overrides read them each tick). */
  current(): ReadonlyMap<string, Hotspot[]> {
    return this.byZone
  }

  /** Never throws: on failure the previous hotspots stay in force (logged); false then. */
  async recompute(): Promise<boolean> {
    const h = this.d.spec
    const store = this.d.store()
    if (!h.enabled || store === null) return false
    const now = this.d.now()
    try {
      const scores = await store.hotspotScores(h, now, HOTSPOT_FETCH)
      const zones = hotspotsByZone(h, scores, this.d.zoneCells)
      // Cluster mode: ClickHouse answers differently on each engine; the result goes through the
      // log so every engine applies the same hotspots (apply()).
      if (this.d.toLog !== undefined) {
        await this.d.toLog([...zones], now)
        return true
      }
      this.apply(zones, now)
      return true
    } catch (err) {
      this.d.logger.warn({ err: (err as Error).message }, 'Hotspot recomputation failed; the previous hotspots stay in force.')
      return false
    }
  }

  /** Puts hotspots in force (a recomputation here, or a hotspots record from the log). */
  apply(zones: Iterable<[string, Hotspot[]]>, at: number): void {
    this.byZone = new Map(zones)
    this.at = at
  }

  list(zoneId?: string): Hotspot[] {
    return [...this.byZone.values()].flat().filter((h) => zoneId === undefined || h.zoneId === zoneId)
  }

  /** The hotspots in force, for the fleet snapshot. */
  toJSON(): HotspotZones {
    return [...this.byZone]
  }

  /** Restores a snapshot's parts; hotspots that are not a list are kept, a time that is not a number is null. */
  restore(zones: unknown, at: unknown): void {
    if (Array.isArray(zones)) this.byZone = new Map(zones as HotspotZones)
    this.at = typeof at === 'number' ? at : null
  }
}
