// GET /healthz (the process answers) and GET /readyz (every component ready: MQTT subscription
// active, ClickHouse answering, journal below its bound). 503 names what is not ready.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { ApiContext } from './context.js'

export const healthPlugin = fp(async (app: FastifyInstance, opts: { ctx: ApiContext }) => {
  app.get('/healthz', { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const components = await opts.ctx.readiness()
    const ready = Object.values(components).every((c) => c.ok)
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', components })
  })
}, { name: 'hexpatrol-health' })

export const metricsPlugin = fp(async (app: FastifyInstance, opts: { ctx: ApiContext }) => {
  app.get('/metrics', async (_req, reply) => {
    const body = await opts.ctx.registry.metrics()
    return reply.header('content-type', opts.ctx.registry.contentType).send(body)
  })
}, { name: 'hexpatrol-metrics' })
