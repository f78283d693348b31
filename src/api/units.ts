// Units: live state (list with filters, one unit with its open alerts and clock offset, a GeoJSON
// layer), the nearest-unit search for dispatch, and a unit's stored track (JSON or GeoJSON).
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HexpatrolError } from '../errors.js'
import type { RuleEngine, UnitView } from '../rules/engine.js'
import type { ApiContext } from './context.js'
import { notFound } from './errors.js'
import { AlertView, FeatureCollection, IdParams, responses } from './schemas.js'
import { Unit } from '../wire/views.js'
import { parseTime } from './time-param.js'

export function engineOf(ctx: ApiContext): RuleEngine {
  if (ctx.engine === undefined) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'The rule engine is not running.')
  return ctx.engine
}

const Status = Type.Union(['live', 'silent', 'in_breach', 'outside_zone', 'no_fix'].map((s) => Type.Literal(s)))
const UnitFilter = Type.Object({
  kind: Type.Optional(Type.String({ maxLength: 64 })),
  zone: Type.Optional(Type.String({ maxLength: 128 })),
  post: Type.Optional(Type.String({ maxLength: 128 })),
  status: Type.Optional(Status),
}, { additionalProperties: false })

function statusOf(u: UnitView): Array<Static<typeof Status>> {
  if (u.lastFix === null) return ['no_fix']
  const s: Array<Static<typeof Status>> = [u.silent ? 'silent' : 'live']
  if (u.inBreach) s.push('in_breach')
  if (u.outsideZone) s.push('outside_zone')
  return s
}

export function filterUnits(units: UnitView[], f: Static<typeof UnitFilter>): UnitView[] {
  return units.filter((u) =>
    (f.kind === undefined || u.kind === f.kind) &&
    (f.zone === undefined || u.zone === f.zone) &&
    (f.post === undefined || u.post === f.post) &&
    (f.status === undefined || statusOf(u).includes(f.status)))
}

/** A live unit as a GeoJSON Point feature (units without a fix have no geometry and are left out). */
export function unitFeature(u: UnitView): { type: 'Feature'; id: string; geometry: { type: string; coordinates: number[] }; properties: Record<string, unknown> } {
  const f = u.lastFix!
  const { lastFix: _l, ...rest } = u
  return { type: 'Feature', id: u.id, geometry: { type: 'Point', coordinates: [f.lon, f.lat] }, properties: { ...rest, ts: f.ts, speed: f.speed, heading: f.heading, accuracy: f.accuracy, battery: f.battery, h3: f.h3 } }
}

const NearestQuery = Type.Object({
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  k: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  kind: Type.Optional(Type.String({ maxLength: 64 })),
  max_distance_m: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 20_037_509 })),
  include_silent: Type.Boolean({ default: false }),
}, { additionalProperties: false })
const NearestReply = Type.Object({
  lat: Type.Number(),
  lon: Type.Number(),
  units: Type.Array(Type.Composite([Unit, Type.Object({ distanceM: Type.Number({ description: 'Great-circle distance, metres.' }) })])),
})

// The detail's clockOffsetMs is the last fix's own offset (it replaces the list's estimate).
const UnitDetail = Type.Composite([Type.Omit(Unit, ['clockOffsetMs']), Type.Object({
  openAlerts: Type.Array(AlertView),
  clockOffsetMs: Type.Union([Type.Number(), Type.Null()], { description: 'Last fix time minus its arrival time: positive when the device clock runs ahead (includes transmission delay).' }),
})])

const TrackPoint = Type.Object({ ts: Type.Number(), lat: Type.Number(), lon: Type.Number(), speed: Type.Union([Type.Number(), Type.Null()]), accuracy: Type.Union([Type.Number(), Type.Null()]), h3: Type.String(), flags: Type.Integer() })
const TrackJson = Type.Object({
  unitId: Type.String(),
  from: Type.Number(),
  to: Type.Number(),
  points: Type.Array(TrackPoint),
  next: Type.Union([Type.Number(), Type.Null()], { description: 'When `limit` points came back: the `from` of the next page (the last point\'s time + 1 ms).' }),
})
/** A track larger than this is read in pages (`next`): bounds the memory and the serialisation time of one answer. */
const MAX_TRACK_POINTS = 50_000

