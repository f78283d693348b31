// POST /api/v1/incidents (one incident, or a bulk import as CSV or JSON) and GET /api/v1/incidents
// (a period's stored incidents, JSON or GeoJSON). Body shapes and answers are pure functions below.
import { Type } from '@sinclair/typebox'
import { HexpatrolError } from '../../errors.js'
import { parseCsv, type IncidentInput } from '../../incidents/incident.js'
import type { CreateResult as Created } from '../../incidents/service.js'
import type { IncidentRow } from '../../incidents/incident-store.js'
import { responses } from '../schemas.js'
import { BulkResult, CreateBody, CreateResult, IncidentCollection, IncidentList } from '../incident-schemas.js'
import { tags, timeParam, type IncidentsApp, type RouteDeps } from './common.js'

export const MAX_BULK = 100_000
/** Incidents per list answer: bounds its memory (narrow from/to for more). */
export const MAX_LIST = 10_000

export function registerIncidentRoutes(app: IncidentsApp, { ctx, svc, actor, audit }: RouteDeps): void {
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
    const { inputs, single } = incidentInputs(req.body, req.headers['content-type'])
    // A bulk import brings past incidents: stored and counted for hotspots, no dispatch.
    const search = single && !req.query.import
    const results = await svc().add(inputs, { source: single ? 'api' : 'import', search, by: actor(req) })
    const created = results.filter((r) => r.status === 'created')
    if (created.length > 0) audit(req, single ? 'incident.create' : 'incident.import', single ? (created[0] as { id: string }).id : `${created.length} incidents`, { created: created.length })
    if (!single) return bulkSummary(results)
    const r = results[0] as Created
    if (r.status === 'rejected') throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', r.reason as string)
    return reply.status(r.status === 'created' ? 201 : 200).send(r)
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
    const to = timeParam(q.to, ctx.now(), 'to')
    const from = timeParam(q.from, to - 30 * 86_400_000, 'from')
    const s = svc()
    const found = await s.query({ from, to, limit: q.limit, ...(q.type === undefined ? {} : { type: q.type }), ...(q.zone === undefined ? {} : { zone: q.zone }) })
    const rows = found.rows.map((r) => ({ ...r, ...s.dispatchOf(r.id) }))
    const mark = found.partial ? { partial: true as const } : {}
    if (q.format !== 'geojson') return { from, to, incidents: rows, ...mark }
    return { ...incidentFeatures(rows), ...mark }
  })
}

/**
 * The incidents a create request carries: text/csv, an array or { incidents: [...] } (a bulk
 * import), or one object (`single`). Anything else, or more than MAX_BULK, is a bad request.
 */
export function incidentInputs(body: unknown, contentType: string | undefined): { inputs: IncidentInput[]; single: boolean } {
  let inputs: IncidentInput[]
  let single = false
  if (typeof body === 'string' && /^text\/csv/i.test(contentType ?? '')) inputs = parseCsv(body)
  else if (Array.isArray(body)) inputs = body as IncidentInput[]
  else if (body !== null && typeof body === 'object' && Array.isArray((body as { incidents?: unknown }).incidents)) inputs = (body as { incidents: IncidentInput[] }).incidents
  else if (body !== null && typeof body === 'object') {
    inputs = [body as IncidentInput]
    single = true
  } else throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', 'Send an incident object, an array (or { incidents: [...] }) of them, or text/csv.')
  if (inputs.length > MAX_BULK) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', `At most ${MAX_BULK} incidents per request.`)
  return { inputs, single }
}

/** A bulk import's answer: counts per status, and every result that did not create an incident. */
export function bulkSummary(results: readonly Created[]): { created: number; exists: number; rejected: number; results: Created[] } {
  const n = (s: string) => results.filter((r) => r.status === s).length
  return { created: n('created'), exists: n('exists'), rejected: n('rejected'), results: results.filter((r) => r.status !== 'created') }
}

/** Incidents as GeoJSON points (their ts also as an ISO time). */
export function incidentFeatures(rows: readonly IncidentRow[]) {
  return {
    type: 'FeatureCollection' as const,
    features: rows.map(({ lat, lon, ...p }) => ({ type: 'Feature' as const, id: p.id, geometry: { type: 'Point' as const, coordinates: [lon, lat] }, properties: { ...p, time: new Date(p.ts).toISOString() } })),
  }
}
