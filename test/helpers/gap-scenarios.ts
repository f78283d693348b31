// Zone-wide rule scenarios on the GPS realism kit, shared by the rule tests (test/rules/) and
// bench/rule-quality.ts: coverage_gap and response_gap driven by noisy fleets, each beside its
// noise-free reference (the same truth, clean fixes), so a test can tell the rule's own delay from
// what the noise adds. Zone grid-2: the 2 km square around BASE (54 cells at resolution 9),
// max_interval 30 min, min_ratio 0.8, response radius 600 m.
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import { validateConfig } from '../../src/config/load.js'
import { drive, generateTrack, mergeByArrival, offsetM, parked, route, sweepLoop, waypoints, type LatLon, type Noise, type RealFix } from './gps-realism.js'
import { haversineM } from '../../src/geo/distance.js'
import { rng } from './workload.js'

export const GAP_BASE: LatLon = { lat: 36.49, lon: 117.86 }
export const GAP_T0 = Date.UTC(2025, 2, 1, 6, 0, 0)
/** Patrol speed while sweeping (m/s): one lap of the zone takes ~22 min, inside max_interval 30 min. */
export const SWEEP_MPS = 15
/** Lanes of the sweep, metres apart: narrower than a resolution-9 cell (~300 m across). */
export const LANE_M = 250
export const RESPONSE_RADIUS_M = 600
/** Four cars at the quadrant centres: the truth response ratio is 50/54 (0.93) with a 600 m radius. */
export const QUADRANTS: Array<[north: number, east: number]> = [[-500, -500], [-500, 500], [500, -500], [500, 500]]
/** No noise at all: the reference the noisy run is compared with. */
export const CLEAN: Partial<Noise> = { sigmaM: 0, driftSigmaM: 0, multipathRate: 0, lostLockRate: 0, unknownAccuracyRate: 0 }

export function gapDeployment(rules: Record<string, unknown> = {}) {
  const square = (half: number) => {
    const sw = offsetM(GAP_BASE, -half, -half)
    const ne = offsetM(GAP_BASE, half, half)
    return { type: 'Polygon', coordinates: [[[sw.lon, sw.lat], [ne.lon, sw.lat], [ne.lon, ne.lat], [sw.lon, ne.lat], [sw.lon, sw.lat]]] }
  }
  return compileDeployment(validateConfig({
    units: QUADRANTS.map((_, i) => ({ id: `C-${i}`, kind: 'vehicle', zone: 'grid-2' })),
    zones: [{ id: 'grid-2', geometry: square(1000), coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.8, response_radius_m: RESPONSE_RADIUS_M } }],
    rules,
  }))
}

export interface GapRun {
  /** Opening times (engine clock) of the rule's alerts. */
  opened: number[]
}

function run(fixes: RealFix[], durationS: number, kind: 'coverage_gap' | 'response_gap', rules: Record<string, unknown>): GapRun {
  const e = new RuleEngine(gapDeployment(rules), { startedAt: GAP_T0 })
  const evs = drive<AlertEvent>(e, fixes, { start: GAP_T0, until: GAP_T0 + durationS * 1000 })
  return { opened: evs.filter((x) => x.kind === kind && x.state === 'opened').map((x) => x.at) }
}

export interface ScenarioOptions {
  seed: number
  durationS: number
  /** When the fleet stops doing its job (seconds after the start), or null: never. */
  failS: number | null
  /** Noise on top of the kit's URBAN defaults (the noisy run only). */
  noise?: Partial<Noise>
  /** Rule settings for both runs (e.g. dwell 0 to show what the dwell is for). */
  rules?: Record<string, unknown>
}

export interface ScenarioResult {
  noisy: GapRun
  clean: GapRun
}

/** Short dropouts (a tunnel, a garage): 1 to 3 per unit, 30–150 s, each below silent_after. */
function dropouts(rand: () => number, durationS: number): Array<[number, number]> {
  const n = 1 + Math.floor(3 * rand())
  return Array.from({ length: n }, () => {
    const from = Math.floor(rand() * (durationS - 200))
    return [from, from + 30 + Math.floor(120 * rand())] as [number, number]
  })
}

/**
 * response_gap: four cars parked at the quadrant centres (truth ratio 0.93); at failS two of them
 * drive 5 km north and stay there (truth ratio 0.44).
 */
export function responseScenario(o: ScenarioOptions): ScenarioResult {
  const rand = rng(o.seed)
  const tracks = (noisy: boolean): RealFix[] => mergeByArrival(...QUADRANTS.map(([n, east], i) => {
    const home = offsetM(GAP_BASE, n, east)
    const away = offsetM(GAP_BASE, 5000, east)
    const leaves = o.failS !== null && i < 2
    const truth = leaves ? waypoints([[0, home], [o.failS!, home], [o.failS! + (5000 - n) / SWEEP_MPS, away]]) : parked(home)
    return generateTrack({
      seed: o.seed * 10 + i, unitId: `C-${i}`, start: GAP_T0, durationS: o.durationS, periodS: 10, truth,
      noise: noisy ? o.noise : CLEAN, dropouts: noisy ? dropouts(rand, o.durationS) : undefined,
    })
  }))
  const rules = o.rules ?? {}
  return { noisy: run(tracks(true), o.durationS, 'response_gap', rules), clean: run(tracks(false), o.durationS, 'response_gap', rules) }
}

/**
 * coverage_gap: one car sweeps the zone lane by lane, a lap every ~22 min (truth: every cell
 * fresh); at failS it drives to the zone's centre and parks there (its cells go stale one by one
 * 30 min after their last visit).
 */
export function coverageScenario(o: ScenarioOptions): ScenarioResult {
  const rand = rng(o.seed)
  const loop = sweepLoop(GAP_BASE, 1000, LANE_M)
  const lapS = (route(loop, SWEEP_MPS).at(-1) as [number, LatLon])[0]
  const sweep = waypoints(route(loop, SWEEP_MPS, 0, Math.ceil(o.durationS / lapS) + 1))
  let truth = sweep
  if (o.failS !== null) {
    const failS = o.failS
    const from = sweep(failS)
    const back = waypoints([[failS, from], [failS + haversineM(from.lat, from.lon, GAP_BASE.lat, GAP_BASE.lon) / SWEEP_MPS, GAP_BASE]])
    truth = (tS) => (tS < failS ? sweep(tS) : back(tS))
  }
  const track = (noisy: boolean) => generateTrack({
    seed: o.seed, unitId: 'C-0', start: GAP_T0, durationS: o.durationS, periodS: 10, truth,
    noise: noisy ? o.noise : CLEAN, dropouts: noisy ? dropouts(rand, o.durationS) : undefined,
  })
  const rules = o.rules ?? {}
  return { noisy: run(track(true), o.durationS, 'coverage_gap', rules), clean: run(track(false), o.durationS, 'coverage_gap', rules) }
}
