// Webhook subscriptions and dead letters, managed with the admin token. Secrets are write-only.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { HexpatrolError } from '../errors.js'
import type { ApiContext } from './context.js'
import { adminGuard } from './admin-auth.js'
import { notFound } from './errors.js'

export const webhooksPlugin = fp(async (app: FastifyInstance, opts: { ctx: ApiContext; adminToken: string | undefined }) => {
  const { ctx } = opts
  const dispatcher = () => {
    if (ctx.dispatcher === undefined) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'Alert delivery is not running.')
    return ctx.dispatcher
  }
  const IdParams = { type: 'object', properties: { id: { type: 'string', maxLength: 128 } } }
  await app.register(async (admin) => {
    admin.addHook('preHandler', adminGuard(opts.adminToken))
    admin.get('/api/v1/webhooks', async () => ({ webhooks: dispatcher().subscriptions() }))
    admin.post<{ Body: unknown }>('/api/v1/webhooks', async (req, reply) => {
      // The one webhook validator (the config file's rules): schema, limits, secret_env prefix, destination.
      const cfg = dispatcher().validateSubscription(req.body)
      if (dispatcher().subscriptions().some((s) => s.id === cfg.id)) throw new HexpatrolError('HEXP_ERR_CONFLICT', `webhook ${cfg.id} exists; delete it first`)
      dispatcher().addSubscription(cfg)
      return reply.status(201).send(dispatcher().subscriptions().find((s) => s.id === cfg.id))
    })
    admin.delete<{ Params: { id: string } }>('/api/v1/webhooks/:id', { schema: { params: IdParams } }, async (req, reply) => {
      if (!dispatcher().removeSubscription(req.params.id)) throw notFound(`webhook ${req.params.id}`)
      return reply.status(204).send()
    })
    admin.post<{ Params: { id: string } }>('/api/v1/webhooks/:id/enable', { schema: { params: IdParams } }, async (req) => {
      if (!dispatcher().enableSubscription(req.params.id)) throw notFound(`webhook ${req.params.id}`)
      return dispatcher().subscriptions().find((s) => s.id === req.params.id)
    })
    admin.get('/api/v1/webhooks/dead-letters', async () => ({ deadLetters: dispatcher().deadLetters() }))
    admin.post<{ Params: { id: string } }>('/api/v1/webhooks/dead-letters/:id/retry', { schema: { params: IdParams } }, async (req, reply) => {
      if (!dispatcher().retryDeadLetter(req.params.id)) throw notFound(`dead letter ${req.params.id}`)
      return reply.status(202).send({ status: 'requeued' })
    })
  })
}, { name: 'hexpatrol-webhooks' })
