// Reports and bulletins under /api/v1/reports (scope read; regeneration operate): the whole-fleet
// report for any period, per-unit summary/stops/trips/route/events (Traccar's report set, our
// names), and the stored bulletins. JSON by default; CSV with format=csv or Accept: text/csv;
// a printable page with format=html or Accept: text/html. Encapsulated plugin (routes only).
import { Type, type TSchema } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { HexpatrolError } from '../errors.js'
import { notFound } from './errors.js'
import type { ReportsApi } from '../reports/index.js'
import { dayOf, periodNamed, type PeriodKind } from '../reports/periods.js'
import { toCsv } from '../reports/render-csv.js'
import { planRows } from '../reports/plans.js'
import { integrityRows } from '../reports/integrity.js'
import { reportHtml } from '../reports/render-html.js'
import type { Report } from '../reports/model.js'
import type { Locale } from '../i18n/locale.js'
import { responses } from './schemas.js'
import { BulletinList, FleetEvents, PlansReport, Regenerated, Report as ReportSchema, UnitEvents, UnitRoute, UnitStops, UnitSummary, UnitTrips, jsonOrText } from './report-schemas.js'

const MAX_RANGE_MS = 31 * 86_400_000
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
const FormatParam = Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('html')], { description: 'Default json; also chosen by Accept: text/csv or text/html.' })
const Range = {
  from: Type.Optional(Type.String({ maxLength: 40, description: 'Epoch ms or ISO-8601; default to − 1 day.' })),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'Epoch ms or ISO-8601; default now.' })),
  day: Type.Optional(Type.String({ ...Day, description: 'A local day (reports.timezone) instead of from/to.' })),
  format: Type.Optional(FormatParam),
}
const Table = Type.Union([Type.Literal('units'), Type.Literal('zones'), Type.Literal('posts'), Type.Literal('integrity'), Type.Literal('make_up_zones'), Type.Literal('make_up_units')], { default: 'units', description: 'The table a CSV holds (integrity: one row per patrol integrity signal; make_up_zones / make_up_units: make-up patrol tasks per zone / unit)' })
type TableName = 'units' | 'zones' | 'posts' | 'integrity' | 'make_up_zones' | 'make_up_units'
/** Rows per answer of route and events: bounds its memory (split the period for more). */
const Limit = Type.Integer({ minimum: 1, maximum: 20_000, default: 10_000 })
const UnitParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) })
const BulletinParams = Type.Object({ kind: Type.Union([Type.Literal('daily'), Type.Literal('weekly')]), period: Day })
const query = (props: Record<string, TSchema>) => Type.Object({ ...Range, ...props }, { additionalProperties: false })
const read = { scope: 'read' } as const
/** Computed from ClickHouse per request: counted against http.expensive_reads. */
const heavy = { scope: 'read', expensive: true } as const
const tags = ['reports']

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

