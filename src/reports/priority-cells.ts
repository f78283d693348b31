// A zone's priority cells over the period: the configured ones, then the hotspot cells in force
// during it, each judged only over the snapshots while it was a hotspot. Pure.
import type { ZoneSpec } from '../rules/deployment.js'
import type { Hotspot } from '../incidents/hotspots.js'
import { hotspotName } from '../incidents/overrides.js'
import { priorityFigures, type PriorityFigures } from './aggregate.js'
import { levelAt, type LevelSpan } from './levels.js'
import type { Interval } from './track.js'

/** A cell that was a hotspot during the period: its latest figures and when it was one (instant to next). */
export interface HotCell { last: Hotspot; spans: Interval[] }

/** Priority-cell snapshots ([at, last visit]) by zone and cell (see cellKey). */
export type Snapshots = ReadonlyMap<string, ReadonlyArray<[number, number | null]>>

export const cellKey = (zoneId: string, cell: string): string => `${zoneId}\n${cell}`

export interface PriorityContext {
  snapshots: Snapshots
  /** The zone's level spans over the period. */
  levels: readonly LevelSpan[]
  /** A hotspot's max_interval for the level its zone stood at when it became one. */
  hotInterval: (level: string) => number
  period: Interval
  capMs: number
}

export function priorityCells(z: Pick<ZoneSpec, 'id' | 'coverage'>, hot: readonly HotCell[], c: PriorityContext): PriorityFigures[] {
  const snaps = (cell: string) => c.snapshots.get(cellKey(z.id, cell)) ?? []
  return [
    ...z.coverage.priority.map((p) => priorityFigures({ cell: p.cell, name: p.name ?? null, maxIntervalMs: p.maxIntervalMs }, snaps(p.cell), c.period, c.capMs)),
    ...hot.map((h) => priorityFigures(
      { cell: h.last.zoneCell, name: hotspotName(h.last), maxIntervalMs: c.hotInterval(levelAt(c.levels, (h.spans[0] as Interval).from, '')) },
      whileHot(snaps(h.last.zoneCell), h.spans), c.period, c.capMs)),
  ]
}

/** The snapshots taken inside one of the spans ([from, to)). */
export function whileHot<T extends readonly [number, ...unknown[]]>(snaps: readonly T[], spans: readonly Interval[]): T[] {
  return snaps.filter(([at]) => spans.some((sp) => at >= sp.from && at < sp.to))
}
