// Emergency plans: list, one plan with its checkpoints' live state, activate (optionally for an
// incident, centred on it) and deactivate; and the definitions at run time: create, replace (a new
// version), delete (both refused while the plan is active) and each plan's version history.
import { Type } from '@sinclair/typebox'
import { HexpatrolError } from '../../errors.js'
import type { CurrentPlan, PlanVersion } from '../../incidents/plan-catalogue.js'
import { PlanError } from '../../incidents/plans.js'
import { notFound } from '../errors.js'
import { IdParams, responses } from '../schemas.js'
import { ActivateBody, Deactivated, PlanBody, PlanDetail, PlanList, PlanStatus, PlanVersions, PlanVersionView } from '../incident-schemas.js'
import { tags, type IncidentsApp, type RouteDeps } from './common.js'

export function registerPlanRoutes(app: IncidentsApp, { svc, actor, audit }: RouteDeps): void {
  app.get('/api/v1/plans', {
    config: { scope: 'read' },
    schema: { tags, summary: 'Emergency plans in force (config and run-time versions) with their checkpoints, and whether each is active', response: responses({ 200: PlanList }) },
  }, async () => ({ plans: svc().plans.list().map((p) => ({ ...planView(p), active: svc().board.get(p.planId) !== undefined })) }))

  app.get('/api/v1/plans/:id', {
    config: { scope: 'read' },
    schema: { tags, summary: 'One plan and, while active, each checkpoint\'s state and its units (distance, ETA, approaching)', params: IdParams, response: responses({ 200: PlanDetail }) },
  }, async (req) => {
    const p = svc().plans.current(req.params.id)
    if (p === undefined) throw notFound(`plan ${req.params.id}`)
    return { ...planView(p), active: svc().planStatus(req.params.id) }
  })

  app.get('/api/v1/plans/:id/versions', {
    config: { scope: 'read' },
    schema: { tags, summary: 'Every version of a plan, oldest first: the config\'s (version 1) and those made through the API, deletions included', params: IdParams, response: responses({ 200: PlanVersions }) },
  }, async (req) => {
    const versions = svc().plans.versions(req.params.id)
    if (versions.length === 0) throw notFound(`plan ${req.params.id}`)
    return { planId: req.params.id, versions: versions.map(versionView) }
  })

  app.post('/api/v1/plans', {
    config: { scope: 'operate', action: 'plan.create' },
    schema: { tags, summary: 'Create a plan at run time (same shape and units as a plans entry of the config); stored and versioned', body: PlanBody, response: responses({ 201: PlanVersionView }) },
  }, async (req, reply) => {
    const v = await planCall(() => svc().definePlan(req.body, 'create', actor(req)))
    audit(req, 'plan.create', v.planId, { version: v.version })
    reply.status(201)
    return versionView(v)
  })

  app.put('/api/v1/plans/:id', {
    config: { scope: 'operate', action: 'plan.update' },
    schema: { tags, summary: 'Replace a plan (a new version; refused with 409 while it is active)', params: IdParams, body: PlanBody, response: responses({ 200: PlanVersionView }) },
  }, async (req) => {
    const v = await planCall(() => svc().definePlan(req.body, 'replace', actor(req), req.params.id))
    audit(req, 'plan.update', v.planId, { version: v.version })
    return versionView(v)
  })

  app.delete('/api/v1/plans/:id', {
    config: { scope: 'operate', action: 'plan.delete' },
    schema: { tags, summary: 'Delete a plan (config or run-time; refused with 409 while it is active); its versions stay readable', params: IdParams, response: responses({ 200: PlanVersionView }) },
  }, async (req) => {
    const v = await planCall(() => svc().deletePlan(req.params.id, actor(req)))
    audit(req, 'plan.delete', v.planId, { version: v.version })
    return versionView(v)
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
    const picked = a.checkpoints.filter((c) => c.picked.length > 0).map((c) => ({ checkpoint: c.index, units: c.picked }))
    audit(req, 'plan.activate', req.params.id, { incidentId: b.incident_id ?? null, centre, ...(picked.length > 0 ? { picked } : {}) })
    return s.planStatus(req.params.id)!
  })

  app.post('/api/v1/plans/:id/deactivate', {
    config: { scope: 'operate', action: 'plan.deactivate' },
    schema: { tags, summary: 'End an active plan', params: IdParams, response: responses({ 200: Deactivated }) },
  }, async (req) => {
    const s = svc()
    if (s.plans.versions(req.params.id).length === 0 && s.board.get(req.params.id) === undefined) throw notFound(`plan ${req.params.id}`)
    const a = await planCall(() => s.deactivate(req.params.id, actor(req)))
    audit(req, 'plan.deactivate', req.params.id, { activationId: a.activationId })
    return { planId: a.planId, activationId: a.activationId, deactivated: true as const }
  })
}

function planView(p: CurrentPlan) {
  return { ...p.spec, version: p.version, origin: p.origin, by: p.by, at: p.at }
}

function versionView(v: PlanVersion) {
  return { planId: v.planId, version: v.version, origin: v.origin, by: v.by, at: v.at, deleted: v.spec === null, spec: v.spec, source: v.source }
}

/** A plan change's errors as the API answers them: a conflict is 409, an unknown plan 404, any other refusal 400. */
export async function planCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof PlanError) throw new HexpatrolError(err.code === 'conflict' ? 'HEXP_ERR_CONFLICT' : err.code === 'not_found' ? 'HEXP_ERR_NOT_FOUND' : 'HEXP_ERR_BAD_REQUEST', err.message)
    throw err
  }
}
