// Query strings are coerced by the validator, which reads `Infinity`, `1e400`, `0x10` and ` ` as
// numbers. Before validation, every query value for a number or integer field must be a plain
// decimal with a finite value; anything else is a 400 naming the field.
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { HexpatrolError } from '../errors.js'

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d{1,3})?$/

interface PropSchema { type?: unknown }

export function installStrictQuery(app: FastifyInstance): void {
  // Synchronous (a throw is the hook's error): routes without a querystring schema pass without a promise.
  app.addHook('preValidation', (req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const props = (req.routeOptions.schema?.querystring as { properties?: Record<string, PropSchema> } | undefined)?.properties
    if (props === undefined) return done()
    const q = req.query as Record<string, unknown>
    for (const [key, s] of Object.entries(props)) {
      if (s.type !== 'number' && s.type !== 'integer') continue
      const v = q[key]
      if (typeof v !== 'string') continue
      if (!DECIMAL.test(v) || !Number.isFinite(Number(v))) {
        throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', `querystring/${key}: "${v.slice(0, 40)}" is not a finite decimal number`)
      }
    }
    done()
  })
}
