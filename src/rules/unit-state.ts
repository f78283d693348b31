// Per-unit rule state: the reorder buffer, what fix-quality needs (last release, recent fix times,
// recent rejected fixes, the device clock estimate), the newest accepted fix for the live view,
// and each rule's state machine. Plain data apart from the buffer, so a snapshot is a JSON round-trip.
import type { Fix } from '../decode/fix.js'
import type { Deployment, PostSpec, UnitSpec, ZoneSpec } from './deployment.js'
import type { FixPoint, QualityHistory } from './fix-quality.js'
import { initialRadius, postKeyOf, type RadiusState } from './radius-breach.js'
import { ReorderBuffer } from './reorder.js'
import { sortFew } from './sort-few.js'
import { initialSilent, type LivenessPolicy, type SilentState } from './silent-unit.js'
import { initialZoneExit, type ZoneExitState } from './zone-exit.js'

/** Released fix times remembered for duplicate detection (a device re-sending its last few). */
const RECENT_TS = 32
/** Rejected (impossible) fixes remembered for mode-change chains. */
const REJECTED_KEPT = 4
/** Clock offset samples (one per arrival time) the median is taken over. */
const OFFSET_SAMPLES = 15

/** Kind shown for units that report but are not in the config. */
export const UNKNOWN_KIND = 'unknown'

export interface UnitState {
  id: string
  spec: UnitSpec | null
  kind: string
  name: string
  /** When the unit counts as silent (silent_after, its reporting interval, the liveness settings). */
  liveness: LivenessPolicy
  maxSpeedMps: number
  /** Index of the unit's own zone in Deployment.zones, or -1. */
  ownZone: number
  buffer: ReorderBuffer
  lastReleased: Fix | null
  recent: number[]
  /** Fixes flagged ImpossibleSpeed since the last accepted one, oldest first. */
  rejected: FixPoint[]
  /** (fix time − arrival) per arrival time, newest last: the least-delayed fix of each message. */
  offsets: Array<{ at: number; offset: number }>
  /** Median of `offsets`: the device clock's estimated offset (device − engine), ms. */
  clockOffsetMs: number | null
  /** Engine clock until which the unit's fixes are held for allowed_lateness (its stream was out of order). */
  holdUntil: number
  /** Newest accepted fix, held or released: the live position. */
  latest: Fix | null
  radius: RadiusState | null
  zone: ZoneExitState | null
  silent: SilentState
}

/** The snapshot form: the rule state proper, without what is derived from the deployment. */
export type UnitStateJSON = Pick<UnitState, 'id' | 'recent' | 'rejected' | 'offsets' | 'clockOffsetMs' | 'holdUntil' | 'latest' | 'radius' | 'zone' | 'silent'> & {
  held: Fix[]
  /** Whether the unit was configured when saved: a configured unit removed from the config is dropped. */
  known: boolean
  /** Absent when it is the same fix as `latest` (the common case: it halves what a save writes). */
  lastReleased?: Fix | null
}

export function createUnitState(dep: Deployment, id: string, since: number): UnitState {
  const spec = dep.units.get(id) ?? null
  const kind = spec?.kind ?? UNKNOWN_KIND
  const zone = spec?.zoneId == null ? null : (dep.zonesById.get(spec.zoneId) as ZoneSpec)
  return {
    id,
    spec,
    kind,
    name: spec?.name ?? id,
    liveness: spec?.liveness ?? dep.livenessOf(kind),
    maxSpeedMps: dep.maxSpeedMps(kind),
    ownZone: zone === null ? -1 : zone.index,
    buffer: new ReorderBuffer(dep.rules.allowedLatenessMs),
    lastReleased: null,
    recent: [],
    rejected: [],
    offsets: [],
    clockOffsetMs: null,
    holdUntil: 0,
    latest: null,
    radius: spec?.postId == null ? null : initialRadius(dep.posts.get(spec.postId) as PostSpec),
    zone: zone === null ? null : initialZoneExit(zone.id, zone.geometryKey),
    silent: initialSilent(since),
  }
}

const histories = new WeakMap<UnitState, QualityHistory>()

/** The read-only view fix-quality needs; one per unit, built once (classify runs per fix). */
export function historyOf(u: UnitState, dep: Deployment): QualityHistory {
  let h = histories.get(u)
  if (h === undefined) {
    h = {
      get lastReleased() {
        return u.lastReleased
      },
      seen: (ts) => u.buffer.has(ts) || u.recent.includes(ts),
      // Held fixes are all newer than the last released one, so the buffer is searched first.
      predecessor: (ts) => u.buffer.before(ts) ?? u.lastReleased,
      get rejected() {
        return u.rejected
      },
      get clockOffsetMs() {
        return u.clockOffsetMs
      },
      maxSpeedMps: u.maxSpeedMps,
      modeSpeedMps: dep.modeSpeedMps,
      futureToleranceMs: dep.rules.futureToleranceMs,
    }
    histories.set(u, h)
  }
  return h
}

