// Incidents, hotspots, patrol levels and emergency plans over HTTP (issue 14). Reads need scope
// `read`, changes `operate` (config.scope, enforced by the API's token hook before validation);
// every change gets an audit row (audit hook) with the details set here, and a log line.
// Request and response schemas: incident-schemas.ts.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { cellToBoundary } from 'h3-js'
import { HexpatrolError } from '../errors.js'
import type { IncidentService } from '../incidents/service.js'
import { parseCsv, type IncidentInput } from '../incidents/incident.js'
import { LevelError } from '../incidents/levels.js'
import { PlanError } from '../incidents/plans.js'
import type { ApiContext } from './context.js'
import { notFound } from './errors.js'
import { IdParams, responses } from './schemas.js'
import {
  ActivateBody, BulkResult, CreateBody, CreateResult, Deactivated, HotspotCollection, IncidentCollection, IncidentList,
  LevelBody, LevelChanged, Levels, PlanDetail, PlanList, PlanStatus,
} from './incident-schemas.js'

const MAX_BULK = 100_000
/** Incidents per list answer: bounds its memory (narrow from/to for more). */
const MAX_LIST = 10_000
const tags = ['incidents']

function timeParam(value: string | undefined, fallback: number, key: string): number {
  if (value === undefined || value === '') return fallback
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (!Number.isFinite(n)) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', `"${key}" must be epoch milliseconds or an ISO-8601 time.`)
  return n
}

const ring = (cell: string) => cellToBoundary(cell, true).concat([cellToBoundary(cell, true)[0] as [number, number]])

