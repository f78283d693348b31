// The demo's scripted district, pure and clocked by seconds since the demo started: every unit with
// a post patrols (cars sweep a street grid around their post, officers walk a smaller one), each
// zone's priority cell gets a walker, except in the last zone that has one, whose units stay parked
// so that cell goes unvisited (a coverage gap); and four scripted events: the first car drives out
// of its post's radius and back (a radius breach), an officer presses SOS, an incident is reported
// and the scene plan is activated, its two responders then drive to their checkpoints. Fixes carry
// the realism kit's noise (src/demo/tracks.ts): a reported accuracy of 5–15 m and a matching error.
// Cars report native JSON every 5 s; officers report as OwnTracks phones every 10 s
// (owntracks/<unit>/phone: the unit is the OwnTracks user, as over HTTP).
import type { ResolvedConfig } from '../config/resolve.js'
import { haversineM } from '../geo/distance.js'
import { DEMO_CHECKPOINTS, demoUnits, responders } from './overlay.js'
import { gaussian, offsetM, rng, route, sweepLoop, waypoints, type LatLon } from './tracks.js'

export interface Timeline {
  /** The breaching car leaves its sweep, and comes back. */
  breachLeaveS: number
  breachBackS: number
  sosS: number
  incidentS: number
}

export const DEFAULT_TIMELINE: Timeline = { breachLeaveS: 60, breachBackS: 420, sosS: 150, incidentS: 240 }

export interface DemoMessage { unit: string; topic: string; payload: string }

export interface DemoIncident { atS: number; lat: number; lon: number; responders: [string, string] }

type ScriptConfig = Pick<ResolvedConfig, 'units' | 'posts' | 'zones'>

type Truth = (tS: number) => LatLon

interface Plan { unit: string; officer: boolean; periodS: number; phaseS: number; truth: Truth; sosAtS: number | null; rand: () => number; nextS: number }

const CAR_MPS = 10
const RUN_MPS = 12
const WALK_MPS = 1.3
const BREACH_OUT_M = 2200

/** A closed loop driven forever at `speed`, starting `phaseS` seconds into the lap. */
function looping(loop: LatLon[], speed: number, phaseS: number): Truth {
  const legs = route(loop, speed)
  const lapS = legs[legs.length - 1]![0]
  const at = waypoints(legs)
  return (tS) => at(((tS + phaseS) % lapS + lapS) % lapS)
}

/** `before` until `fromS`, then straight to `to` at `speed` and parked there. */
function thenGo(before: Truth, fromS: number, to: LatLon, speed: number): Truth {
  const start = before(fromS)
  const arriveS = fromS + haversineM(start.lat, start.lon, to.lat, to.lon) / speed
  const leg = waypoints([[fromS, start], [arriveS, to]])
  return (tS) => (tS < fromS ? before(tS) : leg(tS))
}

export class DemoScript {
  readonly incident: DemoIncident | null
  /** What happens when, for the start-up log. */
  readonly events: string[] = []
  readonly #plans: Plan[] = []

