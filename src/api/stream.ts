// GET /api/v1/stream: the live stream as Server-Sent Events (scope read; browsers authenticate
// with the session cookie, since EventSource cannot set headers). A snapshot first, then
// position, alert and coverage events (and whatever other stages publish), each with an id for
// Last-Event-ID resumption, and heartbeats. See stream-hub.ts for the buffer bound: from here on
// the hub's per-client writer owns the response (its errors and close included).
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from './context.js'
import { LiveFeed } from './live-feed.js'
import { parseList, parseTypes, type StreamFilter } from './stream-hub.js'
import { responses } from './schemas.js'

export const streamPlugin: FastifyPluginAsyncTypebox<{ ctx: ApiContext; positionMs?: number; coverageMs?: number }> = async (app, opts) => {
  const { ctx } = opts
  const feed = new LiveFeed({ hub: ctx.stream, engine: () => ctx.engine, now: ctx.now, positionMs: opts.positionMs ?? 1000, coverageMs: opts.coverageMs ?? ctx.config.rules.tick })
  feed.start()
  app.addHook('onClose', async () => feed.stop())

  const snapshot = (f: StreamFilter) => {
    feed.prime()
    const e = ctx.engine
    if (e === undefined) return { units: [], alerts: [], zones: [] }
    const now = ctx.now()
    const inZone = (z: string | null | undefined) => f.zones === null || z == null || f.zones.has(z)
    return {
      units: e.units(now).filter((u) => inZone(u.zone)),
      alerts: e.openAlerts().filter((a) => inZone(a.last.zoneId)),
      zones: e.zones(now).filter((z) => inZone(z.id)),
    }
  }

  app.get('/api/v1/stream', {
    schema: {
      tags: ['stream'],
      summary: 'Live stream (text/event-stream): snapshot, position, alert, coverage, heartbeat, … events',
      description: 'Resume with the Last-Event-ID header: the missed events while they are in the ring of the last 10,000, else a fresh snapshot. A client whose live events wait past api.stream_buffer_bytes receives an `overflow` event and is disconnected.',
      produces: ['text/event-stream'],
      querystring: Type.Object({
        types: Type.Optional(Type.String({ maxLength: 500, description: 'Comma-separated: positions, alerts, coverage, or any type another stage publishes (incident, plan, …). Default: all.' })),
        zone: Type.Optional(Type.String({ maxLength: 1000, description: 'Comma-separated zone ids; events tied to another zone are left out.' })),
      }, { additionalProperties: false }),
      headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 64 })) }),
      response: responses({ 200: Type.String({ description: 'An endless text/event-stream.' }) }),
    },
  }, async (req, reply) => {
    const filter: StreamFilter = { types: parseTypes(req.query.types), zones: parseList(req.query.zone) }
    const headers = { ...reply.getHeaders(), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' }
    reply.hijack()
    const res = reply.raw
    // The connection timeout guards slow requests; a stream is long by design (heartbeats flow).
    req.raw.socket.setTimeout(0)
    res.writeHead(200, headers as Record<string, string>)
    ctx.stream.subscribe(res, filter, req.headers['last-event-id'], () => snapshot(filter))
  })
}
