// Incidents, hotspots, patrol levels and emergency plans over HTTP (issue 14). Reads need scope
// `read`, changes `operate` (config.scope, enforced by the API's token hook before validation);
// every change gets an audit row (audit hook) with the details set here, and a log line.
// Routes by resource: incidents/*-routes.ts; request and response schemas: incident-schemas.ts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from './context.js'
import { routeDeps } from './incidents/common.js'
import { registerHotspotRoutes } from './incidents/hotspot-routes.js'
import { registerIncidentRoutes } from './incidents/incident-routes.js'
import { registerLevelRoutes } from './incidents/level-routes.js'
import { registerPlanRoutes } from './incidents/plan-routes.js'
import { registerDispatchRoutes } from './incidents/dispatch-routes.js'

export const incidentsPlugin: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, opts) => {
  const deps = routeDeps(opts.ctx)
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body))
  registerIncidentRoutes(app, deps)
  registerHotspotRoutes(app, deps)
  registerLevelRoutes(app, deps)
  registerPlanRoutes(app, deps)
  registerDispatchRoutes(app, deps)
}
