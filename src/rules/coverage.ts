// Visit coverage of one zone: which H3 cells were visited, when, and what share is fresh.
// evaluate() is incremental (amortised O(expired · log n) per tick, not O(cells)): a running
// fresh count plus a min-heap of expiry times with at most one entry per cell, so the engine can
// evaluate every zone every tick. Pure: time is passed in as epoch ms.
import { getResolution, isValidCell, latLngToCell } from 'h3-js'
import type { StaleCell } from './alert-event.js'
import { cellCentre, pathCells } from '../geo/cells.js'
import { MinHeap } from '../min-heap.js'

export interface CoverageZoneSpec {
  id: string
  /** The zone's cells (polygonCells at `resolution`); the ratio is over these. */
  cells: string[]
  resolution: number
  maxIntervalMs: number
  /** 0..1 */
  minRatio: number
  /** Tracked even when outside `cells` (a checkpoint just over the boundary), but never counted in the ratio. */
  priority: Array<{ cell: string; name?: string; maxIntervalMs: number }>
}

export interface CoverageEval {
  /** fresh / total; 1 for a zone without cells (nothing to cover). */
  ratio: number
  fresh: number
  total: number
  stalePriority: StaleCell[]
  /** now < historyStartedAt + maxIntervalMs: the engine raises no gap alert yet. */
  inGrace: boolean
  /** ratio < minRatio, regardless of grace (the engine combines the two). */
  belowMin: boolean
}

const NEVER = -Infinity

interface PriorityEntry {
  index: number
  cell: string
  name: string | undefined
  maxIntervalMs: number
  lat: number
  lon: number
}

export class ZoneCoverage {
  readonly spec: CoverageZoneSpec
  readonly historyStartedAt: number
  /** Number of zone cells (indices 0..total-1); priority-only cells come after. */
  readonly total: number
  private readonly index = new Map<string, number>()
  private readonly cells: string[] = []
  private readonly lastVisit: Float64Array
  /** 1 while the cell is counted fresh; exactly those cells have one entry in the heap. */
  private readonly counted: Uint8Array
  /** (expiresAt, cell index); one entry per fresh cell, so the zone's cell count bounds it. */
  private readonly heap: MinHeap
  private readonly priority: PriorityEntry[] = []
  private readonly priorityFlag: Uint8Array
  private freshCount = 0
  /** Bumped whenever a last visit moves: the state store rewrites the zone only when it did. */
  changes = 0
  /** Latest `now` seen by evaluate(); a clock that goes back forces a full recount. */
  private clock = -Infinity

  constructor(spec: CoverageZoneSpec, historyStartedAt: number) {
    if (!(spec.maxIntervalMs > 0)) throw new Error(`zone ${spec.id}: coverage max interval must be > 0 ms, got ${spec.maxIntervalMs}`)
    this.spec = spec
    this.historyStartedAt = historyStartedAt
    for (const c of spec.cells) this.track(c)
    this.total = this.cells.length
    for (const p of spec.priority) {
      if (!isValidCell(p.cell) || getResolution(p.cell) !== spec.resolution) {
        throw new Error(`zone ${spec.id}: priority cell ${JSON.stringify(p.cell)} is not a valid H3 cell at resolution ${spec.resolution}`)
      }
      if (!(p.maxIntervalMs > 0)) throw new Error(`zone ${spec.id}: priority cell ${p.cell} max interval must be > 0 ms`)
      const { lat, lon } = cellCentre(p.cell)
      this.priority.push({ index: this.track(p.cell), cell: p.cell, name: p.name, maxIntervalMs: p.maxIntervalMs, lat, lon })
    }
    const n = this.cells.length
    this.lastVisit = new Float64Array(n).fill(NEVER)
    this.counted = new Uint8Array(n)
    this.priorityFlag = new Uint8Array(n)
    for (const p of this.priority) this.priorityFlag[p.index] = 1
    this.heap = new MinHeap(n)
  }

  private track(cell: string): number {
    let i = this.index.get(cell)
    if (i === undefined) {
      i = this.cells.length
      this.index.set(cell, i)
      this.cells.push(cell)
    }
    return i
  }

