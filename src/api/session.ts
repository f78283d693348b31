// Browser sessions for the map: POST /api/v1/session { token } → 204 + the signed, HttpOnly,
// SameSite=Strict cookie (Secure over TLS); GET returns who the session is; DELETE logs out.
// The token travels once, in a JSON body, never in a URL. Wrong tokens back off per client address
// and per account (the optional `name`, else "any token") through the shared credential throttle:
// a login in its back-off is answered 429 with Retry-After and its token is not checked.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { HexpatrolError } from '../errors.js'
import type { TokenBook } from './tokens.js'
import type { SessionCodec } from './session-cookie.js'
import { responses } from './schemas.js'
import type { TransportThrottle } from '../ingest/auth-throttle.js'

const Scope = Type.Union([Type.Literal('read'), Type.Literal('operate'), Type.Literal('admin')])

/** 429 with Retry-After for a client in its credential back-off; nothing was checked. */
function throttled(reply: FastifyReply, waitMs: number, what: string): HexpatrolError {
  const s = Math.max(1, Math.ceil(waitMs / 1000))
  reply.header('retry-after', String(s))
  return new HexpatrolError('HEXP_ERR_RATE_LIMITED', `Too many wrong tokens ${what}; retry in ${s} s (nothing was checked).`)
}

/** The account a login without `name` guesses at: any token (a token names no account until it is right). */
export const ANY_TOKEN = '*'

export const sessionPlugin: FastifyPluginAsyncTypebox<{ tokens: TokenBook; sessions: SessionCodec; throttle: TransportThrottle }> = async (app, opts) => {
  const { tokens, sessions, throttle } = opts
  app.post('/api/v1/session', {
    // Public: the body carries the credential. Rate-limited per IP like every route, and wrong
    // tokens back off per address and per account (`name`, else any token) before any check.
    config: { scope: 'public' },
    schema: {
      tags: ['session'],
      summary: 'Log in: exchange a token for a session cookie',
      body: Type.Object({
        token: Type.String({ minLength: 1, maxLength: 512 }),
        /** The token's name (api.tokens[].name): optional; when given the token must be that one, and wrong tokens count against that account. */
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      }, { additionalProperties: false }),
      response: responses({ 204: Type.Null() }),
    },
  }, async (req, reply) => {
    const account = req.body.name ?? ANY_TOKEN
    const verdict = throttle.check(req.ip, account)
    if (verdict !== null) throw throttled(reply, verdict.waitMs, verdict.reason === 'address_backoff' ? 'from this address' : 'for this account')
    const p = tokens.verify(req.body.token)
    if (p === null || (req.body.name !== undefined && p.name !== req.body.name)) {
      throttle.fail(req.ip, account)
      throw new HexpatrolError('HEXP_ERR_UNAUTHORIZED', 'The token is not valid.')
    }
    throttle.succeed(req.ip, account)
    req.principal = p
    sessions.issue(req, reply, p)
    return reply.status(204).send(null)
  })
  app.get('/api/v1/session', {
    config: { scope: 'read' },
    schema: {
      tags: ['session'],
      summary: 'Who the current session (or token) is',
      response: responses({ 200: Type.Object({ name: Type.String(), scope: Scope, expiresAt: Type.Union([Type.Number(), Type.Null()]) }) }),
    },
  }, async (req) => {
    const p = req.principal!
    return { name: p.name, scope: p.scope, expiresAt: sessions.read(req)?.expiresAt ?? null }
  })
  app.delete('/api/v1/session', {
    config: { scope: 'read' },
    schema: { tags: ['session'], summary: 'Log out: revoke the session cookie', response: responses({ 204: Type.Null() }) },
  }, async (req, reply) => {
    sessions.revoke(reply, sessions.read(req))
    return reply.status(204).send(null)
  })
}
