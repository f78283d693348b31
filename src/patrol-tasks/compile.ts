// The make-up patrol stage's view of the config, computed once at boot (src/boot.ts): the task
// board's settings (patrol_tasks, with the ETA speeds of incidents.search and the visit rules of
// rules.coverage_max_accuracy_m / path_max_gap / path_max_distance_m), which zones take part and
// which of them run in automatic mode. Pure.
import type { Config } from '../config/schema.js'
import type { SearchSettings } from '../incidents/resource-search.js'
import type { AutoSettings } from './auto-assign.js'
import type { BoardSettings } from './task-board.js'

export interface PatrolTasksSetup {
  board: BoardSettings
  /** Zones whose coverage.make_up is not off (propose or auto). */
  zones: ReadonlySet<string>
  refreshEveryMs: number
}

export function compilePatrolTasks(config: Config, search: Pick<SearchSettings, 'speedKmh' | 'detourFactor'>): PatrolTasksSetup {
  const p = config.patrol_tasks
  const r = config.rules
  const auto = new Map<string, AutoSettings>()
  const zones = new Set<string>()
  for (const z of config.zones) {
    if (z.coverage.make_up === 'off') continue
    zones.add(z.id)
    if (z.coverage.make_up === 'auto') auto.set(z.id, { afterMs: p.auto_after, maxPerZone: p.auto_max_per_zone })
  }
  return {
    board: {
      cluster: { linkRings: p.link_rings, maxCells: p.max_cells },
      proposal: {
        speedKmh: search.speedKmh,
        detourFactor: search.detourFactor,
        otherZonePenaltyS: p.other_zone_penalty / 1000,
        maxEtaS: p.max_eta / 1000,
        kindPenaltyS: Object.fromEntries(Object.entries(p.kind_penalty).map(([k, ms]) => [k, ms / 1000])),
        loadPenaltyS: p.load_penalty / 1000,
        outsidePostPenaltyS: p.outside_post_penalty / 1000,
        posts: new Map(config.posts.map((q) => [q.id, { lat: q.lat, lon: q.lon, radiusM: q.radius_m }])),
        loadWindowMs: p.load_window,
      },
      task: {
        maxAccuracyM: r.coverage_max_accuracy_m,
        pathMaxGapMs: r.path_max_gap,
        pathMaxDistanceM: r.path_max_distance_m,
        awayM: p.away_m,
        abandonAfterMs: p.abandon_after,
        expireAfterMs: p.expire_after,
      },
      auto,
      dismissMs: p.dismiss_for,
      keepEnded: p.keep_ended,
    },
    zones,
    refreshEveryMs: p.refresh_every,
  }
}