function sendTable(reply: FastifyReply, format: Format, json: unknown, rows: ReadonlyArray<Record<string, unknown>>, name: string, locale: Locale): unknown {
  if (format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(toCsv(rows, locale))
  if (format === 'html') throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', 'format=html is available for the fleet report and bulletins; use json or csv here.')
  return json
}

function sendReport(reply: FastifyReply, format: Format, r: Report, table: TableName, name: string, locale: Locale): unknown {
  if (format === 'html') return reply.type('text/html; charset=utf-8').send(reportHtml(r, locale))
  if (table === 'integrity') return sendTable(reply, format, r, integrityRows(r.integrity), `${name}-integrity`, locale)
  if (table === 'make_up_zones') return sendTable(reply, format, r, (r.makeUp?.zones ?? []).map((x) => ({ ...x })), `${name}-${table}`, locale)
  if (table === 'make_up_units') return sendTable(reply, format, r, (r.makeUp?.units ?? []).map((x) => ({ ...x })), `${name}-${table}`, locale)
  return sendTable(reply, format, r, r[table].map((x) => ({ ...x, ...('cells' in x ? { cells: x.cells.length } : {}) })), `${name}-${table}`, locale)
}

export async function reportsPlugin(app: FastifyInstance, opts: { reports: ReportsApi; now: () => number }): Promise<void> {
  const { reports, now } = opts
  const { service, bulletins, schedule, locale } = reports

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

  app.get<{ Querystring: RangeQuery & { table: TableName } }>('/api/v1/reports/summary', { config: heavy, schema: { tags, summary: 'The fleet report for a day (day=) or a period (from/to, at most 31 days): units, zones, posts, headline', querystring: query({ table: Table }), response: responses({ 200: jsonOrText(ReportSchema, true) }) } }, async (req, reply) => {
    const r = rangeOf(req.query)
    const report = await service.report({ kind: 'custom', period: r.period, from: r.from, to: r.to })
    return sendReport(reply, formatOf(req), report, req.query.table, 'report', locale)
  })

  app.get<{ Params: { id: string }; Querystring: RangeQuery }>('/api/v1/reports/units/:id', { config: heavy, schema: { tags, summary: 'One unit\'s figures with its stops, trips and silent periods', params: UnitParams, querystring: query({}), response: responses({ 200: jsonOrText(UnitSummary, false) }) } }, async (req, reply) => {
    const r = rangeOf(req.query)
    const d = await service.unit(req.params.id, r.from, r.to)
    if (d === null) throw notFound(`unit ${req.params.id}`)
    const { stopList: _s, tripList: _t, silentPeriods: _p, ...summary } = d
    return sendTable(reply, formatOf(req), { from: r.from, to: r.to, ...d }, [summary], `summary-${d.unitId}`, locale)
  })

  for (const kind of ['stops', 'trips'] as const) {
    app.get<{ Params: { id: string }; Querystring: RangeQuery }>(`/api/v1/reports/units/:id/${kind}`, { config: heavy, schema: { tags, summary: `A unit's ${kind}`, params: UnitParams, querystring: query({}), response: responses({ 200: jsonOrText(kind === 'stops' ? UnitStops : UnitTrips, false) }) } }, async (req, reply) => {
      const r = rangeOf(req.query)
      const d = await service.unit(req.params.id, r.from, r.to)
      if (d === null) throw notFound(`unit ${req.params.id}`)
      const list = kind === 'stops' ? d.stopList : d.tripList
      return sendTable(reply, formatOf(req), { unitId: d.unitId, from: r.from, to: r.to, [kind]: list }, list as unknown as Array<Record<string, unknown>>, `${kind}-${d.unitId}`, locale)
    })
  }

  app.get<{ Params: { id: string }; Querystring: RangeQuery & { limit: number } }>('/api/v1/reports/units/:id/route', { config: heavy, schema: { tags, summary: 'A unit\'s stored fixes, flagged ones included (marked)', params: UnitParams, querystring: query({ limit: Limit }), response: responses({ 200: jsonOrText(UnitRoute, false) }) } }, async (req, reply) => {
    const r = rangeOf(req.query)
    const points = await service.route(req.params.id, r.from, r.to, req.query.limit)
    return sendTable(reply, formatOf(req), { unitId: req.params.id, from: r.from, to: r.to, points }, points as unknown as Array<Record<string, unknown>>, `route-${req.params.id}`, locale)
  })

  app.get<{ Params: { id: string }; Querystring: RangeQuery & { limit: number } }>('/api/v1/reports/units/:id/events', { config: heavy, schema: { tags, summary: 'A unit\'s alert transitions', params: UnitParams, querystring: query({ limit: Limit }), response: responses({ 200: jsonOrText(UnitEvents, false) }) } }, async (req, reply) => {
    const r = rangeOf(req.query)
    const events = await service.events(r.from, r.to, req.query.limit, req.params.id)
    return sendTable(reply, formatOf(req), { unitId: req.params.id, from: r.from, to: r.to, events }, events as unknown as Array<Record<string, unknown>>, `events-${req.params.id}`, locale)
  })

  app.get<{ Querystring: RangeQuery & { limit: number } }>('/api/v1/reports/events', { config: heavy, schema: { tags, summary: 'Every alert transition of a period', querystring: query({ limit: Limit }), response: responses({ 200: jsonOrText(FleetEvents, false) }) } }, async (req, reply) => {
    const r = rangeOf(req.query)
    const events = await service.events(r.from, r.to, req.query.limit)
    return sendTable(reply, formatOf(req), { from: r.from, to: r.to, events }, events as unknown as Array<Record<string, unknown>>, 'events', locale)
  })

  app.get<{ Querystring: RangeQuery & { plan?: string } }>('/api/v1/reports/plans', { config: heavy, schema: { tags, summary: 'Emergency plan activations of a period: time to man each checkpoint, who manned it, misses', querystring: query({ plan: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }), response: responses({ 200: jsonOrText(PlansReport, false) }) } }, async (req, reply) => {
    const r = rangeOf(req.query)
    const plans = await service.plans(r.from, r.to, req.query.plan)
    return sendTable(reply, formatOf(req), { from: r.from, to: r.to, ...plans }, planRows(plans), req.query.plan === undefined ? 'plans' : `plans-${req.query.plan}`, locale)
  })

  app.get<{ Querystring: { kind?: PeriodKind; limit: number } }>('/api/v1/reports/bulletins', {
    config: read,
    schema: {
      tags,
      summary: 'Stored bulletins, newest period first',
      querystring: Type.Object({ kind: Type.Optional(Type.Union([Type.Literal('daily'), Type.Literal('weekly')])), limit: Type.Integer({ minimum: 1, maximum: 1000, default: 60 }) }, { additionalProperties: false }),
      response: responses({ 200: BulletinList }),
    },
  }, async (req) => ({ bulletins: await bulletins.list(req.query.kind, req.query.limit) }))

  app.get<{ Params: { kind: PeriodKind; period: string }; Querystring: { format?: Format; table: TableName } }>('/api/v1/reports/bulletins/:kind/:period', {
    config: read,
    schema: { tags, summary: 'A stored bulletin (its newest generation)', params: BulletinParams, querystring: Type.Object({ format: Type.Optional(FormatParam), table: Table }, { additionalProperties: false }), response: responses({ 200: jsonOrText(ReportSchema, true) }) },
  }, async (req, reply) => {
    const b = await bulletins.get(req.params.kind, req.params.period)
    if (b === null) throw notFound(`${req.params.kind} bulletin ${req.params.period}`)
    return sendReport(reply, formatOf(req), b.report, req.query.table, `bulletin-${b.kind}-${b.period}`, locale)
  })

  app.post<{ Params: { kind: PeriodKind; period: string }; Querystring: { deliver: boolean } }>('/api/v1/reports/bulletins/:kind/:period/regenerate', {
    config: { scope: 'operate' },
    schema: { tags, summary: 'Generate a period\'s bulletin again (a new generation), optionally delivering it', params: BulletinParams, querystring: Type.Object({ deliver: Type.Boolean({ default: false, description: 'Also deliver it (webhooks, MQTT) as the scheduled bulletin is.' }) }, { additionalProperties: false }), response: responses({ 201: Regenerated }) },
  }, async (req, reply) => {
    const p = periodNamed(req.params.kind, schedule, req.params.period)
    if (p === null) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', `${req.params.period} does not name a ${req.params.kind} period (weeks start on reports.weekly_on: ${schedule.weeklyOn}).`)
    if (p.to > now()) throw new HexpatrolError('HEXP_ERR_CONFLICT', `the ${p.kind} period ${p.period} has not ended yet.`)
    const b = await bulletins.generate(p)
    if (req.query.deliver) reports.redeliver(b)
    return reply.status(201).send({ kind: b.kind, period: b.period, generatedAt: b.generatedAt, delivered: req.query.deliver, headline: b.report.headline })
  })
}
