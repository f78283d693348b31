// GET /api/v1/places?q=&limit=: a place by the text a caller gives ("人民广场东门", "火车站"),
// for the incident form's Find. Scope `read` (the token hook runs first, the per-token rate limit
// counts it like any read). Offline places first, the online geocoder's after (incidents/place-finder.ts);
// a geocoder failure is an answer with `geocoder: failed`, never a 5xx.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { HexpatrolError } from '../errors.js'
import { DEFAULT_LIMIT, MAX_LIMIT, MAX_QUERY_CHARS, normalise } from '../incidents/places.js'
import { placeFinderFor } from '../incidents/place-finder.js'
import { PlacesAnswer } from '../wire/places.js'
import type { ApiContext } from './context.js'
import { responses } from './schemas.js'

export const placesPlugin: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const finder = ctx.places ?? placeFinderFor(ctx.config, { logger: ctx.logger.child({ component: 'places' }), now: () => ctx.now() })
  app.get('/api/v1/places', {
    config: { scope: 'read' },
    schema: {
      tags: ['incidents'],
      summary: 'Places matching a text (name, English name or alias; Chinese needs no spaces), for recording an incident by address',
      querystring: Type.Object({
        q: Type.String({ minLength: 1, maxLength: MAX_QUERY_CHARS, description: 'The place as typed; spaces, punctuation, case and full-width forms do not matter.' }),
        limit: Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT }),
      }, { additionalProperties: false }),
      response: responses({ 200: PlacesAnswer }),
    },
  }, async (req) => {
    const { q, limit } = req.query
    if (normalise(q) === '') throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', '"q" holds only spaces or punctuation: type a place name.')
    return { q, ...(await finder.find(q, limit)) }
  })
}
