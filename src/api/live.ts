// Live state from the rule engine: units, zones and their coverage, nearest-unit search, and a
// unit's stored track from ClickHouse.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { HexpatrolError } from '../errors.js'
import type { ApiContext } from './context.js'
import { notFound } from './errors.js'

const IdParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 128 } } } as const

function engineOf(ctx: ApiContext) {
  if (ctx.engine === undefined) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'The rule engine is not running.')
  return ctx.engine
}

export const livePlugin = fp(async (app: FastifyInstance, opts: { ctx: ApiContext }) => {
  const { ctx } = opts
  app.get('/api/v1/units', async () => ({ units: engineOf(ctx).units(ctx.now()) }))
  app.get<{ Params: { id: string } }>('/api/v1/units/:id', { schema: { params: IdParams } }, async (req) => {
    const u = engineOf(ctx).unit(req.params.id, ctx.now())
    if (u === undefined) throw notFound(`unit ${req.params.id}`)
    return u
  })
  app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string; limit: number } }>('/api/v1/units/:id/track', {
    schema: {
      params: IdParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { from: { type: 'string', maxLength: 40 }, to: { type: 'string', maxLength: 40 }, limit: { type: 'integer', minimum: 1, maximum: 100_000, default: 10_000 } },
      },
    },
  }, async (req) => {
    if (ctx.track === undefined) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'ClickHouse is not connected.')
    const now = ctx.now()
    const to = parseTime(req.query.to, now, 'to')
    const from = parseTime(req.query.from, to - 3_600_000, 'from')
    if (from > to) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', '"from" is after "to".')
    return { unitId: req.params.id, from, to, points: await ctx.track(req.params.id, from, to, req.query.limit) }
  })
  app.get('/api/v1/zones', async () => ({ zones: engineOf(ctx).zones(ctx.now()) }))
  app.get<{ Params: { id: string }; Querystring: { limit: number } }>('/api/v1/zones/:id/coverage', {
    schema: { params: IdParams, querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 0, maximum: 100_000, default: 200 } } } },
  }, async (req) => {
    const c = engineOf(ctx).zoneCoverage(req.params.id, ctx.now(), req.query.limit)
    if (c === undefined) throw notFound(`zone ${req.params.id}`)
    return c
  })
  app.get<{ Querystring: { lat: number; lon: number; k: number; kind?: string; max_distance_m?: number; include_silent: boolean } }>('/api/v1/search/nearest', {
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        required: ['lat', 'lon'],
        properties: {
          lat: { type: 'number', minimum: -90, maximum: 90 },
          lon: { type: 'number', minimum: -180, maximum: 180 },
          k: { type: 'integer', minimum: 1, maximum: 100, default: 5 },
          kind: { type: 'string', maxLength: 64 },
          max_distance_m: { type: 'number', exclusiveMinimum: 0 },
          include_silent: { type: 'boolean', default: false },
        },
      },
    },
  }, async (req) => {
    const q = req.query
    const o: { k: number; kind?: string; maxDistanceM?: number; includeSilent?: boolean } = { k: q.k, includeSilent: q.include_silent }
    if (q.kind !== undefined) o.kind = q.kind
    if (q.max_distance_m !== undefined) o.maxDistanceM = q.max_distance_m
    return { lat: q.lat, lon: q.lon, units: engineOf(ctx).nearest(q.lat, q.lon, o, ctx.now()) }
  })
}, { name: 'hexpatrol-live' })

function parseTime(value: string | undefined, fallback: number, key: string): number {
  if (value === undefined || value === '') return fallback
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (!Number.isFinite(n)) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', `"${key}" must be epoch milliseconds or an ISO-8601 time.`)
  return n
}
