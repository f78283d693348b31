// TypeBox schemas of the reports routes (issue 13's documents): the fleet report, a unit's
// summary, stops, trips, route and events, and the bulletins. JSON bodies are declared field by
// field (fastify's serializer drops undeclared ones); format=csv and format=html are text.
import { Type, type TSchema } from '@sinclair/typebox'
import { Closed, Nullable } from '../wire/schema-helpers.js'

const LatLon = Closed({ lat: Type.Number(), lon: Type.Number() })
const Span = Closed({ count: Type.Integer(), totalMs: Type.Number() })
const SpanStats = Closed({ count: Type.Integer(), totalMs: Type.Number(), longestMs: Type.Number() })
const Interval = { from: Type.Number(), to: Type.Number() }

const Score = Closed({
  score: Nullable(Type.Number({ description: '0..100 (docs/reports-and-bulletins.md, assessment); null: no data at all.' })),
  mode: Type.Optional(Type.Union([Type.Literal('patrol'), Type.Literal('watch')])),
  inputs: Type.Record(Type.String(), Nullable(Type.Number())),
  weights: Type.Record(Type.String(), Type.Number()),
})

const UnitRowProps = {
  unitId: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  postId: Nullable(Type.String()),
  zoneId: Nullable(Type.String()),
  fixes: Type.Integer(),
  firstFixAt: Nullable(Type.Number()),
  lastFixAt: Nullable(Type.Number()),
  distanceKm: Type.Number(),
  reportingMs: Type.Number(),
  movingMs: Type.Number(),
  stationaryMs: Type.Number(),
  inRadiusMs: Nullable(Type.Number()),
  inZoneMs: Nullable(Type.Number()),
  cellsVisited: Type.Integer(),
  stops: Type.Integer(),
  trips: Type.Integer(),
  breaches: Span,
  zoneExits: Span,
  silent: Span,
  assessment: Score,
}
const UnitRow = Closed(UnitRowProps, { title: 'ReportUnit' })

export const Stop = Closed({ ...Interval, lat: Type.Number(), lon: Type.Number(), durationMs: Type.Number() }, { title: 'Stop' })
export const Trip = Closed({ ...Interval, durationMs: Type.Number(), distanceKm: Type.Number(), start: LatLon, end: LatLon }, { title: 'Trip' })

const ZoneRow = Closed({
  zoneId: Type.String(),
  name: Type.String(),
  minRatio: Type.Number(),
  levels: Type.Array(Closed({ level: Type.String(), ...Interval }), { description: 'The patrol level in force over the period.' }),
  coverage: Closed({ samples: Type.Integer(), mean: Nullable(Type.Number()), min: Nullable(Type.Number()), belowMinMs: Type.Number() }),
  response: Closed({ mean: Nullable(Type.Number()), min: Nullable(Type.Number()) }),
  gaps: SpanStats,
  responseGaps: SpanStats,
  priorityCells: Type.Array(Closed({ cell: Type.String(), name: Nullable(Type.String()), maxIntervalMs: Type.Number(), maxOverdueMs: Type.Number(), overdueMs: Type.Number(), neverVisited: Type.Boolean() })),
  units: Type.Array(Closed({ unitId: Type.String(), minutes: Type.Number(), share: Type.Number() })),
  cells: Type.Array(Closed({ cell: Type.String(), fresh: Type.Number({ description: 'Share of snapshots in which the cell was fresh.' }) })),
  assessment: Score,
}, { title: 'ReportZone' })

const PostRow = Closed({
  postId: Type.String(),
  name: Type.String(),
  radiusM: Type.Number(),
  units: Type.Array(Type.String()),
  uncoveredMs: Type.Number(),
  assessment: Score,
}, { title: 'ReportPost' })

