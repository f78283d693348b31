// Every state-changing request (POST, PUT, PATCH, DELETE) that reached a route leaves a row in
// the ClickHouse `audit` table: token name, method and route, target id, status, client address.
// The row is journaled before the response leaves (onSend), so an answered change is audited even
// across a crash or a ClickHouse outage; a journal failure is logged, the response still sent.
// Device ingest routes are data, not operator actions, and are not audited. A route adds details
// (an acknowledgement's note) with request.auditDetails.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ApiContext } from './context.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Extra fields for this request's audit row. */
    auditDetails: Record<string, unknown> | null
  }
  interface FastifyContextConfig {
    /** Audit action name (default `<METHOD> <route url>`). */
    action?: string
  }
}

const CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export function installAudit(app: FastifyInstance, ctx: ApiContext): void {
  app.decorateRequest('auditDetails', null)
  // Reads and device ingest pass synchronously (no promise per request); a change waits for its row.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (!CHANGING.has(req.method) || req.is404 || req.routeOptions.config.scope === 'device') return done(null, payload)
    void journal(req, reply).then(() => done(null, payload))
  })

  async function journal(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const config = req.routeOptions.config
    const params = (req.params ?? {}) as Record<string, unknown>
    try {
      await ctx.audit({
        actor: req.principal?.name ?? 'anonymous',
        action: config.action ?? `${req.method} ${req.routeOptions.url as string}`,
        target: typeof params.id === 'string' ? params.id : '',
        details: { status: reply.statusCode, ...req.auditDetails },
        ip: req.ip,
      })
    } catch (err) {
      req.log.error({ err }, 'The audit row could not be journaled; it is missing from the audit table.')
    }
  }
}
