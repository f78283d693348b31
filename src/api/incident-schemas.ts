// TypeBox schemas of the incidents routes (issue 14): incidents and their resource search,
// hotspots, patrol levels and plans. Responses declare every field the handlers send (fastify's
// serializer drops undeclared ones; test/api/conformance.test.ts checks nothing is dropped).
import { Type } from '@sinclair/typebox'
import { Closed, Nullable } from '../wire/schema-helpers.js'

const LatLon = Closed({ lat: Type.Number(), lon: Type.Number() })

export const Proposal = Closed({
  unitId: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  post: Nullable(Type.String()),
  zone: Nullable(Type.String()),
  lat: Type.Number(),
  lon: Type.Number(),
  lastFixAt: Type.Number({ description: 'Time of the fix the position comes from, epoch ms.' }),
  distanceM: Type.Number({ description: 'Great-circle distance, metres (rounded).' }),
  etaS: Type.Number({ description: 'Estimated travel time, seconds: distance × incidents.search.detour_factor at the kind\'s speed.' }),
}, { title: 'ResourceProposal' })

export const CreateResult = Closed({
  id: Type.String(),
  status: Type.Union([Type.Literal('created'), Type.Literal('exists'), Type.Literal('rejected')]),
  reason: Type.Optional(Type.String({ description: 'Why a row was rejected (names the field).' })),
  zone: Type.Optional(Nullable(Type.String({ description: 'The zone the incident lies in; null outside every zone.' }))),
  resources: Type.Optional(Type.Array(Proposal, { description: 'The nearest available units (live incidents only, not imports).' })),
}, { title: 'IncidentResult' })

export const BulkResult = Closed({
  created: Type.Integer(),
  exists: Type.Integer(),
  rejected: Type.Integer(),
  results: Type.Array(CreateResult, { description: 'Rows not created: already stored or rejected.' }),
}, { title: 'IncidentImport' })

/** The fields of an incident row, for the docs: rows are checked one by one in the handler (a bad
 * row is answered `rejected` with the field named; the good rows around it are stored). */
export const IncidentInput = Type.Object({
  id: Type.Optional(Type.Unknown({ description: 'String, 1-128 characters of A-Z a-z 0-9 _ . : - (idempotent: an id already stored is answered `exists`).' })),
  type: Type.Optional(Type.Unknown({ description: 'String of lowercase letters, digits and _ (robbery, snatch_theft, …).' })),
  priority: Type.Optional(Type.Unknown({ description: 'Integer 1 (highest) … 5; default 3.' })),
  time: Type.Optional(Type.Unknown({ description: 'Epoch ms or ISO-8601; default now.' })),
  lat: Type.Optional(Type.Unknown({ description: 'Number -90 … 90.' })),
  lon: Type.Optional(Type.Unknown({ description: 'Number -180 … 180.' })),
  address: Type.Optional(Type.Unknown({ description: 'String, at most 500 characters kept.' })),
  description: Type.Optional(Type.Unknown({ description: 'String, at most 4,000 characters kept.' })),
  incidents: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'Instead of one incident: IncidentInput rows (a bulk import).' })),
}, { additionalProperties: true, title: 'IncidentInput', description: 'Every field is required by the row check: id, type, lat and lon; priority, time, address and description are optional.' })

export const CreateBody = Type.Union([
  IncidentInput,
  Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'IncidentInput rows.' }),
  Type.String({ description: 'text/csv with a header row: id,type,priority,time,lat,lon,address,description (any order).' }),
], { description: 'One incident (with the resource search), an array or { incidents: [...] } of them (a bulk import: stored, no dispatch), or text/csv.' })

export const Assignment = Closed({
  unitId: Type.String(),
  by: Type.String({ description: 'Who assigned it.' }),
  at: Type.Number({ description: 'When, epoch ms.' }),
  distanceM: Nullable(Type.Number({ description: 'Distance to the scene when assigned, metres; null: the unit had no live position.' })),
  etaS: Nullable(Type.Number({ description: 'ETA when assigned, seconds; null: no live position.' })),
  note: Type.String(),
}, { title: 'IncidentAssignment' })