export const Headline = Closed({
  unitsConfigured: Type.Integer(),
  unitsReporting: Type.Integer(),
  unknownUnitsReporting: Type.Integer(),
  distanceKm: Type.Number(),
  coverageMean: Nullable(Type.Number()),
  zonesBelowMin: Type.Integer(),
  coverageGaps: Type.Integer(),
  breaches: Type.Integer(),
  zoneExits: Type.Integer(),
  silences: Type.Integer(),
  meanUnitScore: Nullable(Type.Number()),
})

const CheckpointFigures = Closed({
  index: Type.Integer(),
  name: Type.String(),
  responsible: Type.Array(Type.String()),
  arriveWithinMs: Type.Number(),
  status: Type.Union([Type.Literal('on_time'), Type.Literal('late'), Type.Literal('missed'), Type.Literal('pending')], { description: 'on_time: reached within arrive_within; late: reached after a miss; missed: never reached; pending: the plan is still active.' }),
  mannedBy: Nullable(Type.String()),
  reachedAt: Nullable(Type.Number()),
  timeToManMs: Nullable(Type.Number({ description: 'Activation to arrival.' })),
  missedAt: Nullable(Type.Number()),
})

const PlanActivation = Closed({
  activationId: Type.String(),
  planId: Type.String(),
  planName: Type.String(),
  incidentId: Nullable(Type.String()),
  activatedAt: Type.Number(),
  completedAt: Nullable(Type.Number()),
  deactivatedAt: Nullable(Type.Number()),
  manned: Type.Integer(),
  allMannedMs: Nullable(Type.Number({ description: 'Until the last checkpoint was manned (plan.completed).' })),
  checkpoints: Type.Array(CheckpointFigures),
})

export const PlansSection = Closed({
  summary: Closed({
    activations: Type.Integer(),
    checkpoints: Type.Integer(),
    onTime: Type.Integer(),
    late: Type.Integer(),
    missed: Type.Integer(),
    meanTimeToManMs: Nullable(Type.Number()),
    maxTimeToManMs: Nullable(Type.Number()),
  }),
  activations: Type.Array(PlanActivation),
}, { title: 'PlansSection' })

export const PlansReport = Closed({ ...Interval, summary: PlansSection.properties.summary, activations: PlansSection.properties.activations }, { title: 'PlansReport' })

const IntegrityFact = Closed({
  kind: Type.String(),
  from: Type.Number(),
  to: Type.Number(),
  relatedUnitId: Nullable(Type.String()),
  evidence: Type.Record(Type.String(), Type.Number(), { description: 'The figures behind the signal; names carry their unit (…Minutes, …M, …Kmh, …Share).' }),
}, { title: 'IntegrityFact' })

export const IntegritySection = Closed({
  summary: Closed({ units: Type.Integer(), signals: Type.Integer(), kinds: Type.Record(Type.String(), Type.Integer()) }),
  units: Type.Array(Closed({
    unitId: Type.String(),
    name: Type.String(),
    signals: Type.Integer(),
    kinds: Type.Record(Type.String(), Type.Integer(), { description: 'Signals per kind.' }),
    spanMs: Type.Number({ description: 'Fix time the signals span, summed.' }),
    stationaryMs: Type.Number({ description: 'Long stationary periods counted as patrol time (stationary_share), summed.' }),
    facts: Type.Array(IntegrityFact),
  }), { description: 'Units with the most signals first.' }),
}, { title: 'IntegritySection', description: 'Patrol integrity signals (facts with evidence, not verdicts) overlapping the period.' })
const MakeUpFigures = {
  assigned: Type.Integer(),
  completed: Type.Integer(),
  expired: Type.Integer({ description: 'Abandoned (the unit stayed away) or past the deadline.' }),
  abandoned: Type.Integer({ description: 'Of expired: the unit stayed away.' }),
  cancelled: Type.Integer(),
  open: Type.Integer({ description: 'Neither completed, expired nor cancelled when the report was made.' }),
  completionRate: Nullable(Type.Number({ description: 'completed / (completed + expired); null when no task ran its course.' })),
  medianTimeToCompleteMs: Nullable(Type.Number({ description: 'Median assignment → completion over the completed tasks.' })),
  cellsRecovered: Type.Integer({ description: 'Cells the tasks\' units visited.' }),
  cellsAssigned: Type.Integer(),
}

