// Alerts: the live view (open and recent), and acknowledgement by a supervisor (admin token).
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { HexpatrolError } from '../errors.js'
import type { ApiContext } from './context.js'
import { adminGuard } from './admin-auth.js'
import { notFound } from './errors.js'

export const alertsPlugin = fp(async (app: FastifyInstance, opts: { ctx: ApiContext; adminToken: string | undefined }) => {
  const { ctx } = opts
  const admin = adminGuard(opts.adminToken)
  const engine = () => {
    if (ctx.engine === undefined) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'The rule engine is not running.')
    return ctx.engine
  }
  app.get('/api/v1/alerts', async () => ({ alerts: engine().openAlerts() }))
  app.get<{ Params: { id: string } }>('/api/v1/alerts/:id', { schema: { params: { type: 'object', properties: { id: { type: 'string', maxLength: 128 } } } } }, async (req) => {
    const a = engine().getAlert(req.params.id)
    if (a === undefined) throw notFound(`alert ${req.params.id}`)
    return a
  })
  app.post<{ Params: { id: string }; Body: { by: string } }>('/api/v1/alerts/:id/ack', {
    preHandler: admin,
    schema: {
      params: { type: 'object', properties: { id: { type: 'string', maxLength: 128 } } },
      body: { type: 'object', additionalProperties: false, required: ['by'], properties: { by: { type: 'string', minLength: 1, maxLength: 128 } } },
    },
  }, async (req) => {
    const ev = engine().acknowledge(req.params.id, req.body.by, ctx.now())
    if (ev === null) {
      if (engine().getAlert(req.params.id) === undefined) throw notFound(`alert ${req.params.id}`)
      throw new HexpatrolError('HEXP_ERR_CONFLICT', `alert ${req.params.id} is not open (or already acknowledged)`)
    }
    ctx.emit?.([ev])
    return ev
  })
}, { name: 'hexpatrol-alerts' })
