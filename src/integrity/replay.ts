// replayed_track: a moving stretch that retraces, fix after fix, the unit's own track of an
// earlier day (yesterday's patrol played back by a fake-location app). A fix "retraces" when it
// lies within match_m of the earlier track near where the last one matched (the next few
// segments), so a replay at another rate still matches; GPS noise (metres to tens of metres,
// independent each day) makes an honest unit on the same beat match a fix now and then, never
// dozens in a row. A stretch is a signal once min_fixes retrace it over min_distance_m from its
// start. Memory per unit: `days` archived days of at most max_fixes_per_day (TrackArchive) plus
// today's fixes; a few candidate alignments at a time.
import type { Fix } from '../decode/fix.js'
import { haversineM } from '../geo/distance.js'
import type { IntegrityOptions } from './options.js'
import { GridKeys, TrackArchive } from './track-archive.js'
import { minutes, round1, usable, type IntegrityDetector, type IntegritySignal } from './signal.js'

/** Segments ahead of the last match a fix may retrace (a replay that skips fixes). */
const LOOK_AHEAD = 4
/** Fixes in a row that may miss before an alignment is given up (a glitch, a dropped fix). */
const MAX_MISSES = 2
/** Alignments followed at once per unit. */
const MAX_CANDIDATES = 8

interface Candidate {
  arch: TrackArchive
  j: number
  from: number
  to: number
  n: number
  misses: number
  sumOffM: number
  startLat: number
  startLon: number
  extentM: number
}

interface UnitTracks {
  grid: GridKeys
  day: number
  lastTs: number
  lats: number[]
  lons: number[]
  archive: TrackArchive[]
  candidates: Candidate[]
}

export interface ReplayDeps {
  /** The day a fix time belongs to (a local day in the reports' time zone); UTC days by default. */
  dayOf?: (ts: number) => number
}

export class ReplayedTracks implements IntegrityDetector {
  private readonly units = new Map<string, UnitTracks>()
  private readonly dayOf: (ts: number) => number

  constructor (private readonly o: IntegrityOptions['replay'], deps: ReplayDeps = {}) {
    this.dayOf = deps.dayOf ?? ((ts) => Math.floor(ts / 86_400_000))
  }

  observe(fix: Fix): IntegritySignal[] {
    if (!usable(fix)) return []
    const day = this.dayOf(fix.ts)
    let u = this.units.get(fix.unitId)
    if (u === undefined) {
      const grid = new GridKeys(Math.max(2 * this.o.matchM, 4), Math.cos((fix.lat * Math.PI) / 180))
      this.units.set(fix.unitId, (u = { grid, day, lastTs: fix.ts, lats: [], lons: [], archive: [], candidates: [] }))
    }
    if (fix.ts < u.lastTs) return []
    u.lastTs = fix.ts
    const out: IntegritySignal[] = []
    if (day !== u.day) {
      this.endAll(fix.unitId, u, out)
      if (u.lats.length > 0) u.archive.push(new TrackArchive(u.day, u.lats, u.lons, u.grid))
      while (u.archive.length > 0 && (u.archive.length > this.o.days || day - (u.archive[0] as TrackArchive).day > this.o.days)) u.archive.shift()
      u.lats = []
      u.lons = []
      u.day = day
    }
    if (u.lats.length < this.o.maxFixesPerDay) {
      u.lats.push(fix.lat)
      u.lons.push(fix.lon)
    }
    // Most fixes follow no alignment: nothing to filter (two arrays and three closures a fix).
    if (u.candidates.length > 0) {
      u.candidates = u.candidates.filter((c) => this.extend(fix, c) || this.end(fix.unitId, u, c, out))
      // Alignments seeded on neighbouring fixes of one earlier track converge: keep one of each.
      u.candidates = u.candidates.filter((c, i, all) => all.findIndex((x) => x.arch === c.arch && x.j === c.j) === i)
    }
    if (u.candidates.length === 0) this.seed(fix, u)
    return out
  }

  flush(): IntegritySignal[] {
    const out: IntegritySignal[] = []
    for (const [unitId, u] of this.units) this.endAll(unitId, u, out)
    return out
  }

  /** True while the alignment holds. */
  private extend(fix: Fix, c: Candidate): boolean {
    let best = Infinity
    let at = c.j
    for (let k = c.j; k < Math.min(c.j + LOOK_AHEAD, c.arch.n); k++) {
      const d = c.arch.distanceToSegment(k, fix.lat, fix.lon)
      if (d < best) {
        best = d
        at = k
      }
    }
    if (best > this.o.matchM) return ++c.misses <= MAX_MISSES
    c.j = at
    c.n++
    c.to = fix.ts
    c.misses = 0
    c.sumOffM += best
    c.extentM = Math.max(c.extentM, haversineM(c.startLat, c.startLon, fix.lat, fix.lon))
    return true
  }

  private seed(fix: Fix, u: UnitTracks): void {
    for (const arch of u.archive) {
      for (const j of arch.near(fix.lat, fix.lon, this.o.matchM)) {
        if (u.candidates.length >= MAX_CANDIDATES) return
        u.candidates.push({ arch, j, from: fix.ts, to: fix.ts, n: 1, misses: 0, sumOffM: 0, startLat: fix.lat, startLon: fix.lon, extentM: 0 })
      }
    }
  }

  /** Emits the candidate's signal when it qualifies; always false (for filter). */
  private end(unitId: string, u: UnitTracks, c: Candidate, out: IntegritySignal[]): false {
    if (c.n < this.o.minFixes || c.extentM < this.o.minDistanceM) return false
    out.push({
      unitId,
      kind: 'replayed_track',
      from: c.from,
      to: c.to,
      evidence: { fixes: c.n, durationMinutes: minutes(c.to - c.from), extentM: Math.round(c.extentM), meanOffsetM: round1(c.sumOffM / c.n), daysBack: u.day - c.arch.day },
    })
    return false
  }

  private endAll(unitId: string, u: UnitTracks, out: IntegritySignal[]): void {
    for (const c of u.candidates) this.end(unitId, u, c, out)
    u.candidates = []
  }
}
