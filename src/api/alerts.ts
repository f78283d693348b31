// Alerts: open ones from the rule engine, history from ClickHouse `alerts`, both paged newest
// first with an opaque cursor; one alert with its transitions; acknowledgement (scope operate,
// recorded under the token's name, with an optional note stored with the transition and audited).
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HexpatrolError } from '../errors.js'
import type { AlertView as AlertViewT } from '../rules/alert-book.js'
import type { AlertEvent as AlertEventT, AlertState } from '../rules/alert-event.js'
import type { ApiContext } from './context.js'
import type { AlertHistory } from './stored-reads.js'
import { notFound } from './errors.js'
import { AlertEvent, AlertView, IdParams, responses } from './schemas.js'
import { parseTime } from './time-param.js'
import { engineOf } from './units.js'

const DAY = 86_400_000

export interface Cursor { openedAt: number; id: string }

export function encodeCursor(a: { openedAt: number; id: string }): string {
  return Buffer.from(`${a.openedAt}:${a.id}`).toString('base64url')
}

export function decodeCursor(s: string): Cursor {
  const m = /^(-?\d{1,16}):(.{1,128})$/s.exec(Buffer.from(s, 'base64url').toString('utf8'))
  if (m === null) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', 'cursor: not a cursor returned by this API')
  return { openedAt: Number(m[1]), id: m[2] as string }
}

const newestFirst = (a: AlertViewT, b: AlertViewT) => b.openedAt - a.openedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
const isAfter = (a: AlertViewT, c: Cursor) => a.openedAt < c.openedAt || (a.openedAt === c.openedAt && a.id < c.id)

const ListQuery = Type.Object({
  state: Type.Union(['open', 'acknowledged', 'resolved', 'all'].map((s) => Type.Literal(s)), { default: 'open', description: 'open and acknowledged come from the engine; resolved and all from ClickHouse.' }),
  kind: Type.Optional(Type.String({ maxLength: 64 })),
  zone: Type.Optional(Type.String({ maxLength: 128 })),
  unit: Type.Optional(Type.String({ maxLength: 128 })),
  from: Type.Optional(Type.String({ maxLength: 40, description: 'Opened at or after (epoch ms or ISO-8601); default 7 days back for history.' })),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'Opened before; default now.' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  cursor: Type.Optional(Type.String({ maxLength: 300, description: 'nextCursor of the previous page.' })),
}, { additionalProperties: false })

function reader(ctx: ApiContext): AlertHistory {
  if (ctx.alertHistory === undefined) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'ClickHouse is not connected: alert history is unavailable.')
  return ctx.alertHistory
}

async function history<T>(q: () => Promise<T>): Promise<T> {
  try {
    return await q()
  } catch (err) {
    throw new HexpatrolError('HEXP_ERR_CLICKHOUSE_UNAVAILABLE', `Alert history query failed: ${(err as Error).message.split('\n')[0]}`, { cause: err })
  }
}

