// The map's replay routes (scope read): stored positions of a period, thinned to one fix per unit
// per step when asked, and the coverage of every zone at an instant. Both read ClickHouse.
// Positions are streamed page by page (PAGE rows per query), so a large period holds one page in
// memory and never blocks the event loop for long; `next` resumes after the last row sent.
import { Readable } from 'node:stream'
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HexpatrolError } from '../errors.js'
import type { ReplayCursor, ReplayPosition, ReplaySource } from './stored-reads.js'
import { responses } from './schemas.js'
import { Nullable } from '../wire/schema-helpers.js'

/** A period longer than this is refused: thin it with `step_ms` and split it. */
const MAX_RANGE_MS = 7 * 24 * 3_600_000
/** Rows per ClickHouse query and per chunk written: ~15 ms of event loop a page (bench/read-pressure.ts). */
export const PAGE = 1_000
const CURSOR = /^(\d{1,16}):(.{1,128})$/

const rowJson = (p: ReplayPosition): string =>
  `{"unitId":${JSON.stringify(p.unitId)},"ts":${p.ts},"lat":${p.lat},"lon":${p.lon},"speed":${p.speed ?? 'null'}}`
const cursorOf = (p: ReplayPosition): string => `${p.ts}:${p.unitId}`

const Time = (description: string) => Type.Integer({ minimum: 0, maximum: 8_640_000_000_000, description })

const Position = Type.Object({ unitId: Type.String(), ts: Type.Number(), lat: Type.Number(), lon: Type.Number(), speed: Nullable(Type.Number()) }, { additionalProperties: false })
const Positions = Type.Object({
  from: Type.Number(),
  to: Type.Number(),
  positions: Type.Array(Position, { description: 'Oldest first; flagged fixes are left out.' }),
  truncated: Type.Boolean({ description: 'True when `limit` rows came back: the period may hold more.' }),
  next: Nullable(Type.String({ description: 'When truncated: pass as `after` for the rows that follow.' })),
}, { additionalProperties: false })
const Coverage = Type.Object({
  at: Type.Number(),
  snapshotAt: Nullable(Type.Number({ description: 'The coverage snapshot describing `at`; null when there is none within 24 h before it.' })),
  zones: Type.Array(Type.Object({ zone: Type.String(), ratio: Type.Number(), responseRatio: Nullable(Type.Number()) }, { additionalProperties: false })),
  cells: Type.Array(Type.Object({ zone: Type.String(), cell: Type.String(), lastVisit: Nullable(Type.Number()) }, { additionalProperties: false })),
}, { additionalProperties: false })

export const replayPlugin: FastifyPluginAsyncTypebox<{ source: () => ReplaySource | undefined }> = async (app, opts) => {
  const source = (): ReplaySource => {
    const s = opts.source()
    if (s === undefined) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'ClickHouse is not connected.')
    return s
  }
  app.get('/api/v1/replay/positions', {
    config: { scope: 'read', expensive: true },
    schema: {
      tags: ['replay'],
      summary: 'Stored positions of a period (at most 7 days), optionally one fix per unit per step',
      querystring: Type.Object({
        from: Time('Epoch ms.'),
        to: Time('Epoch ms.'),
        limit: Type.Integer({ minimum: 1, maximum: 500_000, default: 200_000 }),
        step_ms: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 0, description: '0: every fix.' }),
        unit: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
        after: Type.Optional(Type.String({ maxLength: 150, description: 'The `next` of the previous answer: rows after it.' })),
      }, { additionalProperties: false }),
      response: responses({ 200: Positions }),
    },
  }, async (req, reply) => {
    const q = req.query
    if (q.from > q.to) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', '"from" is after "to".')
    if (q.to - q.from > MAX_RANGE_MS) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', 'The period is longer than 7 days.')
    let after: ReplayCursor | undefined
    if (q.after !== undefined) {
      const m = CURSOR.exec(q.after)
      if (m === null) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', '"after" must be the "next" of a previous answer.')
      after = { ts: Number(m[1]), unitId: m[2]! }
    }
    const src = source()
    const page = (cursor: ReplayCursor | undefined, n: number) => src.positions({ from: q.from, to: q.to, limit: n, stepMs: q.step_ms, unit: q.unit, after: cursor })
    // The first page before the status line: a ClickHouse error is still a coded error answer.
    let want = Math.min(PAGE, q.limit)
    let rows = await page(after, want)
    async function* body(): AsyncGenerator<string> {
      yield `{"from":${q.from},"to":${q.to},"positions":[`
      let sent = 0
      let last: ReplayPosition | undefined
      for (;;) {
        if (rows.length > 0) yield (sent === 0 ? '' : ',') + rows.map(rowJson).join(',')
        sent += rows.length
        last = rows[rows.length - 1] ?? last
        if (rows.length < want || sent >= q.limit) break
        want = Math.min(PAGE, q.limit - sent)
        rows = await page(last, want)
      }
      const truncated = sent === q.limit
      yield `],"truncated":${truncated},"next":${truncated ? JSON.stringify(cursorOf(last!)) : 'null'}}`
    }
    return reply.type('application/json; charset=utf-8').send(Readable.from(body()))
  })
  app.get('/api/v1/replay/coverage', {
    config: { scope: 'read' },
    schema: {
      tags: ['replay'],
      summary: 'Coverage of every zone (or one) at an instant: the latest snapshot at or before it',
      querystring: Type.Object({ at: Time('Epoch ms.'), zone: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }, { additionalProperties: false }),
      response: responses({ 200: Coverage }),
    },
  }, async (req) => source().coverageAt(req.query.at, req.query.zone))
}
