// Which units get a track (configured ones, then unknown ones that reported) and with which settings.
import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { UNKNOWN_KIND } from '../../src/rules/unit-state.js'
import { trackParams, unitTracks } from '../../src/reports/unit-tracks.js'
import type { Bucket } from '../../src/reports/track.js'

const dep = compileDeployment(validateConfig({
  units: [{ id: 'P-1', post: 's1', zone: 'g1', silent_after: '7m' }, { id: 'O-2', kind: 'officer' }],
  posts: [{ id: 's1', lat: 36.49, lon: 117.86, radius_m: 1500 }],
  zones: [{ id: 'g1', geometry: { type: 'Polygon', coordinates: [[[117.84, 36.47], [117.88, 36.47], [117.88, 36.51], [117.84, 36.51], [117.84, 36.47]]] } }],
}))
const S = { stopRadiusM: 40, stopMinMs: 300_000, noiseM: 15 }
const P = { from: 1_800_000_000_000, to: 1_800_000_000_000 + 3_600_000 }

t.test('trackParams: a configured unit carries its silence, liveness, post and zone', async (t) => {
  const p = trackParams(dep, 'P-1', S, P)
  const spec = dep.units.get('P-1')!
  t.equal(p.silentAfterMs, 7 * 60_000)
  t.equal(p.liveness, spec.liveness)
  t.same(p.post, { lat: 36.49, lon: 117.86, radiusM: 1500 })
  t.equal(p.zone, dep.zonesById.get('g1')!.polygon)
  t.match(p, { ...P, ...S })
})

t.test('trackParams: no post, no zone; an unknown unit gets the defaults', async (t) => {
  const o = trackParams(dep, 'O-2', S, P)
  t.equal(o.post, null)
  t.equal(o.zone, null)
  const x = trackParams(dep, 'X-9', S, P)
  t.equal(x.silentAfterMs, dep.rules.silentAfterMs)
  t.same(x.liveness, dep.livenessOf(UNKNOWN_KIND))
  t.equal(x.post, null)
  t.equal(x.zone, null)
  const gone = trackParams({ ...dep, posts: new Map(), zonesById: new Map() }, 'P-1', S, P)
  t.equal(gone.post, null, 'a post the deployment does not hold: none')
  t.equal(gone.zone, null, 'a zone the deployment does not hold: none')
})

t.test('unitTracks: configured units (even silent ones), then unknown units that reported', async (t) => {
  const b: Bucket = [P.from, 3, P.from, P.from + 50_000, 36.49, 117.86, 5]
  const tracks = unitTracks(dep, S, [{ unitId: 'X-9', buckets: [b], cells: 1 }, { unitId: 'P-1', buckets: [b], cells: 1 }], P)
  t.same([...tracks.keys()], ['P-1', 'O-2', 'X-9'])
  t.equal(tracks.get('O-2')!.fixes, 0, 'no buckets: an empty track')
  t.equal(tracks.get('P-1')!.fixes, 3)
  t.equal(tracks.get('X-9')!.fixes, 3)
})
