// Builds the fastify app: limits against hostile requests, coded errors, and one plugin per area.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { resolveSecret } from '../config/load.js'
import type { ApiContext } from './context.js'
import { installErrorHandler } from './errors.js'
import { healthPlugin, metricsPlugin } from './health.js'
import { livePlugin } from './live.js'
import { alertsPlugin } from './alerts.js'
import { webhooksPlugin } from './webhooks.js'
import { incidentsPlugin } from './incidents.js'

export async function buildApi(ctx: ApiContext, env: NodeJS.ProcessEnv = process.env): Promise<FastifyInstance> {
  const h = ctx.config.http
  const app = Fastify({
    loggerInstance: ctx.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Per-request logs would dominate the log at fleet polling rates; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: h.body_limit_bytes,
    requestTimeout: h.request_timeout,
    connectionTimeout: h.request_timeout,
    keepAliveTimeout: 5000,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  })
  installErrorHandler(app)
  const adminToken = resolveSecret('http.admin_token', h.admin_token, h.admin_token_env, env)
  await app.register(healthPlugin, { ctx })
  await app.register(metricsPlugin, { ctx })
  await app.register(livePlugin, { ctx })
  await app.register(alertsPlugin, { ctx, adminToken })
  await app.register(webhooksPlugin, { ctx, adminToken })
  await app.register(incidentsPlugin, { ctx, adminToken })
  return app
}
