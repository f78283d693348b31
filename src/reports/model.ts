// The report document: what the API returns as JSON, what CSV and HTML render, and what a
// bulletin stores as its body. Times are epoch ms (UTC); durations are ms; ratios are 0..1.
import type { PriorityFigures, SpanStats } from './aggregate.js'
import type { Interval, Stop, TrackFigures, Trip } from './track.js'
import type { PlansSection } from './plans.js'
import type { IntegritySection } from './integrity.js'
import type { MakeUpSection } from './make-up.js'

export interface Score {
  /** 0..100 (see assessment.ts), or null when there was no data at all ("no data", never 100). */
  score: number | null
  /** Units only: what the unit's activity is judged on (its post's `watch` setting). */
  mode?: 'patrol' | 'watch'
  inputs: Record<string, number | null>
  weights: Record<string, number>
}

/** The per-unit figures a report row shows: the track analysis's scalars plus counts and the score. */
export interface UnitRow extends Pick<TrackFigures, 'fixes' | 'firstFixAt' | 'lastFixAt' | 'distanceKm' | 'reportingMs' | 'movingMs' | 'stationaryMs' | 'inRadiusMs' | 'inZoneMs'> {
  unitId: string
  name: string
  kind: string
  postId: string | null
  zoneId: string | null
  cellsVisited: number
  stops: number
  trips: number
  breaches: { count: number; totalMs: number }
  zoneExits: { count: number; totalMs: number }
  silent: { count: number; totalMs: number }
  assessment: Score
}

export interface UnitDetail extends UnitRow {
  stopList: Stop[]
  tripList: Trip[]
  silentPeriods: Interval[]
}

export interface ZoneRow {
  zoneId: string
  name: string
  /** The zone's own min_ratio (a patrol level may raise it: see levels). */
  minRatio: number
  /** The patrol level in force over the period, as consecutive spans (base level when never changed). */
  levels: Array<{ level: string; from: number; to: number }>
  coverage: { samples: number; mean: number | null; min: number | null; belowMinMs: number }
  response: { mean: number | null; min: number | null }
  gaps: SpanStats
  responseGaps: SpanStats
  priorityCells: PriorityFigures[]
  /** Units seen inside the zone: their minutes there and share of all unit-minutes there. */
  units: Array<{ unitId: string; minutes: number; share: number }>
  /** Coverage map: per cell, the share of snapshots in which it was fresh. */
  cells: Array<{ cell: string; fresh: number }>
  assessment: Score
}

export interface PostRow {
  postId: string
  name: string
  radiusM: number
  units: string[]
  /** Time no unit (of any post) was within the post's radius. */
  uncoveredMs: number
  assessment: Score
}

export interface Headline {
  unitsConfigured: number
  /** Configured units with at least one fix in the period. */
  unitsReporting: number
  /** Units not in the config that sent fixes (listed among the units, not counted above). */
  unknownUnitsReporting: number
  distanceKm: number
  coverageMean: number | null
  zonesBelowMin: number
  coverageGaps: number
  breaches: number
  zoneExits: number
  silences: number
  meanUnitScore: number | null
}

export interface Report {
  kind: 'daily' | 'weekly' | 'custom'
  /** Local start date for daily/weekly; '' for a custom range. */
  period: string
  from: number
  to: number
  timezone: string
  generatedAt: number
  headline: Headline
  /** Worst first (lowest score). */
  units: UnitRow[]
  zones: ZoneRow[]
  posts: PostRow[]
  /** Emergency plan activations that started in the period (absent in bulletins stored before it existed). */
  plans?: PlansSection
  /** Patrol integrity signals of the period, per unit (absent in bulletins stored before it existed). */
  integrity?: IntegritySection
  /** Make-up patrol tasks assigned in the period, per zone and unit (absent in bulletins stored before it existed). */
  makeUp?: MakeUpSection
}