export const unitsPlugin: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, opts) => {
  const { ctx } = opts
  app.get('/api/v1/units', {
    schema: { tags: ['units'], summary: 'Live units, filtered by kind, zone, post or status', querystring: UnitFilter, response: responses({ 200: Type.Object({ units: Type.Array(Unit) }) }) },
  }, async (req) => ({ units: filterUnits(engineOf(ctx).units(ctx.now()), req.query) }))

  app.get('/api/v1/units.geojson', {
    schema: { tags: ['units', 'geojson'], summary: 'Live units with a position, as GeoJSON points', querystring: UnitFilter, response: responses({ 200: FeatureCollection }) },
  }, async (req, reply) => {
    const units = filterUnits(engineOf(ctx).units(ctx.now()), req.query).filter((u) => u.lastFix !== null)
    return reply.type('application/geo+json').send({ type: 'FeatureCollection' as const, features: units.map(unitFeature) })
  })

  const nearest = async (req: { query: Static<typeof NearestQuery> }) => {
    const q = req.query
    const units = engineOf(ctx).nearest(q.lat, q.lon, { k: q.k, kind: q.kind, maxDistanceM: q.max_distance_m, includeSilent: q.include_silent }, ctx.now())
    return { lat: q.lat, lon: q.lon, units }
  }
  const nearestSchema = { querystring: NearestQuery, response: responses({ 200: NearestReply }) }
  app.get('/api/v1/units/nearest', {
    schema: { tags: ['units'], summary: 'The k live units nearest a point (great-circle distance, nearest first)', ...nearestSchema },
  }, nearest)
  app.get('/api/v1/search/nearest', {
    schema: { tags: ['units'], summary: 'Deprecated alias of /api/v1/units/nearest', deprecated: true, ...nearestSchema },
  }, nearest)

  app.get('/api/v1/units/:id', {
    schema: { tags: ['units'], summary: 'One unit: last fix, status, open alerts, distance to post, clock offset', params: IdParams, response: responses({ 200: UnitDetail }) },
  }, async (req) => {
    const e = engineOf(ctx)
    const u = e.unit(req.params.id, ctx.now())
    if (u === undefined) throw notFound(`unit ${req.params.id}`)
    const openAlerts = e.openAlerts().filter((a) => a.last.unitId === u.id)
    return { ...u, openAlerts, clockOffsetMs: u.lastFix === null ? null : u.lastFix.ts - u.lastFix.receivedAt }
  })

  app.get('/api/v1/units/:id/track', {
    config: { expensive: true },
    schema: {
      tags: ['units', 'geojson'],
      summary: 'A unit\'s stored track (ClickHouse), as JSON points or a GeoJSON LineString with times',
      params: IdParams,
      querystring: Type.Object({
        from: Type.Optional(Type.String({ maxLength: 40, description: 'Epoch ms or ISO-8601; default to − 1 h.' })),
        to: Type.Optional(Type.String({ maxLength: 40, description: 'Epoch ms or ISO-8601; default now.' })),
        limit: Type.Integer({ minimum: 1, maximum: MAX_TRACK_POINTS, default: 10_000 }),
        format: Type.Union([Type.Literal('json'), Type.Literal('geojson')], { default: 'json' }),
      }, { additionalProperties: false }),
      response: responses({ 200: Type.Union([TrackJson, FeatureCollection]) }),
    },
  }, async (req, reply) => {
    if (ctx.track === undefined) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'ClickHouse is not connected.')
    const to = parseTime(req.query.to, ctx.now(), 'to')
    const from = parseTime(req.query.from, to - 3_600_000, 'from')
    if (from > to) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', '"from" is after "to".')
    const points = await ctx.track(req.params.id, from, to, req.query.limit)
    if (req.query.format === 'json') return { unitId: req.params.id, from, to, points, next: points.length === req.query.limit ? points[points.length - 1]!.ts + 1 : null }
    const line = {
      type: 'Feature' as const,
      id: req.params.id,
      // A LineString needs two positions; a single fix is a Point.
      geometry: points.length === 1 ? { type: 'Point', coordinates: [points[0]!.lon, points[0]!.lat] } : { type: 'LineString', coordinates: points.map((p) => [p.lon, p.lat]) },
      properties: { unitId: req.params.id, from, to, times: points.map((p) => p.ts), speeds: points.map((p) => p.speed), accuracies: points.map((p) => p.accuracy) },
    }
    return reply.type('application/geo+json').send({ type: 'FeatureCollection' as const, features: points.length === 0 ? [] : [line] })
  })
}
