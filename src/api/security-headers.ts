// The security headers of every response (helmet's: CSP, X-Content-Type-Options, X-Frame-Options,
// …), computed once at start-up and set by one synchronous onRequest hook. @fastify/helmet rebuilds
// helmet's middleware (parsing the CSP directives again) in two async hooks on every request,
// which cost HTTP ingest more than its own pipeline; the headers are the same, since ours depend
// on the config only. A route may still replace one (swagger-ui sets its own CSP).
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'

/** The headers helmet sets with these options (names lower-case), read once from a stand-in response. */
export function securityHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {}
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()]
    },
  }
  let failed: unknown = null
  helmet(options)({} as never, res as never, (err?: unknown) => {
    if (err !== undefined && err !== null) failed = err
  })
  if (failed !== null) throw failed instanceof Error ? failed : new Error(String(failed))
  return Object.freeze(headers)
}

export const securityHeadersPlugin = fp(async (app: FastifyInstance, options: HelmetOptions) => {
  const headers = securityHeaders(options)
  app.addHook('onRequest', (_req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    reply.headers(headers)
    done()
  })
}, { name: 'hexpatrol-security-headers' })