export const incidentsPlugin: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, opts) => {
  const { ctx } = opts
  const svc = (): IncidentService => {
    const s = (ctx as ApiContext & { incidents?: IncidentService }).incidents
    if (s === undefined) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'The incidents stage is not running.')
    return s
  }
  // The token hook ran first: operate routes always have a principal.
  const actor = (req: FastifyRequest) => (req.principal as { name: string }).name
  const audit = (req: FastifyRequest, action: string, target: string, details: Record<string, unknown>) => {
    req.log.info({ actor: actor(req), action, target, details }, `Audit: ${action} ${target}.`)
    req.auditDetails = { target, ...details }
  }

  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body))

  app.post('/api/v1/incidents', {
    config: { scope: 'operate', action: 'incident.create' },
    schema: {
      tags,
      summary: 'Report an incident (answered with the nearest available units), or import many (CSV or JSON)',
      querystring: Type.Object({ import: Type.Boolean({ default: false, description: 'A single past incident: stored, no resource search, no incident.opened.' }) }, { additionalProperties: false }),
      body: CreateBody,
      response: responses({
        201: CreateResult,
        200: Type.Union([CreateResult, BulkResult], { description: 'A single incident already stored (status `exists`), or the counts of a bulk import.' }),
      }),
    },
  }, async (req, reply) => {
    const body = req.body
    let inputs: IncidentInput[]
    let single = false
    if (typeof body === 'string' && /^text\/csv/i.test(req.headers['content-type'] ?? '')) inputs = parseCsv(body)
    else if (Array.isArray(body)) inputs = body as IncidentInput[]
    else if (body !== null && typeof body === 'object' && Array.isArray((body as { incidents?: unknown }).incidents)) inputs = (body as { incidents: IncidentInput[] }).incidents
    else if (body !== null && typeof body === 'object') {
      inputs = [body as IncidentInput]
      single = true
    } else throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', 'Send an incident object, an array (or { incidents: [...] }) of them, or text/csv.')
    if (inputs.length > MAX_BULK) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', `At most ${MAX_BULK} incidents per request.`)
    // A bulk import brings past incidents: stored and counted for hotspots, no dispatch.
    const search = single && !req.query.import
    const results = await svc().add(inputs, { source: single ? 'api' : 'import', search, by: actor(req) })
    const created = results.filter((r) => r.status === 'created')
    if (created.length > 0) audit(req, single ? 'incident.create' : 'incident.import', single ? (created[0] as { id: string }).id : `${created.length} incidents`, { created: created.length })
    if (single) {
      const r = results[0] as (typeof results)[number]
      if (r.status === 'rejected') throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', r.reason as string)
      return reply.status(r.status === 'created' ? 201 : 200).send(r)
    }
    const n = (s: string) => results.filter((r) => r.status === s).length
    return { created: n('created'), exists: n('exists'), rejected: n('rejected'), results: results.filter((r) => r.status !== 'created') }
  })

  app.get('/api/v1/incidents', {
    config: { scope: 'read', expensive: true },
    schema: {
      tags: [...tags, 'geojson'],
      summary: 'Stored incidents of a period, newest first (JSON, or GeoJSON points)',
      querystring: Type.Object({
        from: Type.Optional(Type.String({ maxLength: 40, description: 'Epoch ms or ISO-8601; default to − 30 days.' })),
        to: Type.Optional(Type.String({ maxLength: 40, description: 'Epoch ms or ISO-8601; default now.' })),
        type: Type.Optional(Type.String({ maxLength: 64 })),
        zone: Type.Optional(Type.String({ maxLength: 128 })),
        format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('geojson')])),
        limit: Type.Integer({ minimum: 1, maximum: MAX_LIST, default: 1_000 }),
      }, { additionalProperties: false }),
      response: responses({ 200: Type.Union([IncidentList, IncidentCollection]) }),
    },
  }, async (req) => {
    const q = req.query
    const now = ctx.now()
    const to = timeParam(q.to, now, 'to')
    const from = timeParam(q.from, to - 30 * 86_400_000, 'from')
    const { rows, partial } = await svc().query({ from, to, limit: q.limit, ...(q.type === undefined ? {} : { type: q.type }), ...(q.zone === undefined ? {} : { zone: q.zone }) })
    const mark = partial ? { partial: true as const } : {}
    if (q.format !== 'geojson') return { from, to, incidents: rows, ...mark }
    return {
      type: 'FeatureCollection' as const,
      features: rows.map(({ lat, lon, ...p }) => ({ type: 'Feature' as const, id: p.id, geometry: { type: 'Point' as const, coordinates: [lon, lat] }, properties: { ...p, time: new Date(p.ts).toISOString() } })),
      ...mark,
    }
  })

  app.get('/api/v1/hotspots', {
    config: { scope: 'read' },
    schema: {
      tags: [...tags, 'geojson'],
      summary: 'Hotspot cells (the top incident-density cells per zone) as GeoJSON polygons with their score',
      querystring: Type.Object({ zone: Type.Optional(Type.String({ maxLength: 128 })) }, { additionalProperties: false }),
      response: responses({ 200: HotspotCollection }),
    },
  }, async (req) => {
    const s = svc()
    return {
      type: 'FeatureCollection' as const,
      computedAt: s.hotspotsAt,
      features: s.hotspotList(req.query.zone).map((h) => ({
        type: 'Feature' as const,
        id: `${h.zoneId}:${h.zoneCell}`,
        geometry: { type: 'Polygon' as const, coordinates: [ring(h.zoneCell)] },
        properties: { zone: h.zoneId, cell: h.zoneCell, score: Math.round(h.score * 1000) / 1000, incidents: h.count },
      })),
    }
  })

  app.get('/api/v1/levels', {
    config: { scope: 'read' },
    schema: { tags, summary: 'The patrol level ladder and each zone\'s level (base, override, expiry)', response: responses({ 200: Levels }) },
  }, async () => {
    const s = svc()
    return { ladder: s.levels.levels(), zones: s.levels.views(ctx.now()) }
  })

  app.put('/api/v1/zones/:id/level', {
    config: { scope: 'operate', action: 'zone.level' },
    schema: {
      tags: [...tags, 'zones'],
      summary: 'Change a zone\'s patrol level (effective at the next tick, persisted, optionally until an expiry)',
      params: IdParams,
      body: LevelBody,
      response: responses({ 200: LevelChanged }),
    },
  }, async (req) => {
    const s = svc()
    const b = req.body
    const expiresAt = b.until === undefined ? null : timeParam(b.until, 0, 'until')
    let change
    try {
      change = s.setLevel(req.params.id, b.level, { reason: b.reason, by: actor(req), expiresAt })
    } catch (err) {
      if (err instanceof LevelError && err.message.startsWith('no zone')) throw notFound(`zone ${req.params.id}`)
      throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', (err as Error).message)
    }
    if (change !== null) audit(req, 'zone.level', req.params.id, { from: change.from, to: change.to, reason: b.reason, expiresAt })
    return { ...s.levels.view(req.params.id, ctx.now()), changed: change !== null, effective: 'next tick' }
  })

  app.get('/api/v1/plans', {
    config: { scope: 'read' },
    schema: { tags, summary: 'Emergency plans with their checkpoints, and whether each is active', response: responses({ 200: PlanList }) },
  }, async () => ({ plans: svc().planSpecs().map((p) => ({ ...p, active: svc().board.get(p.id) !== undefined })) }))

  app.get('/api/v1/plans/:id', {
    config: { scope: 'read' },
    schema: { tags, summary: 'One plan and, while active, each checkpoint\'s state and its units (distance, ETA, approaching)', params: IdParams, response: responses({ 200: PlanDetail }) },
  }, async (req) => {
    const spec = svc().planSpecs().find((p) => p.id === req.params.id)
    if (spec === undefined) throw notFound(`plan ${req.params.id}`)
    return { ...spec, active: svc().planStatus(req.params.id) }
  })

  app.post('/api/v1/plans/:id/activate', {
    config: { scope: 'operate', action: 'plan.activate' },
    schema: {
      tags,
      summary: 'Activate a plan (optionally for an incident, centred on its position): its checkpoints are tracked from now',
      params: IdParams,
      body: Type.Optional(ActivateBody),
      response: responses({ 200: PlanStatus }),
    },
  }, async (req) => {
    const s = svc()
    const b = req.body ?? {}
    let centre = b.lat !== undefined && b.lon !== undefined ? { lat: b.lat, lon: b.lon } : null
    if (b.incident_id !== undefined) {
      const inc = await s.incident(b.incident_id)
      if (inc === null) throw notFound(`incident ${b.incident_id}`)
      centre ??= { lat: inc.lat, lon: inc.lon }
    }
    const a = await planCall(() => s.activate(req.params.id, { by: actor(req), incidentId: b.incident_id ?? null, centre }))
    if (a === null) throw notFound(`plan ${req.params.id}`)
    audit(req, 'plan.activate', req.params.id, { incidentId: b.incident_id ?? null, centre })
    return s.planStatus(req.params.id)!
  })

  app.post('/api/v1/plans/:id/deactivate', {
    config: { scope: 'operate', action: 'plan.deactivate' },
    schema: { tags, summary: 'End an active plan', params: IdParams, response: responses({ 200: Deactivated }) },
  }, async (req) => {
    const s = svc()
    if (!s.planSpecs().some((p) => p.id === req.params.id)) throw notFound(`plan ${req.params.id}`)
    const a = await planCall(() => s.deactivate(req.params.id, actor(req)))
    audit(req, 'plan.deactivate', req.params.id, { activationId: a.activationId })
    return { planId: a.planId, activationId: a.activationId, deactivated: true as const }
  })
}

async function planCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof PlanError) throw new HexpatrolError(err.code === 'conflict' ? 'HEXP_ERR_CONFLICT' : 'HEXP_ERR_BAD_REQUEST', err.message)
    throw err
  }
}
