// Emergency plans: list, one plan with its checkpoints' live state, activate (optionally for an
// incident, centred on it) and deactivate.
import { Type } from '@sinclair/typebox'
import { HexpatrolError } from '../../errors.js'
import { PlanError } from '../../incidents/plans.js'
import { notFound } from '../errors.js'
import { IdParams, responses } from '../schemas.js'
import { ActivateBody, Deactivated, PlanDetail, PlanList, PlanStatus } from '../incident-schemas.js'
import { tags, type IncidentsApp, type RouteDeps } from './common.js'

export function registerPlanRoutes(app: IncidentsApp, { svc, actor, audit }: RouteDeps): void {
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

/** A plan change's errors as the API answers them: a conflict is 409, any other refusal 400. */
export async function planCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof PlanError) throw new HexpatrolError(err.code === 'conflict' ? 'HEXP_ERR_CONFLICT' : 'HEXP_ERR_BAD_REQUEST', err.message)
    throw err
  }
}
