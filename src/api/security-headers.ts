// The security headers of every response (helmet's: CSP, X-Content-Type-Options, X-Frame-Options,
// …), computed once at start-up and set by one synchronous onRequest hook. @fastify/helmet rebuilds
// helmet's middleware (parsing the CSP directives again) in two async hooks on every request,
// which cost HTTP ingest more than its own pipeline; the headers are the same, since ours depend
// on the config only. A route may still replace one (swagger-ui sets its own CSP).
// Routes that authenticate their callers themselves (scope `device`: OsmAnd and OwnTracks ingest,
// /metrics with its token) answer apps and scrapers, not browsers: helmet's set is some 700 bytes
// of browser policy on every fix a phone sends (4–10 µs of the server's CPU per answer, measured
// with node:http alone), so they carry DEVICE_HEADERS, the ones that still mean something there.
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

/**
 * The headers of a device route's answers (names lower-case): never cached by a proxy, never
 * sniffed as another type, never rendered or framed should a browser open one.
 */
export const DEVICE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
})

export const securityHeadersPlugin = fp(async (app: FastifyInstance, options: HelmetOptions) => {
  const headers = securityHeaders(options)
  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    reply.headers(req.routeOptions.config.scope === 'device' ? DEVICE_HEADERS : headers)
    done()
  })
}, { name: 'hexpatrol-security-headers' })
