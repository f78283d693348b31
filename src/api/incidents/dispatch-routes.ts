// One incident and its dispatch (issue 24): GET /api/v1/incidents/:id (with its status and
// assignments), GET …/candidates (the nearest available units, distance and ETA), POST …/assign
// (incident.assigned) and POST …/close (incident.closed, with the outcome). Unknown incident 404,
// unregistered unit 400, closed incident or busy unit 409; changes audited with their details.
import { Type } from '@sinclair/typebox'
import { HexpatrolError } from '../../errors.js'
import { DispatchError } from '../../incidents/dispatch.js'
import { notFound } from '../errors.js'
import { IdParams, responses } from '../schemas.js'
import { AssignBody, AssignResult, Candidates, CloseBody, DispatchView, IncidentRow } from '../incident-schemas.js'
import { tags, type IncidentsApp, type RouteDeps } from './common.js'

const MAX_K = 50

export function registerDispatchRoutes(app: IncidentsApp, { ctx, svc, actor, audit }: RouteDeps): void {
  app.get('/api/v1/incidents/:id', {
    config: { scope: 'read' },
    schema: { tags, summary: 'One incident with its status (open/closed, outcome) and assigned units', params: IdParams, response: responses({ 200: IncidentRow }) },
  }, async (req) => {
    const s = svc()
    const row = await s.incident(req.params.id)
    if (row === null) throw notFound(`incident ${req.params.id}`)
    return { ...row, ...s.dispatchOf(row.id) }
  })

  app.get('/api/v1/incidents/:id/candidates', {
    config: { scope: 'read' },
    schema: {
      tags,
      summary: 'The nearest available units to an incident (registered, live, not committed to a plan or an open incident), with distance and ETA',
      params: IdParams,
      querystring: Type.Object({ k: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_K, description: 'How many; default incidents.search.k.' })) }, { additionalProperties: false }),
      response: responses({ 200: Candidates }),
    },
  }, async (req) => {
    const s = svc()
    const row = await s.incident(req.params.id)
    if (row === null) throw notFound(`incident ${req.params.id}`)
    return { incidentId: row.id, units: s.search(row.lat, row.lon, ctx.now(), req.query.k) }
  })

  app.post('/api/v1/incidents/:id/assign', {
    config: { scope: 'operate', action: 'incident.assign' },
    schema: {
      tags,
      summary: 'Assign units to an incident: incident.assigned is published (webhooks, MQTT with each unit\'s own topic, the stream)',
      params: IdParams,
      body: AssignBody,
      response: responses({ 200: AssignResult }),
    },
  }, async (req) => {
    const s = svc()
    const r = await dispatchCall(() => s.assign(req.params.id, req.body.units, { by: actor(req), note: req.body.note ?? '' }))
    if (r === null) throw notFound(`incident ${req.params.id}`)
    const added = r.added.map((a) => a.unitId)
    audit(req, 'incident.assign', req.params.id, { units: added, requested: req.body.units })
    return { ...r.state, added }
  })

  app.post('/api/v1/incidents/:id/close', {
    config: { scope: 'operate', action: 'incident.close' },
    schema: { tags, summary: 'Close an incident with its outcome: incident.closed is published and its units are available again', params: IdParams, body: CloseBody, response: responses({ 200: DispatchView }) },
  }, async (req) => {
    const s = svc()
    const r = await dispatchCall(() => s.close(req.params.id, req.body.outcome, actor(req)))
    if (r === null) throw notFound(`incident ${req.params.id}`)
    audit(req, 'incident.close', req.params.id, { outcome: r.outcome, units: r.assignments.map((a) => a.unitId) })
    return r
  })
}

/** A dispatch change's refusals as the API answers them: a conflict is 409, any other 400. */
export async function dispatchCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof DispatchError) throw new HexpatrolError(err.code === 'conflict' ? 'HEXP_ERR_CONFLICT' : 'HEXP_ERR_BAD_REQUEST', err.message)
    throw err
  }
}
