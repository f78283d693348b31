// Reports and bulletins under /api/v1/reports (scope read; regeneration operate): the whole-fleet
// report for any period, per-unit summary/stops/trips/route/events (Traccar's report set, our
// names), and the stored bulletins. JSON by default; CSV with format=csv or Accept: text/csv;
// a printable page with format=html or Accept: text/html. Encapsulated plugin (routes only).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { HexpatrolError } from '../errors.js'
import { notFound } from './errors.js'
import type { ReportsApi } from '../reports/index.js'
import { dayOf, periodNamed, type PeriodKind } from '../reports/periods.js'
import { toCsv } from '../reports/render-csv.js'
import { planRows } from '../reports/plans.js'
import { reportHtml } from '../reports/render-html.js'
import type { Report } from '../reports/model.js'

const MAX_RANGE_MS = 31 * 86_400_000
const Range = {
  from: { type: 'string', maxLength: 40 },
  to: { type: 'string', maxLength: 40 },
  day: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
  format: { type: 'string', enum: ['json', 'csv', 'html'] },
} as const
const Table = { type: 'string', enum: ['units', 'zones', 'posts'], default: 'units' } as const
const Limit = { type: 'integer', minimum: 1, maximum: 100_000, default: 10_000 } as const
const UnitParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 128 } } } as const
const BulletinParams = {
  type: 'object',
  required: ['kind', 'period'],
  properties: { kind: { type: 'string', enum: ['daily', 'weekly'] }, period: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } },
} as const
const query = (props: Record<string, unknown>) => ({ type: 'object', additionalProperties: false, properties: { ...Range, ...props } })
const read = { scope: 'read' } as const

type RangeQuery = { from?: string; to?: string; day?: string; format?: 'json' | 'csv' | 'html' }

function parseTime(value: string, key: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (!Number.isFinite(n)) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', `"${key}" must be epoch milliseconds or an ISO-8601 time.`)
  return n
}

type Format = 'json' | 'csv' | 'html'
function formatOf(req: FastifyRequest<{ Querystring: { format?: Format } }>): Format {
  if (req.query.format !== undefined) return req.query.format
  const accept = req.headers.accept ?? ''
  if (/\btext\/csv\b/.test(accept)) return 'csv'
  if (/\btext\/html\b/.test(accept)) return 'html'
  return 'json'
}