  /** True for the zone's cells and its priority cells. */
  has(cell: string): boolean {
    return this.index.has(cell)
  }

  /** Credits a visit; true if the cell is tracked. Keeps max(lastVisit, ts): a late fix never moves a visit backwards. */
  visit(cell: string, ts: number): boolean {
    const i = this.index.get(cell)
    if (i === undefined) return false
    this.credit(i, ts)
    return true
  }

  private credit(i: number, ts: number): void {
    if (!(ts > (this.lastVisit[i] as number))) return
    this.lastVisit[i] = ts
    this.changes++
    // Zone cells already counted keep their (older) heap entry; it is re-pushed with the new
    // expiry when it surfaces, so the heap never holds more than one entry per cell.
    if (i < this.total && this.counted[i] === 0) {
      this.counted[i] = 1
      this.freshCount++
      this.heap.push(ts + this.spec.maxIntervalMs, i)
    }
  }

  /** Credits the tracked cells on the H3 path from → to (ends included); returns how many were tracked. */
  visitPath(from: string, to: string, ts: number): number {
    let n = 0
    for (const c of pathCells(from, to)) if (this.visit(c, ts)) n++
    return n
  }

  /** Restores a last visit recovered from storage at start-up (same max() rule as visit). */
  seed(cell: string, ts: number): void {
    this.visit(cell, ts)
  }

  evaluate(now: number): CoverageEval {
    if (now < this.clock) this.recount(now)
    else this.expire(now)
    this.clock = now
    const stalePriority: StaleCell[] = []
    for (const p of this.priority) {
      const lv = this.lastVisit[p.index] as number
      if (lv === NEVER || now - lv > p.maxIntervalMs) stalePriority.push(this.priorityStale(p, lv))
    }
    const total = this.total
    const ratio = total === 0 ? 1 : this.freshCount / total
    return {
      ratio,
      fresh: this.freshCount,
      total,
      stalePriority,
      inGrace: now < this.historyStartedAt + this.spec.maxIntervalMs,
      belowMin: ratio < this.spec.minRatio,
    }
  }

  /** Pops entries that expired before `now` (stale means now - lastVisit > maxInterval). */
  private expire(now: number): void {
    const heap = this.heap
    const max = this.spec.maxIntervalMs
    while (heap.topKey() < now) {
      const i = heap.topVal()
      heap.pop()
      const expiresAt = (this.lastVisit[i] as number) + max
      if (expiresAt < now) {
        this.counted[i] = 0
        this.freshCount--
      } else {
        heap.push(expiresAt, i)
      }
    }
  }

  /** O(cells) rebuild, only when the clock goes backwards (tests, replays). */
  private recount(now: number): void {
    const max = this.spec.maxIntervalMs
    this.heap.clear()
    this.freshCount = 0
    for (let i = 0; i < this.total; i++) {
      const lv = this.lastVisit[i] as number
      const fresh = lv !== NEVER && now - lv <= max
      this.counted[i] = fresh ? 1 : 0
      if (fresh) {
        this.freshCount++
        this.heap.push(lv + max, i)
      }
    }
  }

  private priorityStale(p: PriorityEntry, lv: number): StaleCell {
    const s: StaleCell = { cell: p.cell, lat: p.lat, lon: p.lon, lastVisit: lv === NEVER ? null : lv, priority: true }
    if (p.name !== undefined) s.name = p.name
    return s
  }

  /**
   * Stale cells, oldest first (never visited first, then by cell id), at most `limit`, with centres.
   * Zone cells are stale by the zone's interval, priority cells by their own. O(cells): for alerts
   * and the API, not for every tick.
   */
  staleCells(now: number, limit: number): StaleCell[] {
    if (limit <= 0) return []
    const intervals = new Map(this.priority.map((p) => [p.index, p] as const))
    const stale: number[] = []
    for (let i = 0; i < this.cells.length; i++) {
      const lv = this.lastVisit[i] as number
      const max = intervals.get(i)?.maxIntervalMs ?? this.spec.maxIntervalMs
      if (lv === NEVER || now - lv > max) stale.push(i)
    }
    stale.sort((a, b) => {
      const d = (this.lastVisit[a] as number) - (this.lastVisit[b] as number)
      // -Infinity - -Infinity is NaN: both never visited, fall through to the id.
      if (d < 0 || d > 0) return d
      // Cells are unique, so ids never tie.
      return (this.cells[a] as string) < (this.cells[b] as string) ? -1 : 1
    })
    return stale.slice(0, limit).map((i) => {
      const lv = this.lastVisit[i] as number
      const p = intervals.get(i)
      if (p !== undefined) return this.priorityStale(p, lv)
      const cell = this.cells[i] as string
      const { lat, lon } = cellCentre(cell)
      return { cell, lat, lon, lastVisit: lv === NEVER ? null : lv }
    })
  }

