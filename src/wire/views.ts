// The live read model as it goes over the wire: a unit and a zone, as GET /units, GET /zones and
// the stream send them. The TypeBox schema is the one source: the API validates and documents
// with it, the rule engine's views (rules/views.ts) are typed by it (Static<>), and the web
// client imports the types (type-only, erased from its bundle). Low on purpose: rules and api
// both import it, it imports nothing of theirs.
import { Type, type Static } from '@sinclair/typebox'
import { Nullable } from './schema-helpers.js'

export const LastFix = Type.Object({
  lat: Type.Number(),
  lon: Type.Number(),
  ts: Type.Number({ description: 'Fix time (device clock), epoch ms.' }),
  receivedAt: Type.Number({ description: 'Arrival at the engine, epoch ms.' }),
  speed: Nullable(Type.Number()),
  heading: Nullable(Type.Number()),
  accuracy: Nullable(Type.Number()),
  battery: Nullable(Type.Number({ description: 'Battery level of the last fix, %, or null when the device did not say.' })),
  h3: Type.String(),
})

export const Unit = Type.Object({
  id: Type.String(),
  name: Type.String(),
  callsign: Nullable(Type.String({ description: 'Radio callsign from the config (units[].callsign), or null.' })),
  nameEn: Type.Optional(Type.String({ description: 'The English name (config name_en), for the live map in English; absent when none is configured.' })),
  kind: Type.String(),
  known: Type.Boolean({ description: 'False for units that report but are not in the config.' }),
  post: Nullable(Type.String()),
  zone: Nullable(Type.String()),
  lastFix: Nullable(LastFix),
  lastSeenAt: Nullable(Type.Number({ description: 'When the engine last received anything from the unit (engine clock), epoch ms.' })),
  clockOffsetMs: Nullable(Type.Number({ description: 'Estimated device clock offset, ms (device − engine; positive: the device clock runs ahead).' })),
  silent: Type.Boolean(),
  inBreach: Type.Boolean(),
  outsideZone: Type.Boolean(),
  distanceFromPostM: Nullable(Type.Number()),
}, { title: 'Unit' })

export const Zone = Type.Object({
  id: Type.String(),
  name: Type.String(),
  nameEn: Type.Optional(Type.String({ description: 'The English name (config name_en), for the live map in English; absent when none is configured.' })),
  cellCount: Type.Integer(),
  ratio: Type.Number({ description: 'Fresh share of the zone cells, 0..1.' }),
  fresh: Type.Integer(),
  minRatio: Type.Number(),
  inGrace: Type.Boolean(),
  responseRatio: Nullable(Type.Number({ description: 'Share of cells within the response radius of a live unit at the last tick; null without response_radius_m or before the first tick.' })),
  openGap: Type.Boolean(),
  openResponseGap: Type.Boolean(),
}, { title: 'Zone' })

export type LastFixView = Static<typeof LastFix>
export type UnitView = Static<typeof Unit>
export type ZoneView = Static<typeof Zone>
