// Maps every error that reaches the API to a coded JSON body: { code, message, help }.
import type { FastifyError, FastifyInstance } from 'fastify'
import { ERRORS, HexpatrolError } from '../errors.js'

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HexpatrolError, req, reply) => {
    if (err instanceof HexpatrolError) {
      return reply.status(err.statusCode).send({ code: err.code, message: err.message, help: err.help })
    }
    const status = err.statusCode ?? 500
    if (status >= 500) req.log.error({ err }, 'Request failed.')
    if (err.validation !== undefined || status === 400) {
      return reply.status(400).send({ code: 'HEXP_ERR_BAD_REQUEST', message: validationMessage(err), help: ERRORS.HEXP_ERR_BAD_REQUEST.help })
    }
    if (status === 413) return reply.status(413).send({ code: 'HEXP_ERR_BAD_REQUEST', message: 'Request body too large.', help: `Bodies are limited to http.body_limit_bytes.` })
    if (status === 415) return reply.status(415).send({ code: 'HEXP_ERR_BAD_REQUEST', message: err.message, help: 'Send application/json.' })
    return reply.status(status).send({ code: status >= 500 ? 'HEXP_ERR_INTERNAL' : 'HEXP_ERR_BAD_REQUEST', message: status >= 500 ? 'Internal error; see the engine log.' : err.message })
  })
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ code: 'HEXP_ERR_NOT_FOUND', message: `No route ${req.method} ${req.url.split('?')[0]}`, help: ERRORS.HEXP_ERR_NOT_FOUND.help })
  })
}

/** Names the offending property, which ajv's "must NOT have additional properties" does not. */
function validationMessage(err: FastifyError): string {
  const v = err.validation?.[0]
  const extra = (v?.params as { additionalProperty?: unknown } | undefined)?.additionalProperty
  if (v !== undefined && typeof extra === 'string') return `${err.validationContext ?? 'request'}${v.instancePath}: unknown property "${extra}"`
  return err.message
}

export function notFound(what: string): HexpatrolError {
  return new HexpatrolError('HEXP_ERR_NOT_FOUND', `${what} not found`)
}
