// A post row: the segments near it (whoever drove them), its uncovered time and its score.
import t from 'tap'
import { nearPost, postRows } from '../../src/reports/post-rows.js'
import type { UnitRow, ZoneRow } from '../../src/reports/model.js'

const W = { coverage: 1, moving: 1, cells: 1, presence: 1, breaches: 1, silences: 1 }
const POST = { id: 'p', name: 'Post', lat: 36.49, lon: 117.86, radiusM: 100 }
const seg = (from: number, to: number, dLatM: number, dLonM = 0) => ({ from, to, lat: POST.lat + dLatM / 111_195, lon: POST.lon + dLonM / (111_195 * Math.cos((POST.lat * Math.PI) / 180)) })

t.test('nearPost: every segment within the radius, of every track; the latitude test never drops one the haversine admits', async (t) => {
  const a = seg(0, 10, 50)
  const b = seg(10, 20, 99.9)
  const far = seg(20, 30, 150)
  const east = seg(30, 40, 0, 99)
  const eastFar = seg(40, 50, 0, 120)
  t.same(nearPost(POST, [{ segments: [a, far, east] }, { segments: [b, eastFar] }]), [a, east, b])
  t.same(nearPost(POST, []), [])
})

const unit = (id: string, postId: string | null, zoneId: string | null, inputs: Record<string, number | null>): UnitRow => ({ unitId: id, postId, zoneId, assessment: { score: 50, inputs, weights: {} } } as unknown as UnitRow)
const zone = (id: string, mean: number | null): ZoneRow => ({ zoneId: id, coverage: { samples: 1, mean, min: mean, belowMinMs: 0 } } as unknown as ZoneRow)

t.test('postRows: its units sorted, time no unit was near, the score from its units and their zones', async (t) => {
  const P = { from: 0, to: 100 }
  const tracks = new Map([['B', { segments: [seg(10, 40, 0)] }], ['Z', { segments: [seg(30, 60, 10), seg(80, 90, 500)] }]])
  const units = [unit('B', 'p', 'z1', { breaches: 1, silences: 0.5 }), unit('A', 'p', null, { breaches: 0.5, silences: null }), unit('C', 'q', 'z1', { breaches: 0 })]
  const [row, empty] = postRows([POST, { ...POST, id: 'e', name: 'Empty' }], tracks, units, [zone('z1', 0.8)], P, W)
  t.match(row, { postId: 'p', name: 'Post', radiusM: 100, units: ['A', 'B'], uncoveredMs: 50 })
  t.same(row!.assessment.inputs, { coverage: 0.8, presence: 0.5, breaches: 0.75, silences: 0.5 })
  t.match(empty, { postId: 'e', units: [], uncoveredMs: 50 }, 'any unit near it counts, not only its own')
  t.same(empty!.assessment.inputs, { coverage: null, presence: 0.5, breaches: null, silences: null })
})
