// Browser sessions for the map: POST /api/v1/session { token } → 204 + the signed, HttpOnly,
// SameSite=Strict cookie (Secure over TLS); GET returns who the session is; DELETE logs out.
// The token travels once, in a JSON body, never in a URL.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HexpatrolError } from '../errors.js'
import type { TokenBook } from './tokens.js'
import type { SessionCodec } from './session-cookie.js'
import { responses } from './schemas.js'

const Scope = Type.Union([Type.Literal('read'), Type.Literal('operate'), Type.Literal('admin')])

export const sessionPlugin: FastifyPluginAsyncTypebox<{ tokens: TokenBook; sessions: SessionCodec }> = async (app, opts) => {
  const { tokens, sessions } = opts
  app.post('/api/v1/session', {
    // Public: the body carries the credential. Rate-limited per IP like every route.
    config: { scope: 'public' },
    schema: {
      tags: ['session'],
      summary: 'Log in: exchange a token for a session cookie',
      body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false }),
      response: responses({ 204: Type.Null() }),
    },
  }, async (req, reply) => {
    const p = tokens.verify(req.body.token)
    if (p === null) throw new HexpatrolError('HEXP_ERR_UNAUTHORIZED', 'The token is not valid.')
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
