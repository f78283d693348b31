// Make-up patrol proposals: each cluster of overdue cells gets the best available unit and the
// order to visit its cells. Clusters are served most urgent first, each taking the free unit with
// the lowest cost, in seconds: the ETA to its nearest cell (per-kind speed × detour, as the
// resource search), plus a penalty when the unit belongs to another zone or the task lies beyond
// its post's radius (it would breach its post), plus its kind's penalty,
// plus a penalty per make-up task it was given lately (its load). A unit gets at most one proposal and none
// while `busy` (committed to an incident or plan, or holding an open task). Pure: recomputed as
// units move and cells get visited.
import { haversineM } from '../geo/distance.js'
import { etaSeconds, type Candidate, type SearchSettings } from '../incidents/resource-search.js'
import type { CellCluster, OverdueCell } from './cell-clusters.js'
import { visitOrder, walkLength } from './visit-order.js'

export interface ProposalSettings extends Pick<SearchSettings, 'speedKmh' | 'detourFactor'> {
  /** Seconds added to a unit of another zone (0: zones do not matter). */
  otherZonePenaltyS: number
  /** A unit farther than this (ETA, seconds) is not proposed; 0 = no limit. */
  maxEtaS: number
  /** Seconds added to a unit of a kind (kinds not listed: 0). */
  kindPenaltyS?: Readonly<Record<string, number>>
  /** Seconds added per unit of load (make-up tasks given within loadWindowMs). */
  loadPenaltyS?: number
  /** How far back a unit's tasks count as its load (the board counts them). */
  loadWindowMs?: number
  /** Seconds added to a unit whose post's radius does not reach the task's centre (it would breach its post). */
  outsidePostPenaltyS?: number
  /** The posts by id: centre and radius. */
  posts?: ReadonlyMap<string, { lat: number; lon: number; radiusM: number }>
}

export interface MakeUpProposal {
  /** `makeup:<cluster id>`. */
  id: string
  zoneId: string
  /** Cells in visit order (from the unit when there is one, else from the cluster's centre). */
  cells: OverdueCell[]
  priorityCells: number
  oldestVisit: number | null
  /** null: no unit available; the hole is still shown. */
  unit: null | {
    id: string
    name: string
    kind: string
    zone: string | null
    post: string | null
    distanceM: number
    etaS: number
    /** Make-up tasks the unit was given within the load window. */
    load: number
    /** What the unit was chosen on: ETA + zone, post, kind and load penalties (seconds). */
    costS: number
  }
  /** Metres from the unit (or centre) through every cell in order. */
  routeM: number
}

type Pick_ = { c: Candidate; distanceM: number; etaS: number; cost: number }

/** True when the unit has a post whose radius does not reach the cluster's centre. */
function outsidePost(cl: CellCluster, c: Candidate, s: ProposalSettings): boolean {
  const post = c.post === null ? undefined : s.posts?.get(c.post)
  return post !== undefined && haversineM(post.lat, post.lon, cl.lat, cl.lon) > post.radiusM
}

/**
 * What a unit costs besides its ETA: another zone, a task beyond its post's radius, its kind, its
 * load. None depends on where the unit is, so the search's lower bound stays a bound.
 */
function penalties(cl: CellCluster, c: Candidate, s: ProposalSettings, load: ReadonlyMap<string, number>): number {
  return (c.zone === cl.zoneId ? 0 : s.otherZonePenaltyS) + (outsidePost(cl, c, s) ? s.outsidePostPenaltyS ?? 0 : 0) +
    (s.kindPenaltyS?.[c.kind] ?? 0) + (load.get(c.id) ?? 0) * (s.loadPenaltyS ?? 0)
}

/** The cost of sending `c` to the cluster: its ETA to the nearest cell plus its penalties. */
function exact(cl: CellCluster, c: Candidate, s: ProposalSettings, load: ReadonlyMap<string, number>): Pick_ | null {
  let distanceM = Infinity
  for (const cell of cl.cells) distanceM = Math.min(distanceM, haversineM(c.lat, c.lon, cell.lat, cell.lon))
  const etaS = etaSeconds(distanceM, c.kind, s)
  if (s.maxEtaS > 0 && etaS > s.maxEtaS) return null
  return { c, distanceM, etaS, cost: etaS + penalties(cl, c, s, load) }
}

const better = (a: Pick_, b: Pick_ | null) => b === null || a.cost < b.cost || (a.cost === b.cost && a.c.id < b.c.id)

/**
 * The free candidate of lowest cost (ties by id), found by branch and bound: a candidate's
 * distance to the nearest cell is at least its distance to the cluster's centre less the
 * cluster's radius (triangle inequality), which bounds its cost from below at the cost of one
 * distance; only candidates whose bound does not exceed the best cost so far are measured
 * against every cell. The same answer as measuring everyone, at a fraction of the distances.
 */
function bestUnit(cl: CellCluster, candidates: readonly Candidate[], taken: ReadonlySet<string>, s: ProposalSettings, load: ReadonlyMap<string, number>): Pick_ | null {
  let radius = 0
  for (const cell of cl.cells) radius = Math.max(radius, haversineM(cl.lat, cl.lon, cell.lat, cell.lon))
  const bound = new Float64Array(candidates.length).fill(Infinity)
  let first = -1
  candidates.forEach((c, i) => {
    if (taken.has(c.id)) return
    const d = Math.max(0, haversineM(c.lat, c.lon, cl.lat, cl.lon) - radius)
    const eta = etaSeconds(d, c.kind, s)
    if (s.maxEtaS > 0 && eta > s.maxEtaS) return
    bound[i] = eta + penalties(cl, c, s, load)
    if (first < 0 || (bound[i] as number) < (bound[first] as number)) first = i
  })
  if (first < 0) return null
  let best = exact(cl, candidates[first] as Candidate, s, load)
  for (let i = 0; i < candidates.length; i++) {
    if (i === first || (bound[i] as number) === Infinity || (best !== null && (bound[i] as number) > best.cost)) continue
    const p = exact(cl, candidates[i] as Candidate, s, load)
    if (p !== null && better(p, best)) best = p
  }
  return best
}

/** One proposal per cluster, in the clusters' order (pass them most urgent first). */
export function proposeMakeUps(
  clusters: readonly CellCluster[],
  candidates: readonly Candidate[],
  busy: ReadonlySet<string>,
  s: ProposalSettings,
  load: ReadonlyMap<string, number> = new Map(),
): MakeUpProposal[] {
  const taken = new Set(busy)
  return clusters.map((cl) => {
    const pick = bestUnit(cl, candidates, taken, s, load)
    const start = pick === null ? { lat: cl.lat, lon: cl.lon } : { lat: pick.c.lat, lon: pick.c.lon }
    const cells = visitOrder(start, cl.cells)
    if (pick !== null) taken.add(pick.c.id)
    return {
      id: `makeup:${cl.id}`,
      zoneId: cl.zoneId,
      cells,
      priorityCells: cl.priorityCells,
      oldestVisit: cl.oldestVisit,
      unit: pick === null
        ? null
        : { id: pick.c.id, name: pick.c.name, kind: pick.c.kind, zone: pick.c.zone, post: pick.c.post, distanceM: Math.round(pick.distanceM), etaS: pick.etaS, load: load.get(pick.c.id) ?? 0, costS: pick.cost },
      routeM: Math.round(walkLength(start, cells)),
    }
  })
}
