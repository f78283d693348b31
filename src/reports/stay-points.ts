// The track filter behind a report's distance, stops and trips: finds where a unit stayed (stay
// points) in a noisy sequence of positions, so that GPS jitter around a parked phone adds no
// distance and no trips, while walks and drives keep their length. Pure.
//
// A stay is a cluster of consecutive positions around a reference point (the mean of its first
// five members, then frozen, so a slow walker cannot drag it along). A position joins the stay when
// it lies within the stay's threshold T = max(stop_radius_m, 4 σ, 2 × the position's accuracy), where
// σ is the noise the stay itself shows (from the median distance of its recent members to the
// reference, a Rayleigh median: σ = median / 1.1774), or before five members the reported accuracy
// (unknown accuracy counts as UNKNOWN_ACCURACY_M: inaccurate, the safe side for distance). σ is
// capped at 2.5 × the reported accuracy, so a unit moving slowly inside its stay cannot inflate it.
// A position beyond T is a candidate departure; two consecutive candidates confirm it (a single
// multipath outlier is dropped). A stay that the unit comes back to after at most two positions
// away, with no silence between, is reopened and those positions are dropped as outliers: two
// outliers in a row do not make a trip (the cost: a real excursion of two positions or less is not
// seen). A silence ends a stay.
//
// The path a report measures goes through each long stay (≥ the stop duration) once, at its
// reference, and through every other kept position; short stays (a car at a traffic light) are
// walked through their positions, so a trip is not cut at every light.

/** A position of the track: a minute bucket's median (see track.ts). */
export interface TrackPoint {
  lat: number
  lon: number
  /** Reported accuracy (m), or null when unknown. */
  accuracy: number | null
  /** First and last fix time the position stands for. */
  from: number
  to: number
  /** A silence follows this position. */
  gapAfter: boolean
}

export interface StayOptions {
  /** The least radius of a stay (m): reports.stop_radius_m. */
  floorM: number
  /** A stay at least this long is a stop. */
  stopMinMs: number
}

/** A stay: its first and last position (indexes) and where the unit stayed (the mean of its members). */
export interface Stay { first: number; last: number; lat: number; lon: number }

export interface FilteredTrack {
  /** Stay index of each position, or -1 when it belongs to none (moving). */
  stayOf: Int32Array
  /** Positions dropped as outliers (1): they stand for time but add no distance. */
  outlier: Uint8Array
  stays: Stay[]
}

/** The accuracy assumed for a position that reports none (m). */
export const UNKNOWN_ACCURACY_M = 50
/** The least noise a stay is assumed to have (m): a stay of identical positions still has a threshold. */
const MIN_SIGMA_M = 3
const SIGMA_K = 4
const ACCURACY_K = 2
const SIGMA_CAP_K = 2.5
const RAYLEIGH_MEDIAN = 1.1774
const REFERENCE_MEMBERS = 5
const RADII_KEPT = 30
const TRUSTED_MEMBERS = 10
/** Past RADII_KEPT members, σ is re-estimated every this many (a sort of the kept radii each time). */
const SIGMA_EVERY = 8
const CONFIRM = 2
const MAX_EXCURSION = 2

const RAD = Math.PI / 180
/** Metres between two points (equirectangular: exact enough within a stay, and cheap). */
function metres(aLat: number, aLon: number, bLat: number, bLon: number): number {
  const x = (bLon - aLon) * RAD * Math.cos(((aLat + bLat) / 2) * RAD)
  const y = (bLat - aLat) * RAD
  return Math.sqrt(x * x + y * y) * 6_371_008.8
}

const acc = (p: TrackPoint): number => p.accuracy === null || p.accuracy < 0 ? UNKNOWN_ACCURACY_M : p.accuracy

class Cluster {
  readonly members: number[] = []
  /** The reference the threshold is measured from: the mean of the first members, then frozen. */
  lat = 0
  lon = 0
  private sumLat = 0
  private sumLon = 0
  /** Mean of all members: where the unit stayed. */
  allLat = 0
  allLon = 0
  private sumAcc = 0
  private radii: number[] = []
  private readonly firstPts: TrackPoint[] = []
  private sigmaCache = -1

  constructor (public first: number) {}

  get last (): number {
    return this.members[this.members.length - 1] as number
  }