  constructor(config: ScriptConfig, timeline: Timeline = DEFAULT_TIMELINE, seed = 24) {
    const posts = new Map(config.posts.map((p) => [p.id, { lat: p.lat, lon: p.lon }]))
    const units = demoUnits({ units: config.units })
    const zones = config.zones.map((z) => ({ id: z.id, priority: z.coverage.priority_cells.find((c) => c.lat !== undefined && c.lon !== undefined) }))
    const withPriority = zones.filter((z) => z.priority !== undefined)
    const gapZone = withPriority.at(-1)?.id
    const walkers = new Map<string, LatLon>()
    for (const z of withPriority.slice(0, -1)) {
      const officer = units.find((u) => u.zone === z.id && u.kind === 'officer' && u.post !== undefined)
      if (officer !== undefined) walkers.set(officer.id, { lat: z.priority!.lat!, lon: z.priority!.lon! })
    }
    const pair = responders(units)
    const inGap = (u: { zone?: string }) => gapZone !== undefined && u.zone === gapZone
    const breacher = units.find((u) => u.kind === 'vehicle' && u.post !== undefined && !pair?.includes(u.id) && !inGap(u))
    const sosUnit = units.find((u) => u.kind === 'officer' && u.post !== undefined && !walkers.has(u.id) && !inGap(u))
    let incident: DemoIncident | null = null
    if (pair !== null) {
      const post = posts.get(units.find((u) => u.id === pair[0])!.post!)!
      const scene = offsetM(post, 300, 200)
      incident = { atS: timeline.incidentS, lat: scene.lat, lon: scene.lon, responders: pair }
      this.events.push(`${timeline.incidentS} s: an incident is reported near ${pair[0]}'s post and plan demo-ring is activated; ${pair.join(' and ')} drive to its checkpoints`)
    }
    this.incident = incident
    if (breacher !== undefined) this.events.push(`${timeline.breachLeaveS} s: ${breacher.id} drives out of its post's radius (radius_breach a minute after it is 1.55 km out, about 4 min in), back at ${timeline.breachBackS} s`)
    if (sosUnit !== undefined) this.events.push(`${timeline.sosS} s: ${sosUnit.id} presses SOS`)
    if (gapZone !== undefined) this.events.push(`about 6 min: coverage_gap in ${gapZone}, whose units stay parked while its priority cell waits for a visit`)
    for (const [i, u] of units.entries()) {
      const home = u.post === undefined ? undefined : posts.get(u.post)
      if (home === undefined) continue
      const officer = u.kind === 'officer'
      const periodS = officer ? 10 : 5
      let truth: Truth
      const walk = walkers.get(u.id)
      if (inGap(u)) truth = () => home
      else if (walk !== undefined) truth = looping(sweepLoop(walk, 150, 100), WALK_MPS, i * 37)
      else if (officer) truth = looping(sweepLoop(home, 250, 125), WALK_MPS, i * 37)
      else truth = looping(sweepLoop(home, 525, 350), CAR_MPS, i * 97)
      if (u.id === breacher?.id) {
        const patrol = truth
        const out = thenGo(patrol, timeline.breachLeaveS, offsetM(home, 0, BREACH_OUT_M), RUN_MPS)
        const back = thenGo(out, timeline.breachBackS, patrol(timeline.breachBackS + 200), RUN_MPS)
        truth = (tS) => (tS < timeline.breachBackS + 200 ? back(tS) : patrol(tS))
      }
      if (incident !== null) {
        const k = incident.responders.indexOf(u.id)
        const cp = DEMO_CHECKPOINTS[k]
        if (cp !== undefined) truth = thenGo(truth, incident.atS, offsetM(incident, cp.north_m, cp.east_m), RUN_MPS)
      }
      this.#plans.push({ unit: u.id, officer, periodS, phaseS: i % periodS, truth, sosAtS: u.id === sosUnit?.id ? timeline.sosS : null, rand: rng(seed * 1000 + i), nextS: i % periodS })
    }
  }

  /** The units the script drives. */
  get units(): string[] {
    return this.#plans.map((p) => p.unit)
  }

  /** The messages whose fix time falls in (fromS, toS], in time order per unit; call with consecutive windows. */
  messages(toS: number, startMs: number): DemoMessage[] {
    const out: DemoMessage[] = []
    for (const p of this.#plans) {
      while (p.nextS <= toS) {
        const tS = p.nextS
        p.nextS += p.periodS
        out.push(this.#message(p, tS, startMs))
        if (p.sosAtS !== null && p.sosAtS <= tS) {
          out.push({ unit: p.unit, topic: `fleet/${p.unit}/position`, payload: JSON.stringify({ ts: startMs + tS * 1000 + 1, ...this.#noisy(p, tS), sos: true }) })
          p.sosAtS = null
        }
      }
    }
    return out
  }

  #noisy(p: Plan, tS: number): { lat: number; lon: number; accuracy: number } {
    const accuracy = Math.round(5 + 10 * p.rand())
    const sigma = accuracy / 1.51
    const at = offsetM(p.truth(tS), sigma * gaussian(p.rand), sigma * gaussian(p.rand))
    return { lat: Math.round(at.lat * 1e6) / 1e6, lon: Math.round(at.lon * 1e6) / 1e6, accuracy }
  }

  #message(p: Plan, tS: number, startMs: number): DemoMessage {
    const a = p.truth(tS)
    const b = p.truth(tS + 1)
    const speed = Math.round(haversineM(a.lat, a.lon, b.lat, b.lon) * 10) / 10
    const fix = this.#noisy(p, tS)
    const battery = Math.max(20, 95 - Math.floor(tS / 300))
    if (p.officer) {
      return { unit: p.unit, topic: `owntracks/${p.unit}/phone`, payload: JSON.stringify({ _type: 'location', tst: Math.floor((startMs + tS * 1000) / 1000), lat: fix.lat, lon: fix.lon, acc: fix.accuracy, vel: Math.round(speed * 3.6), batt: battery, tid: p.unit.slice(-2) }) }
    }
    return { unit: p.unit, topic: `fleet/${p.unit}/position`, payload: JSON.stringify({ ts: startMs + tS * 1000, ...fix, speed, battery }) }
  }
}