/** An incident's dispatch state (src/incidents/dispatch.ts), in every incident answer. */
export const DispatchProps = {
  status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  assignments: Type.Array(Assignment, { description: 'Units assigned, in order.' }),
  outcome: Nullable(Type.String({ description: 'How it ended (closed incidents).' })),
  closedBy: Nullable(Type.String()),
  closedAt: Nullable(Type.Number()),
}

export const IncidentRow = Closed({
  id: Type.String(),
  type: Type.String(),
  priority: Type.Integer(),
  ts: Type.Number({ description: 'When it happened, epoch ms.' }),
  lat: Type.Number(),
  lon: Type.Number(),
  zone: Type.String({ description: 'Zone id, or "" outside every zone.' }),
  address: Type.String(),
  description: Type.String(),
  ...DispatchProps,
}, { title: 'Incident' })

const Partial = Type.Optional(Type.Literal(true, { description: 'Present while ClickHouse cannot be read: only the incidents not shipped to it yet (journaled in the last moments or during the outage).' }))

export const IncidentList = Closed({ from: Type.Number(), to: Type.Number(), incidents: Type.Array(IncidentRow), partial: Partial })

const PointGeometry = Closed({ type: Type.Literal('Point'), coordinates: Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: '[lon, lat]' }) })
const PolygonGeometry = Closed({ type: Type.Literal('Polygon'), coordinates: Type.Array(Type.Array(Type.Array(Type.Number(), { minItems: 2, maxItems: 2 }))) })

export const IncidentCollection = Closed({
  type: Type.Literal('FeatureCollection'),
  features: Type.Array(Closed({
    type: Type.Literal('Feature'),
    id: Type.String(),
    geometry: PointGeometry,
    properties: Closed({
      id: Type.String(),
      type: Type.String(),
      priority: Type.Integer(),
      ts: Type.Number(),
      zone: Type.String(),
      address: Type.String(),
      description: Type.String(),
      time: Type.String({ description: 'ts as ISO-8601 (UTC).' }),
      ...DispatchProps,
    }),
  })),
  partial: Partial,
}, { title: 'IncidentCollection', description: 'GeoJSON (RFC 7946): coordinates are [lon, lat].' })

export const HotspotCollection = Closed({
  type: Type.Literal('FeatureCollection'),
  computedAt: Nullable(Type.Number({ description: 'When the hotspots were last computed; null before the first computation.' })),
  features: Type.Array(Closed({
    type: Type.Literal('Feature'),
    id: Type.String({ description: '<zone>:<cell>' }),
    geometry: PolygonGeometry,
    properties: Closed({
      zone: Type.String(),
      cell: Type.String({ description: 'H3 cell at the zone\'s coverage resolution.' }),
      score: Type.Number({ description: 'Weighted, decayed incident density.' }),
      incidents: Type.Integer(),
    }),
  })),
}, { title: 'HotspotCollection' })

export const LevelSpec = Closed({
  name: Type.String(),
  rank: Type.Integer({ description: 'Position on the ladder, 0 = lowest.' }),
  maxIntervalMs: Type.Optional(Type.Number()),
  minRatio: Type.Optional(Type.Number()),
  responseRadiusM: Type.Optional(Type.Number()),
  hotspotIntervalMs: Type.Optional(Type.Number()),
}, { title: 'PatrolLevel' })

const LevelOverride = Closed({
  level: Type.String(),
  reason: Type.String(),
  by: Type.String(),
  at: Type.Number(),
  expiresAt: Nullable(Type.Number({ description: 'null: until changed again.' })),
})