export const alertsPlugin: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, opts) => {
  const { ctx } = opts
  app.get('/api/v1/alerts', {
    schema: {
      tags: ['alerts'],
      summary: 'Alerts, newest first: open ones from the engine, history from ClickHouse',
      querystring: ListQuery,
      response: responses({ 200: Type.Object({ alerts: Type.Array(AlertView), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }),
    },
  }, async (req) => {
    const q = req.query
    const now = ctx.now()
    const to = parseTime(q.to, now + 1, 'to')
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor)
    let page: AlertViewT[]
    if (q.state === 'open' || q.state === 'acknowledged') {
      const from = parseTime(q.from, -Infinity, 'from')
      page = engineOf(ctx).openAlerts().filter((a) =>
        (q.state === 'open' || a.state === 'acknowledged') &&
        (q.kind === undefined || a.kind === q.kind) &&
        (q.zone === undefined || a.last.zoneId === q.zone) &&
        (q.unit === undefined || a.last.unitId === q.unit) &&
        a.openedAt >= from && a.openedAt < to &&
        (after === undefined || isAfter(a, after))).sort(newestFirst).slice(0, q.limit + 1)
    } else {
      const from = parseTime(q.from, to - 7 * DAY, 'from')
      const states: AlertState[] | null = q.state === 'all' ? null : ['resolved']
      const ch = reader(ctx)
      page = await history(() => ch.history({ states, kind: q.kind, zone: q.zone, unit: q.unit, from, to, limit: q.limit + 1, after }))
    }
    const more = page.length > q.limit
    const alerts = page.slice(0, q.limit)
    return { alerts, nextCursor: more ? encodeCursor(alerts[alerts.length - 1]!) : null }
  })

  app.get('/api/v1/alerts/:id', {
    schema: {
      tags: ['alerts'],
      summary: 'One alert with its transitions (opened, acknowledged, resolved)',
      params: IdParams,
      response: responses({ 200: Type.Composite([AlertView, Type.Object({ transitions: Type.Array(AlertEvent) })]) }),
    },
  }, async (req) => {
    const id = req.params.id
    const live = ctx.engine?.getAlert(id)
    let stored: AlertEventT[] = []
    if (ctx.alertHistory !== undefined) {
      const ch = ctx.alertHistory
      stored = await history(() => ch.transitions(id))
    }
    // The engine's latest transition may not be shipped to ClickHouse yet.
    if (live !== undefined && !stored.some((e) => e.eventId === live.last.eventId)) stored.push(live.last)
    if (live !== undefined) return { ...live, transitions: stored }
    if (stored.length === 0) throw notFound(`alert ${id}`)
    const last = stored[stored.length - 1]!
    const view: AlertViewT = { id, kind: last.kind, subject: last.subject, state: last.state, openedAt: last.openedAt, last }
    const ack = stored.find((e) => e.state === 'acknowledged')
    if (ack !== undefined) {
      view.acknowledgedAt = ack.at
      view.acknowledgedBy = ack.acknowledgedBy as string
      if (ack.ackNote !== undefined) view.ackNote = ack.ackNote
    }
    const res = stored.find((e) => e.state === 'resolved')
    if (res !== undefined) view.resolvedAt = res.at
    return { ...view, transitions: stored }
  })

  app.post('/api/v1/alerts/:id/ack', {
    config: { scope: 'operate', action: 'alert.acknowledge' },
    schema: {
      tags: ['alerts'],
      summary: 'Acknowledge an open alert, optionally with a note; the token\'s name is recorded as acknowledgedBy, the note as ackNote (on this and later transitions, and in the audit row)',
      params: IdParams,
      body: Type.Optional(Type.Object({ note: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false })),
      response: responses({ 200: AlertEvent }),
    },
    // No body at all is an acknowledgement without a note.
    preValidation: async (req) => {
      req.body ??= {}
    },
  }, async (req) => {
    const by = req.principal!.name
    // A blank note is no note: it is neither stored nor audited.
    const note = req.body?.note?.trim() || undefined
    if (note !== undefined) req.auditDetails = { note }
    const e = engineOf(ctx)
    const ev = ctx.alertCommands !== undefined ? await ctx.alertCommands.acknowledge(req.params.id, by, note) : e.acknowledge(req.params.id, by, ctx.now(), note)
    if (ev === null) {
      if (e.getAlert(req.params.id) === undefined) throw notFound(`alert ${req.params.id}`)
      throw new HexpatrolError('HEXP_ERR_CONFLICT', `alert ${req.params.id} is not open (or already acknowledged)`)
    }
    if (ctx.alertCommands === undefined) ctx.emit?.([ev])
    return ev
  })

  app.post('/api/v1/alerts/:id/resolve', {
    config: { scope: 'operate', action: 'alert.resolve' },
    schema: {
      tags: ['alerts'],
      summary: 'Resolve an open SOS (unit_sos) with a note: a device never closes its own SOS; the token\'s name is recorded as resolvedBy',
      params: IdParams,
      body: Type.Object({ note: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false }),
      response: responses({ 200: AlertEvent }),
    },
  }, async (req) => {
    const by = req.principal!.name
    req.auditDetails = { note: req.body.note }
    const e = engineOf(ctx)
    const ev = ctx.alertCommands !== undefined ? await ctx.alertCommands.resolveSos(req.params.id, by, req.body.note) : e.resolveSos(req.params.id, by, req.body.note, ctx.now())
    if (ev === null) {
      if (e.getAlert(req.params.id) === undefined) throw notFound(`alert ${req.params.id}`)
      throw new HexpatrolError('HEXP_ERR_CONFLICT', `alert ${req.params.id} is not an open SOS (only unit_sos alerts are resolved by an operator)`)
    }
    if (ctx.alertCommands === undefined) ctx.emit?.([ev])
    return ev
  })
}
