// What every incidents route shares: the typed app, the service (or HEXP_ERR_NOT_READY while the
// stage is not running), the acting principal, the audit call, the OpenAPI tag and time parameters.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { HexpatrolError } from '../../errors.js'
import type { IncidentService } from '../../incidents/service.js'
import type { ApiContext } from '../context.js'

/** The fastify instance the incidents plugin registers on (TypeBox type provider). */
export type IncidentsApp = Parameters<FastifyPluginAsyncTypebox>[0]

export const tags = ['incidents']

export interface RouteDeps {
  ctx: ApiContext
  /** The running incidents stage; throws HEXP_ERR_NOT_READY when there is none. */
  svc(): IncidentService
  /** The principal's name (the token hook ran first: operate routes always have one). */
  actor(req: FastifyRequest): string
  /** Logs the change and hands its details to the audit hook. */
  audit(req: FastifyRequest, action: string, target: string, details: Record<string, unknown>): void
}

export function routeDeps(ctx: ApiContext): RouteDeps {
  const actor = (req: FastifyRequest) => (req.principal as { name: string }).name
  return {
    ctx,
    svc: () => {
      const s = (ctx as ApiContext & { incidents?: IncidentService }).incidents
      if (s === undefined) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'The incidents stage is not running.')
      return s
    },
    actor,
    audit: (req, action, target, details) => {
      req.log.info({ actor: actor(req), action, target, details }, `Audit: ${action} ${target}.`)
      req.auditDetails = { target, ...details }
    },
  }
}

/** Epoch milliseconds or an ISO-8601 time; `fallback` when absent or empty. */
export function timeParam(value: string | undefined, fallback: number, key: string): number {
  if (value === undefined || value === '') return fallback
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (!Number.isFinite(n)) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', `"${key}" must be epoch milliseconds or an ISO-8601 time.`)
  return n
}
