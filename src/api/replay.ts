// Replay data for the map (scope read): stored positions of a period and the coverage state at an
// instant, both from ClickHouse. The page replays them at its own speed; these routes only read.
import type { FastifyInstance } from 'fastify'
import { HexpatrolError } from '../errors.js'
import type { ReplaySource } from '../sink/clickhouse/replay-queries.js'

/** A period longer than this is refused: thin it with `step_ms` and split it. */
const MAX_RANGE_MS = 7 * 24 * 3_600_000

const Time = { type: 'integer', minimum: 0, maximum: 8_640_000_000_000 } as const

export async function replayPlugin(app: FastifyInstance, opts: { source: () => ReplaySource | undefined }): Promise<void> {
  const source = (): ReplaySource => {
    const s = opts.source()
    if (s === undefined) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'ClickHouse is not connected.')
    return s
  }
  app.get<{ Querystring: { from: number; to: number; limit: number; step_ms: number; unit?: string } }>('/api/v1/replay/positions', {
    config: { scope: 'read' },
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'to'],
        properties: {
          from: Time,
          to: Time,
          limit: { type: 'integer', minimum: 1, maximum: 500_000, default: 200_000 },
          step_ms: { type: 'integer', minimum: 0, maximum: 3_600_000, default: 0 },
          unit: { type: 'string', minLength: 1, maxLength: 128 },
        },
      },
    },
  }, async (req) => {
    const q = req.query
    if (q.from > q.to) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', '"from" is after "to".')
    if (q.to - q.from > MAX_RANGE_MS) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', 'The period is longer than 7 days.')
    const positions = await source().positions({ from: q.from, to: q.to, limit: q.limit, stepMs: q.step_ms, unit: q.unit })
    return { from: q.from, to: q.to, truncated: positions.length === q.limit, positions }
  })
  app.get<{ Querystring: { at: number; zone?: string } }>('/api/v1/replay/coverage', {
    config: { scope: 'read' },
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        required: ['at'],
        properties: { at: Time, zone: { type: 'string', minLength: 1, maxLength: 128 } },
      },
    },
  }, async (req) => source().coverageAt(req.query.at, req.query.zone))
}