function sendTable(reply: FastifyReply, format: Format, json: unknown, rows: ReadonlyArray<Record<string, unknown>>, name: string): unknown {
  if (format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(toCsv(rows))
  if (format === 'html') throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', 'format=html is available for the fleet report and bulletins; use json or csv here.')
  return json
}

function sendReport(reply: FastifyReply, format: Format, r: Report, table: 'units' | 'zones' | 'posts', name: string): unknown {
  if (format === 'html') return reply.type('text/html; charset=utf-8').send(reportHtml(r))
  return sendTable(reply, format, r, r[table].map((x) => ({ ...x, ...('cells' in x ? { cells: x.cells.length } : {}) })), `${name}-${table}`)
}

export async function reportsPlugin(app: FastifyInstance, opts: { reports: ReportsApi; now: () => number }): Promise<void> {
  const { reports, now } = opts
  const { service, bulletins, schedule } = reports

  /** day= (a local day), or from/to; default: the previous local day. */
  const rangeOf = (q: RangeQuery): { from: number; to: number; period: string } => {
    if (q.day !== undefined) {
      const p = periodNamed('daily', schedule, q.day)
      if (p === null) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', `"day" ${q.day} is not a calendar date.`)
      return { from: p.from, to: p.to, period: p.period }
    }
    if (q.from === undefined && q.to === undefined) {
      const p = dayOf(schedule, dayOf(schedule, now()).from - 1)
      return { from: p.from, to: p.to, period: p.period }
    }
    const to = q.to === undefined ? now() : parseTime(q.to, 'to')
    const from = q.from === undefined ? to - 86_400_000 : parseTime(q.from, 'from')
    if (from >= to) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', '"from" must be before "to".')
    if (to - from > MAX_RANGE_MS) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', 'A report covers at most 31 days.')
    return { from, to, period: '' }
  }

  app.get<{ Querystring: RangeQuery & { table: 'units' | 'zones' | 'posts' } }>('/api/v1/reports/summary', { config: read, schema: { querystring: query({ table: Table }) } }, async (req, reply) => {
    const r = rangeOf(req.query)
    const report = await service.report({ kind: 'custom', period: r.period, from: r.from, to: r.to })
    return sendReport(reply, formatOf(req), report, req.query.table, 'report')
  })

  app.get<{ Params: { id: string }; Querystring: RangeQuery }>('/api/v1/reports/units/:id', { config: read, schema: { params: UnitParams, querystring: query({}) } }, async (req, reply) => {
    const r = rangeOf(req.query)
    const d = await service.unit(req.params.id, r.from, r.to)
    if (d === null) throw notFound(`unit ${req.params.id}`)
    const { stopList: _s, tripList: _t, silentPeriods: _p, ...summary } = d
    return sendTable(reply, formatOf(req), { from: r.from, to: r.to, ...d }, [summary], `summary-${d.unitId}`)
  })

  for (const kind of ['stops', 'trips'] as const) {
    app.get<{ Params: { id: string }; Querystring: RangeQuery }>(`/api/v1/reports/units/:id/${kind}`, { config: read, schema: { params: UnitParams, querystring: query({}) } }, async (req, reply) => {
      const r = rangeOf(req.query)
      const d = await service.unit(req.params.id, r.from, r.to)
      if (d === null) throw notFound(`unit ${req.params.id}`)
      const list = kind === 'stops' ? d.stopList : d.tripList
      return sendTable(reply, formatOf(req), { unitId: d.unitId, from: r.from, to: r.to, [kind]: list }, list as unknown as Array<Record<string, unknown>>, `${kind}-${d.unitId}`)
    })
  }

  app.get<{ Params: { id: string }; Querystring: RangeQuery & { limit: number } }>('/api/v1/reports/units/:id/route', { config: read, schema: { params: UnitParams, querystring: query({ limit: Limit }) } }, async (req, reply) => {
    const r = rangeOf(req.query)
    const points = await service.route(req.params.id, r.from, r.to, req.query.limit)
    return sendTable(reply, formatOf(req), { unitId: req.params.id, from: r.from, to: r.to, points }, points as unknown as Array<Record<string, unknown>>, `route-${req.params.id}`)
  })

  app.get<{ Params: { id: string }; Querystring: RangeQuery & { limit: number } }>('/api/v1/reports/units/:id/events', { config: read, schema: { params: UnitParams, querystring: query({ limit: Limit }) } }, async (req, reply) => {
    const r = rangeOf(req.query)
    const events = await service.events(r.from, r.to, req.query.limit, req.params.id)
    return sendTable(reply, formatOf(req), { unitId: req.params.id, from: r.from, to: r.to, events }, events as unknown as Array<Record<string, unknown>>, `events-${req.params.id}`)
  })

  app.get<{ Querystring: RangeQuery & { limit: number } }>('/api/v1/reports/events', { config: read, schema: { querystring: query({ limit: Limit }) } }, async (req, reply) => {
    const r = rangeOf(req.query)
    const events = await service.events(r.from, r.to, req.query.limit)
    return sendTable(reply, formatOf(req), { from: r.from, to: r.to, events }, events as unknown as Array<Record<string, unknown>>, 'events')
  })

  app.get<{ Querystring: RangeQuery & { plan?: string } }>('/api/v1/reports/plans', { config: read, schema: { querystring: query({ plan: { type: 'string', minLength: 1, maxLength: 128 } }) } }, async (req, reply) => {
    const r = rangeOf(req.query)
    const plans = await service.plans(r.from, r.to, req.query.plan)
    return sendTable(reply, formatOf(req), { from: r.from, to: r.to, ...plans }, planRows(plans), req.query.plan === undefined ? 'plans' : `plans-${req.query.plan}`)
  })

  app.get<{ Querystring: { kind?: PeriodKind; limit: number } }>('/api/v1/reports/bulletins', {
    config: read,
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { kind: { type: 'string', enum: ['daily', 'weekly'] }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 60 } } } },
  }, async (req) => ({ bulletins: await bulletins.list(req.query.kind, req.query.limit) }))

  app.get<{ Params: { kind: PeriodKind; period: string }; Querystring: { format?: Format; table: 'units' | 'zones' | 'posts' } }>('/api/v1/reports/bulletins/:kind/:period', {
    config: read,
    schema: { params: BulletinParams, querystring: { type: 'object', additionalProperties: false, properties: { format: Range.format, table: Table } } },
  }, async (req, reply) => {
    const b = await bulletins.get(req.params.kind, req.params.period)
    if (b === null) throw notFound(`${req.params.kind} bulletin ${req.params.period}`)
    return sendReport(reply, formatOf(req), b.report, req.query.table, `bulletin-${b.kind}-${b.period}`)
  })

  app.post<{ Params: { kind: PeriodKind; period: string }; Querystring: { deliver: boolean } }>('/api/v1/reports/bulletins/:kind/:period/regenerate', {
    config: { scope: 'operate' },
    schema: { params: BulletinParams, querystring: { type: 'object', additionalProperties: false, properties: { deliver: { type: 'boolean', default: false } } } },
  }, async (req, reply) => {
    const p = periodNamed(req.params.kind, schedule, req.params.period)
    if (p === null) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', `${req.params.period} does not name a ${req.params.kind} period (weeks start on reports.weekly_on: ${schedule.weeklyOn}).`)
    if (p.to > now()) throw new HexpatrolError('HEXP_ERR_CONFLICT', `the ${p.kind} period ${p.period} has not ended yet.`)
    const b = await bulletins.generate(p)
    if (req.query.deliver) reports.redeliver(b)
    return reply.status(201).send({ kind: b.kind, period: b.period, generatedAt: b.generatedAt, delivered: req.query.deliver, headline: b.report.headline })
  })
}