export function rememberReleased(u: UnitState, fix: Fix): void {
  u.lastReleased = fix
  u.recent.push(fix.ts)
  if (u.recent.length > RECENT_TS) u.recent.shift()
}

export function rememberRejected(u: UnitState, fix: Fix): void {
  u.rejected.push({ lat: fix.lat, lon: fix.lon, ts: fix.ts, accuracy: fix.accuracy })
  if (u.rejected.length > REJECTED_KEPT) u.rejected.shift()
}

/** The clock offsets sorted for their median, reused across fixes (grown for a longer restored history). */
let offsetScratch = new Float64Array(OFFSET_SAMPLES + 1)

/**
 * One clock sample per arrival: fixes of one message share their arrival time and the newest of
 * them is the least delayed, so a buffered flush counts once. The median of the last samples
 * ignores isolated glitches (one future-stamped fix, one slow delivery).
 */
export function observeClock(u: UnitState, fix: Fix): void {
  const offset = fix.ts - fix.receivedAt
  const last = u.offsets[u.offsets.length - 1]
  if (last !== undefined && last.at === fix.receivedAt) last.offset = Math.max(last.offset, offset)
  else {
    u.offsets.push({ at: fix.receivedAt, offset })
    if (u.offsets.length > OFFSET_SAMPLES) u.offsets.shift()
  }
  // Sorted in a reused typed array (no allocation): this runs per fix.
  const n = u.offsets.length
  if (n > offsetScratch.length) offsetScratch = new Float64Array(n) // a longer history restored from a snapshot
  for (let i = 0; i < n; i++) offsetScratch[i] = u.offsets[i]!.offset
  u.clockOffsetMs = sortFew(offsetScratch, n)[n >> 1]! + 0 // + 0: -0 (a fix stamped on arrival) reads as 0
}

/**
 * The snapshot form. `clone` true: a deep copy. `clone` false: a copy of everything the engine
 * mutates in place (arrays, the rule states) that still shares the immutable fixes, cheap enough
 * to take for every changed unit at a tick and safe to serialise later, in slices, while the
 * engine runs on.
 */
export function unitToJSON(u: UnitState, clone = true): UnitStateJSON {
  const j: UnitStateJSON = {
    id: u.id,
    known: u.spec !== null,
    held: u.buffer.held.slice(),
    recent: u.recent.slice(),
    rejected: u.rejected.slice(),
    offsets: u.offsets.map((o) => ({ ...o })),
    clockOffsetMs: u.clockOffsetMs,
    holdUntil: u.holdUntil,
    latest: u.latest,
    radius: u.radius === null ? null : { ...u.radius },
    zone: u.zone === null ? null : { ...u.zone },
    silent: { ...u.silent, gaps: (u.silent.gaps ?? []).slice() },
  }
  if (u.lastReleased !== u.latest) j.lastReleased = u.lastReleased
  return clone ? structuredClone(j) : j
}

/**
 * Restores a unit's state onto a fresh one built from the current deployment. A rule state is
 * kept only if it was computed against the same post (position, radius) or zone (geometry) the
 * unit has now; otherwise the rule starts over (and reconcile() resolves its open alert).
 * Fields missing from an older snapshot take their initial values.
 */
export function unitFromJSON(dep: Deployment, j: UnitStateJSON, since: number): UnitState {
  const u = createUnitState(dep, j.id, since)
  const s = structuredClone(j)
  u.buffer = new ReorderBuffer(dep.rules.allowedLatenessMs, s.held)
  u.lastReleased = s.lastReleased === undefined ? s.latest : s.lastReleased
  u.recent = s.recent
  u.rejected = s.rejected ?? []
  u.offsets = s.offsets ?? []
  u.clockOffsetMs = s.clockOffsetMs ?? null
  u.holdUntil = s.holdUntil ?? 0
  u.latest = s.latest
  const post = u.radius === null ? undefined : (dep.posts.get(u.radius.postId) as PostSpec)
  if (post !== undefined && s.radius?.postId === post.id && (s.radius.postKey ?? postKeyOf(post)) === postKeyOf(post)) u.radius = { ...u.radius, ...s.radius } as RadiusState
  if (u.zone !== null && s.zone?.zoneId === u.zone.zoneId && (s.zone.zoneKey ?? u.zone.zoneKey) === u.zone.zoneKey) u.zone = { ...u.zone, ...s.zone }
  u.silent = { ...u.silent, ...s.silent }
  return u
}