const ZoneLevelProps = {
  zoneId: Type.String(),
  level: Type.String({ description: 'In force now.' }),
  base: Type.String({ description: 'The configured level the zone returns to.' }),
  override: Nullable(LevelOverride),
}
export const ZoneLevel = Closed(ZoneLevelProps, { title: 'ZoneLevel' })
const LevelSuggestionProps = {
  id: Type.String({ description: 'The patrol_level.suggested event\'s id.' }),
  zoneId: Type.String(),
  from: Type.String({ description: 'The zone\'s level when it was suggested.' }),
  to: Type.String({ description: 'The suggested level.' }),
  incidents: Type.Integer({ description: 'Incidents in the zone within the window.' }),
  windowMs: Type.Number(),
  at: Type.Number(),
}
export const LevelSuggestion = Closed(LevelSuggestionProps, { title: 'LevelSuggestion' })
export const ClosedLevelSuggestion = Closed({
  ...LevelSuggestionProps,
  status: Type.Union([Type.Literal('accepted'), Type.Literal('dismissed'), Type.Literal('superseded'), Type.Literal('reached')]),
  closedAt: Type.Number(),
  closedBy: Type.String(),
  reason: Nullable(Type.String()),
}, { title: 'ClosedLevelSuggestion' })
export const Levels = Closed({
  ladder: Type.Array(LevelSpec),
  zones: Type.Array(ZoneLevel),
  suggestions: Type.Array(LevelSuggestion, { description: 'Open patrol_level.suggested proposals, oldest first (at most one per zone).' }),
})
export const SuggestionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 300 }) })
export const SuggestionAcceptBody = Type.Object({
  until: Type.Optional(Type.String({ maxLength: 40, description: 'Expiry, epoch ms or ISO-8601; the zone then returns to its base level.' })),
}, { additionalProperties: false })
export const SuggestionDismissBody = Type.Object({
  reason: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false })
export const SuggestionAccepted = Closed({
  suggestion: ClosedLevelSuggestion,
  zone: ZoneLevel,
  changed: Type.Boolean({ description: 'False when the zone already was at that level with that expiry.' }),
  effective: Type.String({ description: 'When the rules apply it: "next tick".' }),
})
export const LevelChanged = Closed({
  ...ZoneLevelProps,
  changed: Type.Boolean({ description: 'False when the zone already was at that level with that expiry.' }),
  effective: Type.String({ description: 'When the rules apply it: "next tick".' }),
})
export const LevelBody = Type.Object({
  level: Type.String({ minLength: 1, maxLength: 64 }),
  reason: Type.String({ minLength: 1, maxLength: 500 }),
  until: Type.Optional(Type.String({ maxLength: 40, description: 'Expiry, epoch ms or ISO-8601; the zone then returns to its base level.' })),
}, { additionalProperties: false })

const NameEn = Type.Optional(Type.String({ description: 'The English name (config name_en), for the live map in English; absent when none is configured. name is in the engine\'s locale.' }))

const CheckpointSpec = Closed({
  name: Type.String(),
  nameEn: NameEn,
  lat: Type.Optional(Type.Number()),
  lon: Type.Optional(Type.Number()),
  northM: Type.Optional(Type.Number({ description: 'Scene-relative plans: metres north of the scene.' })),
  eastM: Type.Optional(Type.Number()),
  units: Type.Array(Type.String(), { description: 'Responsible units (posts expanded).' }),
  nearest: Type.Optional(Type.Integer({ description: 'Also the N nearest available units at activation.' })),
  arriveWithinMs: Type.Number(),
  radiusM: Type.Number(),
})

const PlanSpecProps = {
  id: Type.String(),
  name: Type.String(),
  nameEn: NameEn,
  positions: Type.Union([Type.Literal('absolute'), Type.Literal('scene')]),
  dwellMs: Type.Number(),
  checkpoints: Type.Array(CheckpointSpec),
}

const CheckpointUnit = Closed({
  unitId: Type.String(),
  live: Type.Boolean(),
  distanceM: Nullable(Type.Number()),
  etaS: Nullable(Type.Number()),
  approaching: Nullable(Type.Boolean({ description: 'Closing in since the previous tick; null before two positions.' })),
  inside: Type.Boolean({ description: 'Within the checkpoint radius now.' }),
})