  add (k: number, p: TrackPoint): void {
    this.members.push(k)
    this.sumAcc += acc(p)
    const m = this.members.length
    this.allLat += (p.lat - this.allLat) / m
    this.allLon += (p.lon - this.allLon) / m
    if (m <= REFERENCE_MEMBERS) {
      this.sumLat += p.lat
      this.sumLon += p.lon
      this.lat = this.sumLat / m
      this.lon = this.sumLon / m
      this.firstPts.push(p)
      // The reference moved: the radii are measured from where it is now.
      this.radii = this.firstPts.map((q) => metres(this.lat, this.lon, q.lat, q.lon))
    } else {
      this.radii.push(metres(this.lat, this.lon, p.lat, p.lon))
      if (this.radii.length > RADII_KEPT) this.radii.shift()
    }
    if (m <= RADII_KEPT || m % SIGMA_EVERY === 0) this.sigmaCache = -1
  }

  /** The distance within which a position belongs to this stay. */
  threshold (p: TrackPoint, floorM: number): number {
    const reported = this.sumAcc / this.members.length
    if (this.sigmaCache < 0) {
      let sigma = reported
      const m = this.members.length
      if (m >= REFERENCE_MEMBERS) {
        const sorted = [...this.radii].sort((a, b) => a - b)
        const mid = sorted.length >> 1
        const median = sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
        const seen = Math.min(median / RAYLEIGH_MEDIAN, SIGMA_CAP_K * reported)
        // A few radii say little: until there are TRUSTED_MEMBERS, the reported accuracy is a floor.
        sigma = m < TRUSTED_MEMBERS ? Math.max(seen, reported) : seen
      }
      this.sigmaCache = Math.max(sigma, MIN_SIGMA_M)
    }
    return Math.max(floorM, SIGMA_K * this.sigmaCache, ACCURACY_K * acc(p))
  }

  /** Takes in the members of a later stay at the same place (the reference stays). */
  merge (b: Cluster): void {
    const m = this.members.length + b.members.length
    this.allLat += (b.allLat - this.allLat) * b.members.length / m
    this.allLon += (b.allLon - this.allLon) * b.members.length / m
    this.members.push(...b.members)
  }

  distance (p: TrackPoint): number {
    return metres(this.lat, this.lon, p.lat, p.lon)
  }
}

export function findStays (pts: readonly TrackPoint[], o: StayOptions): FilteredTrack {
  const n = pts.length
  const stayOf = new Int32Array(n).fill(-1)
  const outlier = new Uint8Array(n)
  const closed: Cluster[] = []
  /** The last closed stay of more than MAX_EXCURSION members, which the unit may come back to. */
  let home: Cluster | null = null
  let cur: Cluster | null = null
  let cand: number[] = []
  const close = (): void => {
    if (cur === null) return
    closed.push(cur)
    if (cur.members.length > MAX_EXCURSION) home = cur
    cur = null
  }
  let k = 0
  while (k < n) {
    const p = pts[k] as TrackPoint
    if (cur === null) {
      // Back at the stay the unit left one or two positions ago: those were outliers.
      const h = home as Cluster | null
      if (h !== null && k - h.last - 1 <= MAX_EXCURSION && !silenceBetween(pts, h.last, k) && h.distance(p) <= h.threshold(p, o.floorM)) {
        while (closed.length > 0 && closed[closed.length - 1] !== h) closed.pop()
        closed.pop()
        for (let j = h.last + 1; j < k; j++) outlier[j] = 1
        cur = h
        home = null
      } else cur = new Cluster(k)
      cur.add(k, p)
    } else if (cur.distance(p) <= cur.threshold(p, o.floorM)) {
      for (const j of cand) outlier[j] = 1
      cand = []
      cur.add(k, p)
    } else {
      cand.push(k)
      if (cand.length >= CONFIRM) {
        // Departure: the stay ends at its last member; the candidates are looked at afresh.
        close()
        k = cand[0] as number
        cand = []
        continue
      }
    }
    if (p.gapAfter) {
      // A silence ends the stay; an unconfirmed candidate before it is a position of its own.
      close()
      for (const j of cand) {
        const c = new Cluster(j)
        c.add(j, pts[j] as TrackPoint)
        closed.push(c)
      }
      cand = []
      home = null
    }
    k++
  }
  if (cand.length > 0) {
    // The track ends on unconfirmed candidates: each is a position of its own (nothing confirms an outlier either).
    close()
    for (const j of cand) {
      const c = new Cluster(j)
      c.add(j, pts[j] as TrackPoint)
      closed.push(c)
    }
  } else close()
  closed.sort((a, b) => a.first - b.first)
  const kept = absorbEdges(pts, closed, outlier, o)
  const stays: Stay[] = []
  for (const c of kept) {
    const id = stays.length
    for (const j of c.members) stayOf[j] = id
    for (let j = c.first; j <= c.last; j++) if (outlier[j] === 1) stayOf[j] = id
    stays.push({ first: c.first, last: c.last, lat: c.allLat, lon: c.allLon })
  }
  return { stayOf, outlier, stays }
}

