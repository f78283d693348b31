// The incidents stage's view of the config, computed once at boot: search settings, the hotspot
// spec, the level ladder with each zone's base level, and plans with posts expanded to units
// (compilePlan() also compiles the plans sent at run time through the API, src/incidents/plan-body.ts).
// compileIncidents() throws an Error naming the key on a dangling reference; src/boot.ts calls
// it so a typo stops start-up. Plan and checkpoint names: `name` in the engine's locale (events,
// webhooks, chat, bulletins), `nameEn` the configured name_en, for the live map in English — the
// same rule as units, posts and zones (src/rules/deployment.ts).
import type { Config } from '../config/schema.js'
import type { HotspotSpec } from './hotspots.js'
import type { LevelSpec } from './levels.js'
import type { CheckpointSpec, PlanSpec } from './plans.js'
import type { SearchSettings } from './resource-search.js'

export interface IncidentsSetup {
  search: SearchSettings
  hotspots: HotspotSpec & { enabled: boolean; maxIntervalMs: number; recomputeEveryMs: number }
  ladder: LevelSpec[]
  baseLevels: Map<string, string>
  rate: { threshold: number; windowMs: number; suggestLevel: string; autoApply: boolean; autoExpiryMs: number }
  plans: Map<string, PlanSpec>
  /** What compiling a plan sent at run time needs (POST/PUT /api/v1/plans). */
  planContext: PlanContext
}

/** A plan as the config (and the API body) gives it, decoded. */
export type PlanConfig = Config['plans'][number]

/** The units (with their posts), posts and locale a plan's references are checked against. */
export interface PlanContext {
  units: ReadonlyArray<{ id: string; post?: string | undefined }>
  posts: ReadonlySet<string>
  locale: string
}

const opt = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } => (v === undefined ? {} : ({ [key]: v } as { [P in K]?: V }))

export function compileIncidents(config: Config): IncidentsSetup {
  const inc = config.incidents
  const ladder: LevelSpec[] = config.patrol_levels.ladder.map((l, rank) => ({
    name: l.name,
    rank,
    ...opt('maxIntervalMs', l.max_interval),
    ...opt('minRatio', l.min_ratio),
    ...opt('responseRadiusM', l.response_radius_m),
    ...opt('hotspotIntervalMs', l.hotspot_interval),
  }))
  const names = new Set<string>()
  for (const l of ladder) {
    if (names.has(l.name)) throw new Error(`patrol_levels.ladder: level "${l.name}" appears twice`)
    names.add(l.name)
  }
  const known = () => [...names].join(', ')
  const zoneIds = new Set(config.zones.map((z) => z.id))
  for (const [zoneId, level] of Object.entries(config.patrol_levels.zones)) {
    if (!zoneIds.has(zoneId)) throw new Error(`patrol_levels.zones.${zoneId}: no zone with id "${zoneId}"`)
    if (!names.has(level)) throw new Error(`patrol_levels.zones.${zoneId}: no patrol level "${level}" (ladder: ${known()})`)
  }
  const first = (ladder[0] as LevelSpec).name
  const baseLevels = new Map(config.zones.map((z) => [z.id, config.patrol_levels.zones[z.id] ?? first]))
  if (inc.rate.threshold > 0 && !names.has(inc.rate.suggest_level)) {
    throw new Error(`incidents.rate.suggest_level: no patrol level "${inc.rate.suggest_level}" (ladder: ${known()})`)
  }

  const planContext: PlanContext = { units: config.units.map((u) => ({ id: u.id, post: u.post })), posts: new Set(config.posts.map((p) => p.id)), locale: config.locale }
  const plans = new Map<string, PlanSpec>()
  for (const p of config.plans) {
    if (plans.has(p.id)) throw new Error(`plans: id "${p.id}" appears twice; ids must be unique`)
    plans.set(p.id, compilePlan(p, planContext, `plans.${p.id}.`))
  }

  const h = inc.hotspots
  return {
    search: { k: inc.search.k, speedKmh: inc.search.speed_kmh, detourFactor: inc.search.detour_factor, maxDistanceM: inc.search.max_distance_m },
    hotspots: {
      enabled: h.enabled,
      resolution: h.resolution,
      windowMs: h.window,
      halfLifeMs: h.half_life,
      weights: h.weights,
      topPerZone: h.top_per_zone,
      minScore: h.min_score,
      maxIntervalMs: h.max_interval,
      recomputeEveryMs: h.recompute_every,
    },
    ladder,
    baseLevels,
    rate: { threshold: inc.rate.threshold, windowMs: inc.rate.window, suggestLevel: inc.rate.suggest_level, autoApply: inc.rate.auto_apply, autoExpiryMs: inc.rate.auto_expiry },
    plans,
    planContext,
  }
}

/** A plan's config entry (or API body, decoded by the same schema) → PlanSpec; throws an Error naming the key after `key`. */
export function compilePlan(p: PlanConfig, ctx: PlanContext, key: string): PlanSpec {
  const unitIds = new Set(ctx.units.map((u) => u.id))
  const checkpoints = p.checkpoints.map((c, i): CheckpointSpec => {
    const ck = `${key}checkpoints.${i}`
    const absolute = c.lat !== undefined && c.lon !== undefined
    const relative = c.north_m !== undefined || c.east_m !== undefined
    if (p.positions === 'absolute' && !absolute) throw new Error(`${ck}: give lat and lon (the plan's positions are absolute)`)
    if (p.positions === 'scene' && !absolute && !relative) throw new Error(`${ck}: give north_m/east_m from the scene, or lat and lon`)
    for (const u of c.units) if (!unitIds.has(u)) throw new Error(`${ck}.units: no unit with id "${u}"`)
    for (const post of c.posts) if (!ctx.posts.has(post)) throw new Error(`${ck}.posts: no post with id "${post}"`)
    const units = new Set(c.units)
    for (const u of ctx.units) if (u.post !== undefined && c.posts.includes(u.post)) units.add(u.id)
    if (units.size === 0 && c.nearest === undefined) throw new Error(`${ck}: no responsible unit (give units, posts with units, or nearest: N)`)
    return {
      name: (ctx.locale === 'en' ? c.name_en : undefined) ?? c.name,
      ...opt('nameEn', c.name_en),
      ...(absolute ? { lat: c.lat as number, lon: c.lon as number } : { northM: c.north_m ?? 0, eastM: c.east_m ?? 0 }),
      units: [...units].sort(),
      ...opt('nearest', c.nearest),
      arriveWithinMs: c.arrive_within,
      radiusM: c.radius_m,
    }
  })
  return { id: p.id, name: (ctx.locale === 'en' ? p.name_en : undefined) ?? p.name ?? p.id, ...opt('nameEn', p.name_en), positions: p.positions, dwellMs: p.dwell, checkpoints }
}