const CheckpointStatus = Closed({
  index: Type.Integer(),
  name: Type.String(),
  nameEn: NameEn,
  lat: Type.Number(),
  lon: Type.Number(),
  radiusM: Type.Number(),
  deadline: Type.Number({ description: 'activatedAt + arrive_within.' }),
  state: Type.Union([Type.Literal('pending'), Type.Literal('missed'), Type.Literal('reached')]),
  reachedAt: Nullable(Type.Number()),
  reachedBy: Nullable(Type.String()),
  missedAt: Nullable(Type.Number()),
  responsible: Type.Array(Type.String()),
  picked: Type.Array(Type.String(), { description: 'Of responsible, the units picked at activation as the nearest available (nearest: N).' }),
  units: Type.Array(CheckpointUnit),
})

export const PlanStatus = Closed({
  activationId: Type.String(),
  incidentId: Nullable(Type.String()),
  centre: Nullable(LatLon),
  activatedAt: Type.Number(),
  by: Type.String(),
  completedAt: Nullable(Type.Number()),
  elapsedMs: Type.Number(),
  checkpoints: Type.Array(CheckpointStatus),
}, { title: 'PlanActivation' })

const VersionProps = {
  version: Type.Integer({ description: 'The version in force: 1 is the config\'s (origin config), later ones come from the API.' }),
  origin: Type.Union([Type.Literal('config'), Type.Literal('api')]),
  by: Type.String({ description: 'Who made this version ("config" for the config\'s).' }),
  at: Nullable(Type.Number({ description: 'When, epoch ms; null for the config\'s version.' })),
}
export const PlanList = Closed({ plans: Type.Array(Closed({ ...PlanSpecProps, ...VersionProps, active: Type.Boolean() })) })
export const PlanDetail = Closed({ ...PlanSpecProps, ...VersionProps, active: Nullable(PlanStatus) }, { title: 'Plan' })
export const ActivateBody = Type.Union([
  Type.Object({
    incident_id: Type.Optional(Type.String({ maxLength: 128, description: 'Centre a scene-relative plan on this incident.' })),
    lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  }, { additionalProperties: false }),
  Type.Null(),
])
export const Deactivated = Closed({ planId: Type.String(), activationId: Type.String(), deactivated: Type.Literal(true) })

/** A plan as POST/PUT /api/v1/plans take it: the shape and units of a `plans` entry of the config (checked by the config's schema). */
export const PlanBody = Type.Object({}, {
  additionalProperties: true,
  description: 'Same keys and units as a plans entry of the config (docs/configuration.md): id, name, name_en, positions (absolute|scene), dwell, checkpoints [{ name, name_en, lat/lon or north_m/east_m, units, posts, nearest, arrive_within, radius_m }].',
})
const PlanVersionProps = {
  planId: Type.String(),
  ...VersionProps,
  deleted: Type.Boolean({ description: 'This version deleted the plan.' }),
  spec: Nullable(Closed(PlanSpecProps, { description: 'The compiled plan in force from this version on; null when deleted.' })),
  source: Nullable(Type.Object({}, { additionalProperties: true, description: 'The body as sent (config shape); null for the config\'s version and deletions.' })),
}
export const PlanVersionView = Closed(PlanVersionProps, { title: 'PlanVersion' })
export const PlanVersions = Closed({ planId: Type.String(), versions: Type.Array(PlanVersionView) })
export const AssignBody = Type.Object({
  units: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 50, description: 'Registered unit ids.' }),
  note: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false })
export const CloseBody = Type.Object({ outcome: Type.String({ minLength: 1, maxLength: 2000, description: 'How the incident ended.' }) }, { additionalProperties: false })
export const AssignResult = Closed({ ...DispatchProps, incidentId: Type.String(), added: Type.Array(Type.String(), { description: 'Units new to the incident by this call (incident.assigned names them); empty: all were assigned already.' }) })
export const DispatchView = Closed({ ...DispatchProps, incidentId: Type.String() }, { title: 'IncidentDispatch' })
export const Candidates = Closed({ incidentId: Type.String(), units: Type.Array(Proposal, { description: 'Nearest available units first: registered, live, not committed to a plan or an open incident.' }) })
