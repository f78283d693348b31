// Zones and coverage for maps: zone list and detail, zone polygons with coverage and open alerts
// as GeoJSON, each H3 cell of a zone with its last visit and freshness, posts with their radius.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { cellToBoundary, cellToLatLng } from 'h3-js'
import type { ZoneSpec } from '../rules/deployment.js'
import type { AlertView as AlertViewT } from '../rules/alert-book.js'
import type { ApiContext } from './context.js'
import { notFound } from './errors.js'
import { AlertView, FeatureCollection, Geometry, IdParams, responses } from './schemas.js'
import { Zone } from '../wire/views.js'
import { engineOf } from './units.js'

interface CellGeo { ring: number[][]; lat: number; lon: number }

const Cell = Type.Object({
  cell: Type.String(),
  lat: Type.Number(),
  lon: Type.Number(),
  lastVisit: Type.Union([Type.Number(), Type.Null()]),
  fresh: Type.Boolean(),
  priority: Type.Boolean(),
  /** False for a priority cell just outside the zone polygon (tracked, not counted in the ratio). */
  inZone: Type.Boolean(),
  maxIntervalMs: Type.Number(),
  name: Type.Optional(Type.String()),
})
const CellsJson = Type.Object({ zone: Type.String(), at: Type.Number(), cells: Type.Array(Cell) })

export function zoneAlerts(alerts: AlertViewT[], zoneId: string): AlertViewT[] {
  return alerts.filter((a) => a.last.zoneId === zoneId)
}