export const MakeUpSection = Closed({
  summary: Closed(MakeUpFigures),
  zones: Type.Array(Closed({ zoneId: Type.String(), name: Type.String(), ...MakeUpFigures }), { description: 'Most tasks first.' }),
  units: Type.Array(Closed({ unitId: Type.String(), ...MakeUpFigures }), { description: 'Most tasks first.' }),
}, { title: 'MakeUpSection', description: 'Make-up patrol tasks assigned in the period (outcomes after its end included).' })

export const Report = Closed({
  kind: Type.Union([Type.Literal('daily'), Type.Literal('weekly'), Type.Literal('custom')]),
  period: Type.String({ description: 'Local start date of a daily/weekly period; "" for a custom range.' }),
  from: Type.Number(),
  to: Type.Number(),
  timezone: Type.String(),
  generatedAt: Type.Number(),
  headline: Headline,
  units: Type.Array(UnitRow, { description: 'Worst first (lowest score).' }),
  zones: Type.Array(ZoneRow),
  posts: Type.Array(PostRow),
  plans: Type.Optional(PlansSection),
  integrity: Type.Optional(IntegritySection),
  makeUp: Type.Optional(MakeUpSection),
}, { title: 'Report' })

export const UnitSummary = Closed({
  ...Interval,
  ...UnitRowProps,
  stopList: Type.Array(Stop),
  tripList: Type.Array(Trip),
  silentPeriods: Type.Array(Closed(Interval)),
}, { title: 'UnitReport' })

export const UnitStops = Closed({ unitId: Type.String(), ...Interval, stops: Type.Array(Stop) })
export const UnitTrips = Closed({ unitId: Type.String(), ...Interval, trips: Type.Array(Trip) })

const RoutePoint = Closed({ ts: Type.Number(), lat: Type.Number(), lon: Type.Number(), speed: Nullable(Type.Number()), accuracy: Nullable(Type.Number()), flags: Type.Integer({ description: 'Quality flags; 0 = used by the rules.' }) })
export const UnitRoute = Closed({ unitId: Type.String(), ...Interval, points: Type.Array(RoutePoint) })

const EventRow = Closed({
  at: Type.Number(),
  type: Type.String({ description: '<kind>.<state>, e.g. radius_breach.opened.' }),
  alert_id: Type.String(),
  subject: Type.String(),
  unit_id: Type.String(),
  zone_id: Type.String(),
  summary: Type.String(),
  lat: Nullable(Type.Number()),
  lon: Nullable(Type.Number()),
})
export const UnitEvents = Closed({ unitId: Type.String(), ...Interval, events: Type.Array(EventRow) })
export const FleetEvents = Closed({ ...Interval, events: Type.Array(EventRow) })

export const BulletinList = Closed({
  bulletins: Type.Array(Closed({ kind: Type.String(), period: Type.String(), generated_at: Type.Number(), generations: Type.Integer({ description: 'Stored generations (a regeneration adds one).' }) })),
})

export const Regenerated = Closed({ kind: Type.String(), period: Type.String(), generatedAt: Type.Number(), delivered: Type.Boolean(), headline: Headline })

const Text = (description: string) => ({ schema: Type.String({ description }) })
/**
 * A 200 that is JSON by default, or CSV / HTML text when asked (format= or Accept): fastify's
 * per-content-type response form (typed as a schema for responses(); fastify and the OpenAPI
 * generator read `content`). Text bodies are sent as strings, which fastify never serializes.
 */
export const jsonOrText = (json: TSchema, html: boolean): TSchema => ({
  content: {
    'application/json': { schema: json },
    'text/csv': Text('format=csv or Accept: text/csv: one row per item, a header row first.'),
    ...(html ? { 'text/html': Text('format=html or Accept: text/html: the printable page.') } : {}),
  },
}) as unknown as TSchema
