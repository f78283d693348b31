// Config keys of make-up patrols (`patrol_tasks`): how overdue cells are grouped into tasks, how a
// unit is chosen and tracked, and the automatic mode's bounds. Each zone chooses its mode with
// zones[].coverage.make_up. The ETA reuses incidents.search (speeds, detour) and a visit reuses
// rules.coverage_max_accuracy_m, path_max_gap and path_max_distance_m: one owner per idea.
// Plugged into the root schema by src/config/schema.ts; compiled by src/patrol-tasks/compile.ts.
import { Type } from '@sinclair/typebox'
import { Duration, Obj } from './schema-parts.js'

/** zones[].coverage.make_up: off (no proposals), propose (a dispatcher accepts them), auto (assigned after patrol_tasks.auto_after). */
export const MakeUpMode = Type.Union([Type.Literal('off'), Type.Literal('propose'), Type.Literal('auto')], { default: 'propose' })

export const PatrolTasksSchema = Obj({
  /** Overdue cells within this many H3 steps of each other form one task. */
  link_rings: Type.Integer({ minimum: 0, maximum: 10, default: 2 }),
  /** A group of overdue cells larger than this is cut into several tasks. */
  max_cells: Type.Integer({ minimum: 1, maximum: 500, default: 30 }),
  /** Added to the ETA of a unit of another zone when choosing the unit (0: zones do not matter). */
  other_zone_penalty: Duration('10m'),
  /** Added to the cost of a unit of this kind when choosing the unit (e.g. armoured: 1h keeps armoured cars for last); kinds not listed: 0. */
  kind_penalty: Type.Record(Type.String(), Duration(), { default: {} }),
  /** Added to the cost of a unit with a post when the task lies outside its post's radius (the unit would breach it: radius_breach); 0: posts do not matter. */
  outside_post_penalty: Duration('10m'),
  /** Added to the cost for each make-up task the unit was given within load_window (spreads the work over the fleet; 0: load does not matter). */
  load_penalty: Duration('5m'),
  /** The span over which a unit's make-up tasks count as its load (about a shift). */
  load_window: Duration('8h'),
  /** A unit whose ETA to the task exceeds this is not proposed (0: no limit). */
  max_eta: Duration('0s'),
  /** A unit farther than this (metres) from every cell still to visit is away from its task. */
  away_m: Type.Number({ exclusiveMinimum: 0, default: 500 }),
  /** A task is abandoned (patrol_task.expired, reason abandoned) once its unit was away this long (counted after its ETA). */
  abandon_after: Duration('10m'),
  /** A task not completed this long after assignment expires (patrol_task.expired, reason deadline). */
  expire_after: Duration('2h'),
  /** A dismissed proposal stays hidden this long. */
  dismiss_for: Duration('30m'),
  /** Ended tasks kept for the API and the map (oldest dropped first). */
  keep_ended: Type.Integer({ minimum: 0, maximum: 100_000, default: 500 }),
  /** Zones in automatic mode: the best proposals are assigned once the zone's coverage_gap has been open this long. */
  auto_after: Duration('15m'),
  /** Zones in automatic mode: at most this many open tasks per zone (and always at most one per unit). */
  auto_max_per_zone: Type.Integer({ minimum: 1, maximum: 100, default: 2 }),
  /** Proposals are recomputed this often (and at the first rule tick after a coverage_gap opens). */
  refresh_every: Duration('30s'),
})