export const zonesPlugin: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, opts) => {
  const { ctx } = opts
  const geometries = new Map(ctx.config.zones.map((z) => [z.id, z.geometry as unknown as { type: string; coordinates: unknown[] }]))
  // Cell outlines depend only on the cell: computed once, on first use.
  const geo = new Map<string, CellGeo>()
  const cellGeo = (cell: string): CellGeo => {
    let g = geo.get(cell)
    if (g === undefined) {
      const [lat, lon] = cellToLatLng(cell)
      geo.set(cell, (g = { ring: cellToBoundary(cell, true), lat, lon }))
    }
    return g
  }
  const specOf = (id: string): ZoneSpec => {
    const spec = engineOf(ctx).deployment.zonesById.get(id)
    if (spec === undefined) throw notFound(`zone ${id}`)
    return spec
  }

  app.get('/api/v1/zones', {
    schema: { tags: ['zones'], summary: 'Zones with coverage and response coverage', response: responses({ 200: Type.Object({ zones: Type.Array(Zone) }) }) },
  }, async () => ({ zones: engineOf(ctx).zones(ctx.now()) }))

  app.get('/api/v1/zones.geojson', {
    schema: { tags: ['zones', 'geojson'], summary: 'Zone polygons with coverage ratio, response ratio and open alerts as properties', response: responses({ 200: FeatureCollection }) },
  }, async (_req, reply) => {
    const e = engineOf(ctx)
    const alerts = e.openAlerts()
    const features = e.zones(ctx.now()).map((z) => ({
      type: 'Feature' as const,
      id: z.id,
      geometry: geometries.get(z.id)!,
      properties: { ...z, openAlerts: zoneAlerts(alerts, z.id).length },
    }))
    return reply.type('application/geo+json').send({ type: 'FeatureCollection' as const, features })
  })

  app.get('/api/v1/zones/:id', {
    schema: {
      tags: ['zones'],
      summary: 'One zone: coverage, geometry, its units and open alerts',
      params: IdParams,
      response: responses({ 200: Type.Composite([Zone, Type.Object({ geometry: Geometry, units: Type.Array(Type.String()), openAlerts: Type.Array(AlertView) })]) }),
    },
  }, async (req) => {
    const spec = specOf(req.params.id)
    const e = engineOf(ctx)
    const view = e.zones(ctx.now())[spec.index]!
    const units = [...e.deployment.units.values()].filter((u) => u.zoneId === spec.id).map((u) => u.id)
    return { ...view, geometry: geometries.get(spec.id)!, units, openAlerts: zoneAlerts(e.openAlerts(), spec.id) }
  })

  app.get('/api/v1/zones/:id/cells', {
    schema: {
      tags: ['zones', 'geojson'],
      summary: 'Each H3 cell of a zone with last visit, freshness and priority (JSON, or GeoJSON polygons)',
      params: IdParams,
      querystring: Type.Object({
        state: Type.Union([Type.Literal('all'), Type.Literal('stale'), Type.Literal('fresh')], { default: 'all' }),
        format: Type.Union([Type.Literal('json'), Type.Literal('geojson')], { default: 'json' }),
      }, { additionalProperties: false }),
      response: responses({ 200: Type.Union([CellsJson, FeatureCollection]) }),
    },
  }, async (req, reply) => {
    const spec = specOf(req.params.id)
    const now = ctx.now()
    const priority = new Map(spec.coverage.priority.map((p) => [p.cell, p]))
    const inZone = spec.coverage.cells.length
    const want = req.query.state
    const cells = []
    for (const [i, c] of engineOf(ctx).zoneCells(spec.id, now)!.entries()) {
      const p = priority.get(c.cell)
      const maxIntervalMs = p?.maxIntervalMs ?? spec.maxIntervalMs
      const fresh = c.lastVisit !== null && now - c.lastVisit <= maxIntervalMs
      if ((want === 'stale' && fresh) || (want === 'fresh' && !fresh)) continue
      const g = cellGeo(c.cell)
      cells.push({ c, g, fresh, maxIntervalMs, priority: p !== undefined, inZone: i < inZone, name: p?.name })
    }
    if (req.query.format === 'json') {
      return {
        zone: spec.id,
        at: now,
        cells: cells.map(({ c, g, fresh, maxIntervalMs, priority, inZone, name }) => ({ cell: c.cell, lat: g.lat, lon: g.lon, lastVisit: c.lastVisit, fresh, priority, inZone, maxIntervalMs, ...(name === undefined ? {} : { name }) })),
      }
    }
    const features = cells.map(({ c, g, fresh, maxIntervalMs, priority, inZone, name }) => ({
      type: 'Feature' as const,
      id: c.cell,
      geometry: { type: 'Polygon', coordinates: [g.ring] },
      properties: { cell: c.cell, lastVisit: c.lastVisit, fresh, priority, inZone, maxIntervalMs, ...(name === undefined ? {} : { name }) },
    }))
    return reply.type('application/geo+json').send({ type: 'FeatureCollection' as const, features })
  })

  app.get('/api/v1/zones/:id/coverage', {
    schema: {
      tags: ['zones'],
      summary: 'A zone\'s coverage with its stalest cells',
      params: IdParams,
      querystring: Type.Object({ limit: Type.Integer({ minimum: 0, maximum: 100_000, default: 200 }) }, { additionalProperties: false }),
      response: responses({ 200: Type.Object({ zone: Zone, staleCells: Type.Array(Type.Object({ cell: Type.String(), lat: Type.Number(), lon: Type.Number(), lastVisit: Type.Union([Type.Number(), Type.Null()]), priority: Type.Optional(Type.Boolean()), name: Type.Optional(Type.String()) })) }) }),
    },
  }, async (req) => {
    const c = engineOf(ctx).zoneCoverage(req.params.id, ctx.now(), req.query.limit)
    if (c === undefined) throw notFound(`zone ${req.params.id}`)
    return c
  })

  app.get('/api/v1/posts.geojson', {
    schema: { tags: ['zones', 'geojson'], summary: 'Posts (stations) as points with their radius', response: responses({ 200: FeatureCollection }) },
  }, async (_req, reply) => {
    const e = engineOf(ctx)
    const units = [...e.deployment.units.values()]
    const features = [...e.deployment.posts.values()].map((p) => ({
      type: 'Feature' as const,
      id: p.id,
      geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
      properties: { id: p.id, name: p.name, ...(p.nameEn === undefined ? {} : { nameEn: p.nameEn }), radiusM: p.radiusM, units: units.filter((u) => u.postId === p.id).map((u) => u.id) },
    }))
    return reply.type('application/geo+json').send({ type: 'FeatureCollection' as const, features })
  })
}
