import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { bootConfig } from '../../src/boot.js'

const zone = (id: string, coverage: Record<string, unknown> = {}) => ({ id, geometry: { type: 'Polygon', coordinates: [[[117.84, 36.47], [117.88, 36.47], [117.88, 36.51], [117.84, 36.51], [117.84, 36.47]]] }, coverage })

t.test('defaults: propose in every zone, the patrol_tasks block in milliseconds', async (t) => {
  const c = validateConfig({ zones: [zone('g1')] })
  t.equal(c.zones[0]!.coverage.make_up, 'propose')
  t.same({ ...c.patrol_tasks }, {
    link_rings: 2, max_cells: 30, other_zone_penalty: 600_000, kind_penalty: {}, outside_post_penalty: 600_000, load_penalty: 300_000, load_window: 28_800_000, max_eta: 0, away_m: 500, abandon_after: 600_000, expire_after: 7_200_000,
    dismiss_for: 1_800_000, keep_ended: 500, auto_after: 900_000, auto_max_per_zone: 2, refresh_every: 30_000,
  })
})

t.test('compiled at boot: zones taking part, automatic ones with their bounds, the shared ETA and visit settings', async (t) => {
  const { stages } = bootConfig({
    zones: [zone('g1', { make_up: 'auto' }), zone('g2', { make_up: 'off' }), zone('g3')],
    patrol_tasks: { auto_after: '5m', auto_max_per_zone: 3, max_eta: '20m', other_zone_penalty: '2m', refresh_every: '10s', kind_penalty: { armoured: '1h' }, load_penalty: '10m', load_window: '12h', outside_post_penalty: '3m' },
    posts: [{ id: 'st-1', name: 'Station 1', lat: 36.5, lon: 117.8, radius_m: 1200 }],
    incidents: { search: { speed_kmh: { vehicle: 40, default: 10 }, detour_factor: 1.5 } },
    rules: { coverage_max_accuracy_m: 50, path_max_gap: '90s', path_max_distance_m: 800 },
  })
  const p = stages.patrolTasks
  t.same([...p.zones].sort(), ['g1', 'g3'], 'make_up: off leaves the zone out')
  t.same([...p.board.auto], [['g1', { afterMs: 300_000, maxPerZone: 3 }]])
  t.match(p.board.proposal, { speedKmh: { vehicle: 40, default: 10 }, detourFactor: 1.5, otherZonePenaltyS: 120, maxEtaS: 1200 }, 'ETA from incidents.search')
  t.same([p.board.proposal.kindPenaltyS, p.board.proposal.loadPenaltyS, p.board.proposal.loadWindowMs], [{ armoured: 3600 }, 600, 43_200_000], 'kind and load penalties in seconds')
  t.equal(p.board.proposal.outsidePostPenaltyS, 180, 'the post penalty in seconds')
  t.same([...(p.board.proposal.posts ?? [])], [['st-1', { lat: 36.5, lon: 117.8, radiusM: 1200 }]], 'the posts by id: centre and radius')
  t.match(p.board.task, { maxAccuracyM: 50, pathMaxGapMs: 90_000, pathMaxDistanceM: 800, awayM: 500 }, 'visits by the coverage rules')
  t.equal(p.refreshEveryMs, 10_000)
})

t.test('refusals name the key', async (t) => {
  t.throws(() => validateConfig({ zones: [zone('g1', { make_up: 'always' })] }), /zones\/0\/coverage\/make_up|make_up/)
  t.throws(() => validateConfig({ patrol_tasks: { max_cells: 0 } }), /max_cells/)
  t.throws(() => validateConfig({ patrol_tasks: { away: 5 } }), /away/)
  t.throws(() => validateConfig({ patrol_tasks: { kind_penalty: { armoured: 'soon' } } }), /kind_penalty/)
})
