// GET /api/v1/levels (the ladder and each zone's level) and PUT /api/v1/zones/:id/level (change
// one, effective at the next tick, optionally until an expiry).
import { HexpatrolError } from '../../errors.js'
import { LevelError } from '../../incidents/levels.js'
import { notFound } from '../errors.js'
import { IdParams, responses } from '../schemas.js'
import { LevelBody, LevelChanged, Levels } from '../incident-schemas.js'
import { tags, timeParam, type IncidentsApp, type RouteDeps } from './common.js'

export function registerLevelRoutes(app: IncidentsApp, { ctx, svc, actor, audit }: RouteDeps): void {
  app.get('/api/v1/levels', {
    config: { scope: 'read' },
    schema: { tags, summary: 'The patrol level ladder and each zone\'s level (base, override, expiry)', response: responses({ 200: Levels }) },
  }, async () => {
    const s = svc()
    return { ladder: s.levels.levels(), zones: s.levels.views(ctx.now()) }
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
