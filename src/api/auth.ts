// Access control, registered once on the root instance so no route can forget it: the Host check
// (DNS rebinding), CORS for named origins, rate limits per IP and per token, and authentication
// in one onRequest hook, i.e. before body parsing and validation. A route states its access in
// `config.scope` (absent: `read`); 401 without a valid token or session, 403 when the scope is
// too small, both as coded JSON.
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { Config } from '../config/schema.js'
import { HexpatrolError } from '../errors.js'
import { scopeAllows, minScope, type Principal } from './scopes.js'
import type { TokenBook } from './tokens.js'
import type { SessionCodec } from './session-cookie.js'
import { KeyedBuckets } from '../ingest/token-bucket.js'

export interface AuthOptions {
  config: Config
  tokens: TokenBook
  sessions: SessionCodec
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const BEARER = /^Bearer\s+(\S+)\s*$/i

/** Authenticates a request by bearer token, else by session cookie. Throws 401 on a bad credential. */
export function authenticate(req: FastifyRequest, tokens: TokenBook, sessions: SessionCodec): { principal: Principal; via: 'token' | 'cookie' } | null {
  const header = req.headers.authorization
  if (header !== undefined) {
    const m = BEARER.exec(header)
    const p = m === null ? null : tokens.verify(m[1] as string)
    if (p === null) throw new HexpatrolError('HEXP_ERR_UNAUTHORIZED', m === null ? 'The Authorization header must be "Bearer <token>".' : 'The token is not valid.')
    return { principal: p, via: 'token' }
  }
  const s = sessions.read(req)
  if (s === null) return null
  // The token behind a session may have been removed or downgraded since the login.
  const now = tokens.scopeOf(s.name)
  if (now === null) return null
  return { principal: { name: s.name, scope: minScope(now, s.scope) }, via: 'cookie' }
}

/** The Host header's name without the port, lower-case. */
export function hostOf(req: { headers: { host?: string | undefined } }): string {
  const h = (req.headers.host ?? '').toLowerCase()
  // [v6]:port, host:port, host
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1)
  const i = h.lastIndexOf(':')
  return i === -1 ? h : h.slice(0, i)
}

export const authPlugin = fp(async (app: FastifyInstance, opts: AuthOptions) => {
  const { config, tokens, sessions } = opts
  const h = config.http
  app.decorateRequest('principal', null)

  const allowedHosts = new Set(h.allowed_hosts.map((x) => x.toLowerCase()))
  if (allowedHosts.size > 0) {
    app.addHook('onRequest', async (req) => {
      if (!allowedHosts.has(hostOf(req))) throw new HexpatrolError('HEXP_ERR_HOST_NOT_ALLOWED', `Host "${req.headers.host ?? ''}" is not in http.allowed_hosts.`)
    })
  }

  const origins = new Set(h.cors_origins)
  if (origins.size > 0) {
    app.addHook('onRequest', async (req, reply) => {
      const origin = req.headers.origin
      reply.header('vary', 'Origin')
      if (origin === undefined || !origins.has(origin)) return
      reply.header('access-control-allow-origin', origin)
      reply.header('access-control-allow-credentials', 'true')
      if (req.method === 'OPTIONS') {
        reply.header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE')
        reply.header('access-control-allow-headers', 'authorization, content-type, last-event-id')
        reply.header('access-control-max-age', '600')
        return reply.status(204).send()
      }
    })
    // Preflights need a route to land on; it answers only for allowed origins (above).
    app.options('/*', { config: { scope: 'public' }, schema: { hide: true } }, async (_req, reply) => reply.status(403).send({ code: 'HEXP_ERR_FORBIDDEN', message: 'Origin not allowed.' }))
  }

  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => new HexpatrolError('HEXP_ERR_RATE_LIMITED', `Rate limit exceeded: at most ${ctx.max} requests per ${ctx.after}; retry later.`),
  })
  const timeWindow = h.rate_limit.window
  // Per IP before authentication, so guessing tokens is throttled too. Device routes have their own
  // budgets (src/ingest/http-ingest.ts): phones behind one NAT must not spend the operators' budget.
  // Device routes skip it here, before the limiter's own (async) hook runs: no promise per ingest request.
  const perIp = app.rateLimit({ max: h.rate_limit.per_ip, timeWindow, keyGenerator: (req) => `ip:${req.ip}` })
  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (req.routeOptions.config.scope === 'device') return done()
    perIp.call(app, req, reply).then(() => done(), done)
  })

  // Per token after authentication, as a token bucket (@fastify/rate-limit runs one limiter per
  // request): per_token requests at once, refilled at per_token per window. Bounded like every keyed limiter.
  const perToken = new KeyedBuckets({ perSecond: (h.rate_limit.per_token * 1000) / timeWindow, burst: h.rate_limit.per_token })
  // Synchronous (a throw is the hook's error): public and device routes pass without a promise.
  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    // No route matched: the not-found handler answers 404, which reveals nothing.
    if (req.is404) return done()
    const need = req.routeOptions.config.scope ?? 'read'
    if (need === 'public' || need === 'device') return done()
    const a = authenticate(req, tokens, sessions)
    if (a === null) throw new HexpatrolError('HEXP_ERR_UNAUTHORIZED', 'This route needs a token ("Authorization: Bearer <token>") or a session cookie.')
    // Known from here on, even when refused below: the audit row of a refused change names the
    // token that tried (a throw ends the request before any route reads it).
    req.principal = a.principal
    if (!scopeAllows(a.principal.scope, need)) {
      throw new HexpatrolError('HEXP_ERR_FORBIDDEN', `This route needs scope "${need}"; token "${a.principal.name}" has "${a.principal.scope}".`)
    }
    // CSRF guard on top of SameSite=Strict: a cross-site form cannot send application/json.
    if (a.via === 'cookie' && !SAFE_METHODS.has(req.method) && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      throw new HexpatrolError('HEXP_ERR_FORBIDDEN', 'State-changing requests made with the session cookie must be sent as content-type: application/json.')
    }
    const waitMs = perToken.take(a.principal.name)
    if (waitMs > 0) {
      const wait = Math.ceil(waitMs / 1000)
      reply.header('retry-after', String(wait))
      throw new HexpatrolError('HEXP_ERR_RATE_LIMITED', `Rate limit exceeded for token "${a.principal.name}": at most ${h.rate_limit.per_token} requests per ${timeWindow / 1000} s; retry in ${wait} s.`)
    }
    done()
  })
}, { name: 'hexpatrol-auth' })
