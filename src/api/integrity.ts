// GET /api/v1/units/:id/integrity: a unit's patrol integrity signals (src/integrity/) overlapping a
// period, newest first, each a fact with its figures (evidence), never a verdict. Read scope. From
// the engine's memory: the latest signals of each unit since it started (the bulletin reads the
// stored ones, `integrity_signals`).
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HexpatrolError } from '../errors.js'
import type { IntegritySignal } from '../integrity/signal.js'
import { signalId } from '../integrity/detection.js'
import type { ApiContext } from './context.js'
import { notFound } from './errors.js'
import { IdParams, responses } from './schemas.js'
import { parseTime } from './time-param.js'

export const IntegritySignalView = Type.Object({
  id: Type.String({ description: 'The integrity.signal event id.' }),
  kind: Type.String({ description: 'mock_location, vehicle_speed, frozen_position, replayed_track, stationary_share or device_disagreement.' }),
  from: Type.Number({ description: 'Fix time of the stretch\'s first fix, epoch ms.' }),
  to: Type.Number({ description: 'Fix time of its last fix, epoch ms.' }),
  relatedUnitId: Type.Union([Type.String(), Type.Null()], { description: 'The vehicle the unit travelled with (vehicle_speed) or its paired terminal (device_disagreement).' }),
  evidence: Type.Record(Type.String(), Type.Number(), { description: 'The figures behind the signal; names carry their unit (…Minutes, …M, …Kmh, …Share).' }),
}, { additionalProperties: false })

const Reply = Type.Object({ unitId: Type.String(), from: Type.Number(), to: Type.Number(), signals: Type.Array(IntegritySignalView) })

/** A day back by default: the map's unit details show the last day's facts. */
const DEFAULT_SPAN_MS = 86_400_000

export const view = (s: IntegritySignal) => ({ id: signalId(s), kind: s.kind, from: s.from, to: s.to, relatedUnitId: s.relatedUnitId ?? null, evidence: s.evidence })

export const integrityPlugin: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, opts) => {
  const { ctx } = opts
  app.get('/api/v1/units/:id/integrity', {
    schema: {
      tags: ['units'],
      summary: 'A unit\'s patrol integrity signals (facts with evidence) overlapping a period, newest first',
      params: IdParams,
      querystring: Type.Object({
        from: Type.Optional(Type.String({ maxLength: 40, description: 'Epoch ms or ISO-8601; default to − 24 h.' })),
        to: Type.Optional(Type.String({ maxLength: 40, description: 'Epoch ms or ISO-8601; default now.' })),
      }, { additionalProperties: false }),
      response: responses({ 200: Reply }),
    },
  }, async (req) => {
    const stage = ctx.integrity
    if (stage === undefined) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'Patrol integrity runs with the rules, and this engine runs without them.')
    const id = req.params.id
    const now = ctx.now()
    if (ctx.engine?.unit(id, now) === undefined) throw notFound(`unit ${id}`)
    const to = parseTime(req.query.to, now, 'to')
    const from = parseTime(req.query.from, to - DEFAULT_SPAN_MS, 'from')
    if (from > to) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', '"from" is after "to".')
    return { unitId: id, from, to, signals: stage.signals(id, from, to).map(view) }
  })
}