/**
 * One or two lone positions between the start of the track (or a silence) and a stop, or between
 * a stop and the end (or a silence), are outliers of that stop: a phone's first fix after it
 * wakes is often a multipath one. The cost, as for excursions: a real move of one or two
 * positions at the edge of a track is not seen.
 */
function absorbEdges (pts: readonly TrackPoint[], all: Cluster[], outlier: Uint8Array, o: StayOptions): Cluster[] {
  let closed = all
  const drop = new Uint8Array(closed.length)
  // A stop reaches back over the positions just before it that lie within its threshold: its
  // reference and noise are known only once it is established, and the first fixes of a wake-up
  // or an arrival are judged against a reference of one or two noisy positions.
  for (let i = 1; i < closed.length; i++) {
    const c = closed[i] as Cluster
    if (!isStop(pts, c, o)) continue
    for (let a = i - 1; a >= 0 && drop[a] === 0; a--) {
      const x = closed[a] as Cluster
      if (isStop(pts, x, o)) break
      while (x.members.length > 0) {
        const j = x.last
        const q = pts[j] as TrackPoint
        if (q.gapAfter || c.distance(q) > c.threshold(q, o.floorM)) break
        x.members.pop()
        for (let k = j + 1; k < c.first; k++) outlier[k] = 1
        c.members.unshift(j)
        c.first = j
      }
      if (x.members.length > 0) break
      drop[a] = 1
    }
  }
  const live = closed.filter((_, i) => drop[i] === 0)
  drop.fill(0)
  closed = live
  const lone = (c: Cluster | undefined): boolean => c !== undefined && c.members.length <= MAX_EXCURSION
  const edge = (a: Cluster | undefined, b: Cluster | undefined): boolean => a === undefined || b === undefined || silenceBetween(pts, a.last, b.first)
  for (let i = 0; i < closed.length; i++) {
    const c = closed[i] as Cluster
    if (lone(c) || !isStop(pts, c, o)) continue
    let a = i
    while (lone(closed[a - 1]) && !edge(closed[a - 1], closed[a]) && c.first - (closed[a - 1] as Cluster).first <= MAX_EXCURSION) a--
    if (a < i && edge(closed[a - 1], closed[a])) {
      for (let j = (closed[a] as Cluster).first; j < c.first; j++) outlier[j] = 1
      c.first = (closed[a] as Cluster).first
      drop.fill(1, a, i)
    }
    let b = i
    while (lone(closed[b + 1]) && !edge(closed[b], closed[b + 1]) && (closed[b + 1] as Cluster).last - c.last <= MAX_EXCURSION) b++
    if (b > i && edge(closed[b], closed[b + 1])) {
      for (let j = c.last + 1; j <= (closed[b] as Cluster).last; j++) outlier[j] = 1
      // The stop now ends at the last absorbed position (an outlier: it moves no reference).
      c.members.push((closed[b] as Cluster).last)
      drop.fill(1, i + 1, b + 1)
    }
  }
  // Two stops at the same place with one or two lone positions between them (no silence): one
  // stop, those positions its outliers (an outlier and a far-out noisy fix in a row look like a
  // departure and a return).
  for (let i = 0; i < closed.length; i++) {
    const a = closed[i] as Cluster
    if (drop[i] === 1 || !isStop(pts, a, o)) continue
    let j = i + 1
    while (j < closed.length && (drop[j] === 1 || lone(closed[j]))) j++
    const b = closed[j]
    if (b === undefined || j === i + 1 || !isStop(pts, b, o) || b.first - a.last - 1 > MAX_EXCURSION || silenceBetween(pts, a.last, b.first)) continue
    const q = pts[b.first] as TrackPoint
    if (metres(a.allLat, a.allLon, b.allLat, b.allLon) > a.threshold(q, o.floorM)) continue
    for (let k = a.last + 1; k < b.first; k++) outlier[k] = 1
    a.merge(b)
    drop.fill(1, i + 1, j + 1)
    i--
  }
  return closed.filter((_, i) => drop[i] === 0)
}

function silenceBetween (pts: readonly TrackPoint[], from: number, to: number): boolean {
  for (let j = from; j < to; j++) if ((pts[j] as TrackPoint).gapAfter) return true
  return false
}

/** Whether a stay lasts long enough to be a stop. */
export const isStop = (pts: readonly TrackPoint[], s: Stay, o: StayOptions): boolean =>
  (pts[s.last] as TrackPoint).to - (pts[s.first] as TrackPoint).from >= o.stopMinMs
