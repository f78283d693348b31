// What the API reads from storage, as small interfaces the API owns: a unit's stored track, the
// alert history, and the map's replay. The storage module (src/store/clickhouse/) implements
// them; the routes never see ClickHouse, so they are tested with fakes.
import type { AlertView } from '../rules/alert-book.js'
import type { AlertEvent, AlertState } from '../rules/alert-event.js'

/** One stored fix of a unit's track (read from ClickHouse `positions`). */
export interface TrackPoint {
  ts: number
  lat: number
  lon: number
  speed: number | null
  accuracy: number | null
  h3: string
  flags: number
}

export interface AlertHistoryQuery {
  /** Latest state to keep; null = any. */
  states: AlertState[] | null
  kind?: string | undefined
  zone?: string | undefined
  unit?: string | undefined
  /** opened_at range, epoch ms, [from, to). */
  from: number
  to: number
  limit: number
  /** Page after this (opened_at, alert_id), newest first. */
  after?: { openedAt: number; id: string } | undefined
}

export interface AlertHistory {
  /** Alerts folded to their latest state, filtered, newest first by (opened_at, alert_id). */
  history(q: AlertHistoryQuery): Promise<AlertView[]>
  /** Every stored transition of one alert, in order (each event once). */
  transitions(alertId: string): Promise<AlertEvent[]>
}

export interface ReplayPosition { unitId: string; ts: number; lat: number; lon: number; speed: number | null }
export interface ReplayCursor { ts: number; unitId: string }
export interface ReplayCell { zone: string; cell: string; lastVisit: number | null }
export interface ReplayZone { zone: string; ratio: number; responseRatio: number | null }
export interface ReplayCoverage { at: number; snapshotAt: number | null; zones: ReplayZone[]; cells: ReplayCell[] }

export interface ReplaySource {
  /** Positions in (ts, unit) order, after the cursor when given: one page of at most `limit`. */
  positions(q: { from: number; to: number; limit: number; stepMs: number; unit?: string | undefined; after?: ReplayCursor | undefined }): Promise<ReplayPosition[]>
  coverageAt(at: number, zone?: string): Promise<ReplayCoverage>
}
