// GET /api/v1/hotspots: the live hotspot cells as GeoJSON polygons with their score.
import { Type } from '@sinclair/typebox'
import { cellToBoundary } from 'h3-js'
import type { Hotspot } from '../../incidents/hotspots.js'
import { responses } from '../schemas.js'
import { HotspotCollection } from '../incident-schemas.js'
import { tags, type IncidentsApp, type RouteDeps } from './common.js'

export function registerHotspotRoutes(app: IncidentsApp, { svc }: RouteDeps): void {
  app.get('/api/v1/hotspots', {
    config: { scope: 'read' },
    schema: {
      tags: [...tags, 'geojson'],
      summary: 'Hotspot cells (the top incident-density cells per zone) as GeoJSON polygons with their score',
      querystring: Type.Object({ zone: Type.Optional(Type.String({ maxLength: 128 })) }, { additionalProperties: false }),
      response: responses({ 200: HotspotCollection }),
    },
  }, async (req) => {
    const s = svc()
    return { type: 'FeatureCollection' as const, computedAt: s.hotspotsAt, features: s.hotspotList(req.query.zone).map(hotspotFeature) }
  })
}

/** One hotspot as a GeoJSON polygon (its cell's closed ring), score to three decimals. */
export function hotspotFeature(h: Hotspot) {
  return {
    type: 'Feature' as const,
    id: `${h.zoneId}:${h.zoneCell}`,
    geometry: { type: 'Polygon' as const, coordinates: [ring(h.zoneCell)] },
    properties: { zone: h.zoneId, cell: h.zoneCell, score: Math.round(h.score * 1000) / 1000, incidents: h.count },
  }
}

const ring = (cell: string) => cellToBoundary(cell, true).concat([cellToBoundary(cell, true)[0] as [number, number]])
