// GET /api/v1/levels (the ladder, each zone's level and the open suggestions), PUT
// /api/v1/zones/:id/level (change one, effective at the next tick, optionally until an expiry), and
// POST /api/v1/levels/suggestions/:id/accept|dismiss (a suggested level taken or turned down).
import type { FastifyRequest } from 'fastify'
import { HexpatrolError } from '../../errors.js'
import { LevelError } from '../../incidents/levels.js'
import { notFound } from '../errors.js'
import { IdParams, responses } from '../schemas.js'
import { LevelBody, LevelChanged, Levels, SuggestionAcceptBody, SuggestionAccepted, SuggestionDismissBody, SuggestionParams, ClosedLevelSuggestion } from '../incident-schemas.js'
import { SuggestionError } from '../../incidents/level-suggestions.js'
import { tags, timeParam, type IncidentsApp, type RouteDeps } from './common.js'

export function registerLevelRoutes(app: IncidentsApp, { ctx, svc, actor, audit }: RouteDeps): void {
  app.get('/api/v1/levels', {
    config: { scope: 'read' },
    schema: { tags, summary: 'The patrol level ladder and each zone\'s level (base, override, expiry)', response: responses({ 200: Levels }) },
  }, async () => {
    const s = svc()
    return { ladder: s.levels.levels(), zones: s.levels.views(ctx.now()), suggestions: s.suggestions.list() }
  })

  app.put('/api/v1/zones/:id/level', {
    config: { scope: 'operate', action: 'zone.level' },
    schema: {
      tags: [...tags, 'zones'],
      summary: 'Change a zone\'s patrol level (effective at the next tick, persisted, optionally until an expiry)',
      params: IdParams,
      body: LevelBody,
      response: responses({ 200: LevelChanged }),
    },
  }, async (req) => {
    const s = svc()
    const b = req.body
    const expiresAt = b.until === undefined ? null : timeParam(b.until, 0, 'until')
    // A promise in cluster mode (the change goes through the log and is answered once applied).
    const change = await levelCallAsync(req.params.id, () => s.setLevel(req.params.id, b.level, { reason: b.reason, by: actor(req), expiresAt }))
    if (change !== null) audit(req, 'zone.level', req.params.id, { from: change.from, to: change.to, reason: b.reason, expiresAt })
    return { ...s.levels.view(req.params.id, ctx.now()), changed: change !== null, effective: 'next tick' }
  })

  app.post('/api/v1/levels/suggestions/:id/accept', {
    config: { scope: 'operate', action: 'level.suggestion.accept' },
    preValidation: noBodyIsEmpty,
    schema: {
      tags: [...tags, 'zones'],
      summary: 'Accept a suggested patrol level: the zone goes to it (by the caller, optionally until an expiry)',
      params: SuggestionParams,
      body: SuggestionAcceptBody,
      response: responses({ 200: SuggestionAccepted }),
    },
  }, async (req) => {
    const s = svc()
    const until = req.body.until
    const expiresAt = until === undefined ? null : timeParam(until, 0, 'until')
    const r = await suggestionCall(req.params.id, () => s.acceptSuggestion(req.params.id, { by: actor(req), expiresAt }))
    const c = r.change
    // zoneId, from and to: the bulletin's level history reads accepted suggestions beside zone.level rows.
    audit(req, 'level.suggestion.accept', req.params.id, { zoneId: r.suggestion.zoneId, ...(c === null ? {} : { from: c.from, to: c.to, reason: c.reason }), expiresAt })
    return { suggestion: r.suggestion, zone: s.levels.view(r.suggestion.zoneId, ctx.now()), changed: c !== null, effective: 'next tick' }
  })

  app.post('/api/v1/levels/suggestions/:id/dismiss', {
    config: { scope: 'operate', action: 'level.suggestion.dismiss' },
    preValidation: noBodyIsEmpty,
    schema: {
      tags: [...tags, 'zones'],
      summary: 'Dismiss a suggested patrol level (announced as patrol_level.suggestion_dismissed)',
      params: SuggestionParams,
      body: SuggestionDismissBody,
      response: responses({ 200: ClosedLevelSuggestion }),
    },
  }, async (req) => {
    const s = svc()
    const reason = req.body.reason === undefined || req.body.reason === '' ? null : req.body.reason
    const c = await suggestionCall(req.params.id, () => s.dismissSuggestion(req.params.id, { by: actor(req), reason }))
    audit(req, 'level.suggestion.dismiss', req.params.id, { zoneId: c.zoneId, suggested: c.to, reason })
    return c
  })
}

/** A level change's errors as the API answers them: an unknown zone is 404, any other refusal 400. */
export function levelCall<T>(zoneId: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw levelRefusal(zoneId, err)
  }
}

/** levelCall() for a change that may settle later (cluster mode). */
export async function levelCallAsync<T>(zoneId: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw levelRefusal(zoneId, err)
  }
}

function levelRefusal(zoneId: string, err: unknown): Error {
  if (err instanceof LevelError && err.message.startsWith('no zone')) return notFound(`zone ${zoneId}`)
  return new HexpatrolError('HEXP_ERR_BAD_REQUEST', (err as Error).message)
}

/** Accept and dismiss take a POST without a body as `{}` (every field is optional). */
async function noBodyIsEmpty(req: FastifyRequest): Promise<void> {
  req.body ??= {}
}

/** A suggestion's refusals as the API answers them: unknown 404, already closed 409, a level refusal 400. */
export async function suggestionCall<T>(id: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof SuggestionError) throw err.code === 'closed' ? new HexpatrolError('HEXP_ERR_CONFLICT', err.message) : notFound(`suggestion ${id}`)
    if (err instanceof LevelError) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', err.message)
    throw err
  }
}
