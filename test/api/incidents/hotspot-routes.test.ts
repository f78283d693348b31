// A hotspot as the map draws it: its cell's closed ring, the score to three decimals.
import t from 'tap'
import { cellToBoundary, latLngToCell } from 'h3-js'
import { hotspotFeature } from '../../../src/api/incidents/hotspot-routes.js'

t.test('hotspotFeature: a closed GeoJSON ring of the zone cell, id zone:cell, rounded score', async (t) => {
  const cell = latLngToCell(36.49, 117.86, 8)
  const f = hotspotFeature({ zoneId: 'g1', zoneCell: cell, cell: latLngToCell(36.49, 117.86, 9), score: 2.34567, count: 5 })
  t.equal(f.id, `g1:${cell}`)
  t.same(f.properties, { zone: 'g1', cell, score: 2.346, incidents: 5 })
  t.equal(f.geometry.type, 'Polygon')
  const ring = f.geometry.coordinates[0] as Array<[number, number]>
  const boundary = cellToBoundary(cell, true)
  t.equal(ring.length, boundary.length + 1, 'one more point than the cell has vertices')
  t.same(ring.slice(0, -1), boundary, '[lon, lat] vertices')
  t.same(ring[ring.length - 1], ring[0], 'the ring is closed')
})
