// What the reports stage reads from and writes to storage, as one small interface the stage owns:
// the rows of each report query and the bulletins. The storage module implements it
// (src/store/clickhouse/report-queries.ts, every SQL statement of the reports); nothing here
// depends on ClickHouse.
import type { IncidentStore } from '../incidents/incident-store.js'
import type { Bucket } from './track.js'

export interface UnitBuckets { unitId: string; buckets: Bucket[]; /** Distinct H3 cells in [cellsFrom, cellsTo). */ cells: number }

export interface AlertSpanRow { alert_id: string; k: string; subj: string; unit: string; zone: string; post: string; opened_ms: number; resolved_ms: number | null }

export interface EventRow { at: number; type: string; alert_id: string; subject: string; unit_id: string; zone_id: string; summary: string; lat: number | null; lon: number | null }

export interface RoutePoint { ts: number; lat: number; lon: number; speed: number | null; accuracy: number | null; flags: number }

export interface ZoneSample { zone_id: string; at: number; ratio: number; response_ratio: number | null }

export interface CellSnapshots { zone_id: string; cell: string; s: Array<[number, number | null]> }

export interface CellFreshness { zone_id: string; cell: string; fresh: number }

export interface LevelChangeRowDb { at: number; zone_id: string; level: string; expires_ms: number | null }

export interface PlanEventRow { at: number; type: string; activation_id: string; plan_id: string; incident_id: string; checkpoint: string; unit_id: string; elapsed_ms: number | null; data: string }

export interface IntegritySignalRow { unit_id: string; kind: string; started_at: number; ended_at: number; related_unit_id: string; evidence: string }
/** A make-up patrol task event as stored (`patrol_tasks`): assignment or outcome, with the task's figures then. */
export interface PatrolTaskRow { at: number; type: string; task_id: string; zone_id: string; unit_id: string; by: string; status: string; reason: string; assigned_at: number; started_at: number | null; ended_at: number | null; visited: number; total: number }

export interface BulletinRow { kind: string; period: string; period_from: number; period_to: number; generated_at: number; timezone: string; body: string }

export interface BulletinListing { kind: string; period: string; generated_at: number; generations: number }


export interface ReportQueries extends Pick<IncidentStore, 'hotspotScores'> {
  /** Per unit, its fixes in minute buckets over [from, to) and its distinct cells in [cellsFrom, cellsTo). */
  unitBuckets(p: { from: number; to: number; cellsFrom: number; cellsTo: number; maxAccuracyM: number; units?: string[] }): Promise<UnitBuckets[]>
  /** Alerts open at some time in [from, to). */
  alertSpans(p: { from: number; to: number }): Promise<AlertSpanRow[]>
  /** Alert transitions in [from, to), optionally of one unit. */
  events(p: { from: number; to: number; unit?: string; limit: number }): Promise<EventRow[]>
  /** A unit's stored fixes in [from, to), flagged ones included. */
  route(p: { unit: string; from: number; to: number; limit: number }): Promise<RoutePoint[]>
  /** The coverage ratio time series in [from, to). */
  zoneSeries(p: { from: number; to: number }): Promise<ZoneSample[]>
  /** Priority cells' last visit at every snapshot in [from, to). */
  prioritySnapshots(p: { from: number; to: number; cells: string[] }): Promise<CellSnapshots[]>
  /** Per zone cell, the share of snapshots in [from, to) in which it was fresh. */
  cellFreshness(p: { from: number; to: number }): Promise<CellFreshness[]>
  /** Every patrol level change made before `to`. */
  levelChanges(p: { to: number }): Promise<LevelChangeRowDb[]>
  /** Every stored event of the plan activations that started in [from, to). */
  planEvents(p: { from: number; to: number }): Promise<PlanEventRow[]>
  /** Patrol integrity signals overlapping [from, to) (`integrity_signals`), at most `limit`, by time. */
  integritySignals(p: { from: number; to: number; limit: number }): Promise<IntegritySignalRow[]>
  /** Every stored event of the make-up patrol tasks assigned in [from, to) (outcomes after `to` too). */
  patrolTasks(p: { from: number; to: number }): Promise<PatrolTaskRow[]>
  /** Stores a bulletin as a new generation (a retried insert is stored once). */
  insertBulletin(b: BulletinRow): Promise<void>
  /** The newest generation of a period's bulletin, or null. */
  getBulletin(p: { kind: string; period: string }): Promise<BulletinRow | null>
  listBulletins(p: { kind?: string; limit: number }): Promise<BulletinListing[]>
}
