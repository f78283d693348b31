// GET /healthz (the process answers) and GET /readyz (every component ready: MQTT subscription
// active, ClickHouse answering, journal below its bound). 503 names what is not ready. Both are
// public, as is GET /metrics unless http.metrics_token is set.
import { createHash, timingSafeEqual } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HexpatrolError } from '../errors.js'
import type { ApiContext } from './context.js'
import type { TokenBook } from './tokens.js'
import { ErrorBody } from './schemas.js'

const Components = Type.Record(Type.String(), Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()), code: Type.Optional(Type.String({ description: 'When not ok and the cause has an error code (docs/errors.md).' })) }))
const Ready = Type.Object({ status: Type.String(), components: Components })

export const healthPlugin: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, opts) => {
  app.get('/healthz', {
    config: { scope: 'public' },
    schema: { tags: ['health'], summary: 'The process answers', response: { 200: Type.Object({ status: Type.String() }) } },
  }, async () => ({ status: 'ok' }))
  app.get('/readyz', {
    config: { scope: 'public' },
    schema: { tags: ['health'], summary: 'Every component is ready (503 names the one that is not)', response: { 200: Ready, 503: Ready } },
  }, async (_req, reply) => {
    const components = await opts.ctx.readiness()
    const ready = Object.values(components).every((c) => c.ok)
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', components })
  })
}

export const metricsPlugin: FastifyPluginAsyncTypebox<{ ctx: ApiContext; tokens: TokenBook }> = async (app, opts) => {
  const token = opts.ctx.config.http.metrics_token
  const digest = token === undefined ? null : createHash('sha256').update(token).digest()
  app.get('/metrics', {
    // With a metrics token the route checks it itself (a scrape job's token, or any API token).
    config: { scope: digest === null ? 'public' : 'device' },
    schema: { tags: ['health'], summary: 'Prometheus exposition', produces: ['text/plain'], response: { 200: Type.String(), 401: ErrorBody } },
    onRequest: async (req) => {
      if (digest === null) return
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
      const given = m === null ? null : (m[1] as string)
      if (given !== null && (timingSafeEqual(createHash('sha256').update(given).digest(), digest) || opts.tokens.verify(given) !== null)) return
      throw new HexpatrolError('HEXP_ERR_UNAUTHORIZED', 'GET /metrics needs "Authorization: Bearer <http.metrics_token>".')
    },
  }, async (_req, reply) => {
    const body = await opts.ctx.registry.metrics()
    return reply.header('content-type', opts.ctx.registry.contentType).send(body)
  })
}
