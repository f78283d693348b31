// VehicleTracks: a vehicle is found near where it is, under the square of its latest fix only,
// as it drives from square to square and back.
import t from 'tap'
import { VehicleTracks } from '../../src/integrity/vehicle-tracks.js'
import { at } from './helpers.js'

t.test('a vehicle is filed under the square of its latest fix as it moves square', async (t) => {
  const v = new VehicleTracks()
  t.equal(v.nearest(at('x', 0).lat, at('x', 0).lon, at('x', 0).ts, 100, 60_000), null, 'no vehicle yet')
  // Eastward at 10 m/s, one fix every 10 s: 100 m a fix, across several 1 km squares.
  for (let s = 0; s <= 600; s += 10) {
    const f = at('V-1', s, 0, s * 10)
    v.add(f)
    const near = v.nearest(f.lat, f.lon, f.ts, 50, 60_000)
    t.equal(near?.unitId, 'V-1', `found where it is at ${s} s`)
    t.ok((near?.distanceM ?? Infinity) < 1)
  }
  const start = at('y', 600)
  t.equal(v.nearest(start.lat, start.lon, start.ts, 100, 60_000), null, '6 km back west: not filed there any more')
  // Back west in one jump: filed again where it started.
  v.add(at('V-1', 610))
  t.equal(v.nearest(start.lat, start.lon, start.ts + 10_000, 100, 60_000)?.unitId, 'V-1', 'found back at the start')
  const east = at('z', 610, 0, 6000)
  t.equal(v.nearest(east.lat, east.lon, east.ts, 100, 60_000), null, 'no longer in the eastern square')
  v.add(at('V-1', 605, 0, 6000))
  t.equal(v.nearest(east.lat, east.lon, east.ts, 100, 60_000), null, 'an older fix is ignored')
})