  /**
   * Every tracked cell with its last visit (null = never) and whether it is fresh at `now` by its
   * own interval (a priority cell's, not the zone's), zone cells first.
   */
  lastVisits(now: number): Array<{ cell: string; lastVisit: number | null; fresh: boolean }> {
    const intervals = new Map(this.priority.map((p) => [p.index, p.maxIntervalMs] as const))
    return this.cells.map((cell, i) => {
      const lv = this.lastVisit[i] as number
      const max = Math.min(intervals.get(i) ?? Infinity, i < this.total ? this.spec.maxIntervalMs : Infinity)
      return { cell, lastVisit: lv === NEVER ? null : lv, fresh: lv !== NEVER && now - lv <= max }
    })
  }

  /** Restart state: visited cells only. Zone geometry and intervals come from the config again. */
  toJSON(): { version: 1; zone: string; resolution: number; historyStartedAt: number; cells: string[]; lastVisits: number[] } {
    const cells: string[] = []
    const lastVisits: number[] = []
    for (let i = 0; i < this.cells.length; i++) {
      const lv = this.lastVisit[i] as number
      if (lv === NEVER) continue
      cells.push(this.cells[i] as string)
      lastVisits.push(lv)
    }
    return { version: 1, zone: this.spec.id, resolution: this.spec.resolution, historyStartedAt: this.historyStartedAt, cells, lastVisits }
  }

  /**
   * Rebuilds from toJSON() output; cells no longer in the zone are dropped. Throws on a malformed
   * document. Saved at another resolution (the zone's resolution changed), each visit is carried
   * to the cell holding the old cell's centre and the grace period starts again at `restartAt`:
   * the history at the new resolution is incomplete, and a gap from it would be false.
   */
  static fromJSON(spec: CoverageZoneSpec, json: unknown, restartAt = -Infinity): ZoneCoverage {
    const bad = (why: string) => new Error(`zone ${spec.id}: coverage state is malformed: ${why}`)
    if (json === null || typeof json !== 'object') throw bad('not an object')
    const j = json as { version?: unknown; historyStartedAt?: unknown; cells?: unknown; lastVisits?: unknown }
    if (j.version !== 1) throw bad(`unsupported version ${JSON.stringify(j.version)}`)
    if (typeof j.historyStartedAt !== 'number' || !Number.isFinite(j.historyStartedAt)) throw bad('historyStartedAt is not a finite number')
    const { cells, lastVisits } = j
    if (!Array.isArray(cells) || !Array.isArray(lastVisits) || cells.length !== lastVisits.length) {
      throw bad('cells and lastVisits must be arrays of the same length')
    }
    const first: unknown = cells[0]
    const savedRes = typeof first === 'string' && isValidCell(first) ? getResolution(first) : spec.resolution
    const remap = savedRes !== spec.resolution
    const zc = new ZoneCoverage(spec, remap ? Math.max(j.historyStartedAt, restartAt) : j.historyStartedAt)
    for (const [i, cell] of cells.entries()) {
      const ts: unknown = lastVisits[i]
      if (typeof cell !== 'string' || typeof ts !== 'number' || !Number.isFinite(ts)) throw bad(`entry ${i} is not a cell id with a finite time`)
      if (!remap) zc.seed(cell, ts)
      else if (isValidCell(cell)) {
        const { lat, lon } = cellCentre(cell)
        zc.seed(latLngToCell(lat, lon, spec.resolution), ts)
      }
    }
    return zc
  }
}
