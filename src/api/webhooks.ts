// Webhook subscriptions and dead letters (scope admin). Secrets are write-only.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HexpatrolError } from '../errors.js'
import type { ApiContext } from './context.js'
import { notFound } from './errors.js'
import { IdParams, responses } from './schemas.js'

const Subscription = Type.Object({ id: Type.String(), url: Type.String(), enabled: Type.Boolean() }, { additionalProperties: true, title: 'WebhookSubscription' })
const DeadLetter = Type.Object({ deliveryId: Type.String(), subscriptionId: Type.String(), eventId: Type.String() }, { additionalProperties: true, title: 'DeadLetter' })

export const webhooksPlugin: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, opts) => {
  const { ctx } = opts
  const dispatcher = () => {
    if (ctx.dispatcher === undefined) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'Alert delivery is not running.')
    return ctx.dispatcher
  }
  const admin = { scope: 'admin' as const }
  const tags = ['webhooks']
  app.get('/api/v1/webhooks', {
    config: admin,
    schema: { tags, summary: 'Webhook subscriptions (secrets are never shown)', response: responses({ 200: Type.Object({ webhooks: Type.Array(Subscription) }) }) },
  }, async () => ({ webhooks: dispatcher().subscriptions() }))
  app.post('/api/v1/webhooks', {
    config: { ...admin, action: 'webhook.create' },
    schema: { tags, summary: 'Add a subscription (same keys as a `webhooks` entry in the config)', body: Type.Unknown({ description: 'A `webhooks` config entry: { id, url, secret | secret_env, events, zones, format, … }' }), response: responses({ 201: Subscription }) },
  }, async (req, reply) => {
    // The one webhook validator (edge: the config file's rules): schema, limits, secret_env prefix, destination.
    const cfg = dispatcher().validateSubscription(req.body)
    const url = new URL(cfg.url)
    if (dispatcher().subscriptions().some((s) => s.id === cfg.id)) throw new HexpatrolError('HEXP_ERR_CONFLICT', `webhook ${cfg.id} exists; delete it first`)
    dispatcher().addSubscription(cfg)
    req.auditDetails = { id: cfg.id, url: url.origin, events: cfg.events }
    return reply.status(201).send(dispatcher().subscriptions().find((s) => s.id === cfg.id)!)
  })
  app.delete('/api/v1/webhooks/:id', {
    config: { ...admin, action: 'webhook.delete' },
    schema: { tags, summary: 'Remove a subscription', params: IdParams, response: responses({ 204: Type.Null() }) },
  }, async (req, reply) => {
    if (!dispatcher().removeSubscription(req.params.id)) throw notFound(`webhook ${req.params.id}`)
    return reply.status(204).send(null)
  })
  app.post('/api/v1/webhooks/:id/enable', {
    config: { ...admin, action: 'webhook.enable' },
    schema: { tags, summary: 'Re-enable a subscription (after a 410)', params: IdParams, response: responses({ 200: Subscription }) },
  }, async (req) => {
    if (!dispatcher().enableSubscription(req.params.id)) throw notFound(`webhook ${req.params.id}`)
    return dispatcher().subscriptions().find((s) => s.id === req.params.id)!
  })
  app.get('/api/v1/webhooks/dead-letters', {
    config: admin,
    schema: { tags, summary: 'Deliveries that gave up', response: responses({ 200: Type.Object({ deadLetters: Type.Array(DeadLetter) }) }) },
  }, async () => ({ deadLetters: dispatcher().deadLetters() }))
  app.post('/api/v1/webhooks/dead-letters/:id/retry', {
    config: { ...admin, action: 'webhook.retry' },
    schema: { tags, summary: 'Send a dead letter again with the same webhook-id', params: IdParams, response: responses({ 202: Type.Object({ status: Type.String() }) }) },
  }, async (req, reply) => {
    if (!dispatcher().retryDeadLetter(req.params.id)) throw notFound(`dead letter ${req.params.id}`)
    return reply.status(202).send({ status: 'requeued' })
  })
}
