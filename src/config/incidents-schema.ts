// Config keys of the incidents stage: `incidents` (resource search, hotspots, rate suggestion),
// `patrol_levels` (the ladder and each zone's base level) and `plans` (emergency plans with
// checkpoints). Plugged into the root schema by src/config/schema.ts; cross-checks in src/incidents/compile.ts (run by src/boot.ts).
import { Type } from '@sinclair/typebox'
import { Duration, Obj } from './schema-parts.js'


const Speeds = (def: Record<string, number>) => Type.Record(Type.String(), Type.Number({ exclusiveMinimum: 0 }), { default: def })

export const IncidentsSchema = Obj({
  /** Resource search: the live units nearest a new incident, each with an ETA. */
  search: Obj({
    /** Units returned by the resource search. */
    k: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
    /** Average travel speed per unit kind (km/h) for the ETA; key `default` as fallback. */
    speed_kmh: Speeds({ vehicle: 30, officer: 5, default: 20 }),
    /** Road distance ≈ straight-line distance × this factor. */
    detour_factor: Type.Number({ minimum: 1, default: 1.3 }),
    /** Units farther than this are never proposed (0 = no limit). */
    max_distance_m: Type.Number({ minimum: 0, default: 0 }),
  }),
  /** Hotspots: H3 cells dense in recent incidents, which become priority cells of their zone. */
  hotspots: Obj({
    /** Compute hotspots and make them priority cells; false: incidents do not steer coverage. */
    enabled: Type.Boolean({ default: true }),
    /** H3 resolution the density is counted at (mapped to each zone's coverage resolution). */
    resolution: Type.Integer({ minimum: 0, maximum: 15, default: 9 }),
    /** Rolling window of incidents that count. */
    window: Duration('90d'),
    /** Recency decay: an incident's weight halves every half_life. */
    half_life: Duration('14d'),
    /** Weight per incident type; key `default` for the rest. */
    weights: Type.Record(Type.String(), Type.Number({ minimum: 0 }), { default: { robbery: 3, snatch_theft: 3, burglary: 2, default: 1 } }),
    /** At most this many hotspot cells per zone (bounded so a burst cannot make a zone impossible to cover). */
    top_per_zone: Type.Integer({ minimum: 0, maximum: 100, default: 5 }),
    /** Cells scoring below this are never hotspots. */
    min_score: Type.Number({ minimum: 0, default: 2 }),
    /** max_interval of hotspot priority cells at levels that set no hotspot_interval. */
    max_interval: Duration('15m'),
    /** Recompute this often (and after incidents are added). */
    recompute_every: Duration('10m'),
  }),
  /** Incident-rate suggestion: propose a higher patrol level for a zone with many recent incidents. */
  rate: Obj({
    /** patrol_level.suggested when a zone has at least `threshold` incidents within `window` (0 = off). */
    threshold: Type.Integer({ minimum: 0, default: 0 }),
    /** Window in which incidents are counted against threshold. */
    window: Duration('24h'),
    /** Patrol level (a patrol_levels.ladder name) proposed when the threshold is reached. */
    suggest_level: Type.String({ default: 'enhanced' }),
    /** Apply the suggestion by itself instead of waiting for a human (default off). */
    auto_apply: Type.Boolean({ default: false }),
    /** How long an auto-applied level lasts. */
    auto_expiry: Duration('6h'),
  }),
})

const Level = Obj({
  /** Level name, used by patrol_levels.zones, incidents.rate.suggest_level and the API; unique. */
  name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' }),
  /** Coverage requirements at this level; absent keys keep the zone's own configuration. */
  max_interval: Type.Optional(Duration()),
  /** Required share of fresh cells at this level (instead of zones[].coverage.min_ratio). */
  min_ratio: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  /** Response radius (metres) at this level (instead of zones[].coverage.response_radius_m). */
  response_radius_m: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  /** Visit interval of hotspot cells at this level (instead of incidents.hotspots.max_interval). */
  hotspot_interval: Type.Optional(Duration()),
})

export const PatrolLevelsSchema = Obj({
  /** The patrol levels, lowest first, each with the coverage requirements it sets. */
  ladder: Type.Array(Level, {
    minItems: 1,
    default: [
      { name: 'normal' },
      { name: 'enhanced', max_interval: '20m', hotspot_interval: '10m' },
      { name: 'high', max_interval: '15m', min_ratio: 0.85, hotspot_interval: '8m' },
      { name: 'emergency', max_interval: '10m', min_ratio: 0.9, hotspot_interval: '5m' },
    ],
  }),
  /** Base level per zone id (default: the first rung). */
  zones: Type.Record(Type.String(), Type.String(), { default: {} }),
})

const Checkpoint = Obj({
  /** Checkpoint name, shown in checkpoint events, the map and plan reports. */
  name: Type.String({ minLength: 1 }),
  /** English checkpoint name, used instead of name with locale: en; unset: name. */
  name_en: Type.Optional(Type.String({ minLength: 1 })),
  /** Absolute position … */
  lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
  /** Longitude of an absolute position (with lat); required when the plan's positions are absolute. */
  lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  /** … or, in a plan relative to the scene, metres north and east of it. */
  north_m: Type.Optional(Type.Number()),
  /** Metres east of the scene (positions: scene; unset counts as 0); negative: west. */
  east_m: Type.Optional(Type.Number()),
  /** Responsible units: listed ids and/or every unit of the listed posts. */
  units: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  /** Post ids whose units are all responsible for the checkpoint (with or instead of units). */
  posts: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  /** The N nearest available units at activation (live, not committed to another plan) are responsible too (with or instead of units/posts). */
  nearest: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
  /** A checkpoint not manned this long after activation raises checkpoint.missed. */
  arrive_within: Duration('5m'),
  /** A responsible unit within this many metres of the checkpoint (for the plan's dwell) has arrived. */
  radius_m: Type.Number({ exclusiveMinimum: 0, default: 100 }),
})

/** One plan: a `plans` entry of the config, and the body of POST/PUT /api/v1/plans (src/incidents/plan-body.ts). */
export const PlanSchema = Obj({
  /** Plan id, used to activate it through the API; unique. */
  id: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' }),
  /** Display name in events, the map and reports. */
  name: Type.Optional(Type.String()),
  /** English display name, used instead of name with locale: en; unset: name. */
  name_en: Type.Optional(Type.String()),
  /** scene: checkpoints are offsets from the incident (activation needs a position); absolute: fixed positions. */
  positions: Type.Union([Type.Literal('absolute'), Type.Literal('scene')], { default: 'absolute' }),
  /** A unit counts as arrived after this long within the checkpoint radius. */
  dwell: Duration('30s'),
  /** The positions to man, each with its responsible units and deadline. */
  checkpoints: Type.Array(Checkpoint, { minItems: 1 }),
})

export const PlansSchema = Type.Array(PlanSchema, { default: [] })
