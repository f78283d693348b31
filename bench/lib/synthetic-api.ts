// A stand-in for the engine's public API, for measuring the map page alone at an exact load: the
// same routes and shapes the page reads (session, GeoJSON layers, the SSE stream), with `units`
// units each sending one position a second (fix time = send time) and a coverage event every
// 5 s. What it measures is the browser's side only; bench/map.ts without --synthetic measures
// the whole path from MQTT.
import Fastify from 'fastify'
import { cellToBoundary, polygonToCells } from 'h3-js'
import { validateConfig } from '../../src/config/load.js'
import { webPlugin } from '../../src/api/web.js'

export async function syntheticApi(units: number, zone: { type: 'Polygon'; coordinates: number[][][] }, resolution: number) {
  const app = Fastify()
  await app.register(webPlugin, { config: validateConfig({}) })
  const cells = polygonToCells(zone.coordinates[0]!.map(([lon, lat]) => [lat!, lon!]), resolution)
  const [[lon0, lat0], , [lon1, lat1]] = zone.coordinates[0]! as [[number, number], unknown, [number, number]]
  const side = Math.ceil(Math.sqrt(units))
  const pos = (u: number, tick: number) => ({ lat: lat0 + 0.005 + Math.floor(u / side) * ((lat1 - lat0 - 0.01) / side), lon: lon0 + 0.005 + (u % side) * ((lon1 - lon0 - 0.01) / side) + tick * 0.00005 })
  const unit = (u: number, tick: number, ts: number) => ({ id: `U-${u}`, name: `U-${u}`, kind: u % 3 === 0 ? 'officer' : 'vehicle', post: null, zone: 'bench', silent: false, inBreach: u % 97 === 0, outsideZone: false, distanceFromPostM: null, lastFix: { ...pos(u, tick), ts, speed: 9, heading: 90, accuracy: 5 } })
  app.get('/api/v1/session', async () => ({ name: 'bench', scope: 'read', expiresAt: null }))
  app.get('/api/v1/zones.geojson', async () => ({ type: 'FeatureCollection', features: [{ type: 'Feature', id: 'bench', geometry: zone, properties: { id: 'bench', name: 'Bench zone', ratio: 0.4, responseRatio: 0.7, minRatio: 0.6 } }] }))
  app.get('/api/v1/posts.geojson', async () => ({ type: 'FeatureCollection', features: [] }))
  app.get('/api/v1/alerts', async () => ({ alerts: [] }))
  app.get('/api/v1/units.geojson', async () => ({ type: 'FeatureCollection', features: Array.from({ length: units }, (_, u) => { const x = unit(u, 0, Date.now()); return { type: 'Feature', id: x.id, geometry: { type: 'Point', coordinates: [x.lastFix.lon, x.lastFix.lat] }, properties: { ...x, lastFix: undefined, ts: x.lastFix.ts, speed: 9 } } }) }))
  app.get('/api/v1/zones/bench/cells', async () => ({ type: 'FeatureCollection', features: cells.map((c, i) => ({ type: 'Feature', id: c, geometry: { type: 'Polygon', coordinates: [cellToBoundary(c, true)] }, properties: { cell: c, lastVisit: i % 3 === 0 ? null : Date.now() - (i % 40) * 60_000, priority: i % 500 === 0, maxIntervalMs: 1_800_000 } })) }))
  app.get('/api/v1/stream', (req, reply) => {
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    let id = 0
    const send = (type: string, data: unknown) => res.write(`id: ${++id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`)
    send('snapshot', { units: [], alerts: [], zones: [] })
    // 20 slices a second, each a twentieth of the fleet: every unit once a second.
    let slice = 0
    const slices = 20
    const timer = setInterval(() => {
      const tick = Math.floor(slice / slices)
      const from = Math.floor(((slice % slices) * units) / slices)
      const to = Math.floor((((slice % slices) + 1) * units) / slices)
      const now = Date.now()
      for (let u = from; u < to; u++) send('position', unit(u, tick + 1, now))
      if (slice % (slices * 5) === 0) send('coverage', { zone: 'bench', ratio: 0.41, responseRatio: 0.7, changed: cells.filter((_, i) => i % 40 === tick % 40).map((c) => ({ cell: c, lastVisit: now })) })
      slice++
    }, 1000 / slices)
    req.raw.on('close', () => clearInterval(timer))
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const a = app.server.address() as { port: number }
  return { url: `http://127.0.0.1:${a.port}`, cells: cells.length, close: () => app.close() }
}
