// What the HTTP API needs from the running engine, as a small interface so the API can be
// tested with fakes and started before every stage is up.
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { ResolvedConfig } from '../config/resolve.js'
import type { RuleEngine } from '../rules/engine.js'
import type { Dispatcher } from '../delivery/dispatcher.js'
import type { AlertEvent } from '../rules/alert-event.js'
import type { ErrorCode } from '../errors.js'
import type { HttpIngest } from '../ingest/http-ingest.js'
import type { AuthThrottle } from '../ingest/auth-throttle.js'
import type { ReportsApi } from '../reports/index.js'
import type { IncidentService } from '../incidents/service.js'
import type { PatrolTaskDesk } from '../patrol-tasks/service.js'
import type { IntegrityDetection } from '../integrity/detection.js'
import type { PlaceFinder } from '../incidents/place-finder.js'
import type { AuditEntry } from '../journal/record.js'
import type { StreamHub } from './stream-hub.js'
import type { AlertHistory, ReplaySource, TrackPoint } from './stored-reads.js'

export type { AuditEntry } from '../journal/record.js'
export type { TrackPoint } from './stored-reads.js'

export interface ComponentStatus {
  ok: boolean
  detail?: string
  /** When not ok and the cause has a code (docs/errors.md): what to do about it. */
  code?: ErrorCode
}

export interface AlertCommands {
  acknowledge(alertId: string, by: string, note?: string): Promise<AlertEvent | null>
  resolveSos(alertId: string, by: string, note: string): Promise<AlertEvent | null>
}

export interface ApiContext {
  config: ResolvedConfig
  logger: Logger
  registry: Registry
  now(): number
  /** Component name → ready? /readyz is 200 only when all are ok. */
  readiness(): Promise<Record<string, ComponentStatus>>
  engine?: RuleEngine | undefined
  dispatcher?: Dispatcher | undefined
  /** Reads a unit's stored track from ClickHouse. */
  track?(unitId: string, from: number, to: number, limit: number): Promise<TrackPoint[]>
  /** Journals and delivers a transition made through the API (alert acknowledgement). */
  emit?(events: AlertEvent[]): void
  /**
   * Cluster mode: acknowledgements and SOS resolutions are commands in the cluster log, applied by
   * every engine (the owner of the alert's partition delivers the transition); resolves with the
   * transition, or null when the alert was not open. Absent: the engine is changed directly.
   */
  alertCommands?: AlertCommands | undefined
  /** The engine's credential throttle (per address and per account), shared with the device transports; default: the API's own. */
  authThrottle?: AuthThrottle | undefined
  /** HTTP ingest (OwnTracks, OsmAnd): its routes are registered when present. */
  httpIngest?: HttpIngest | undefined
  /** false: the device routes go through fastify like every other (tests comparing both); default: the fast path (ingest/http-fast-path.ts). */
  ingestFastPath?: boolean | undefined
  /** Reports and bulletins (src/reports/). */
  reports?: ReportsApi | undefined
  /** Incidents, hotspots, patrol levels, plans (src/incidents/service.ts). */
  incidents?: IncidentService | undefined
  /** Make-up patrols (src/patrol-tasks/service.ts; in cluster mode src/cluster/replicated-tasks.ts); absent without rules. */
  patrolTasks?: PatrolTaskDesk | undefined
  /** Patrol integrity's kept signals (src/integrity/detection.ts); absent without rules. */
  integrity?: Pick<IntegrityDetection, 'signals'> | undefined
  /** The place lookup (offline gazetteer + optional geocoder); absent: built from `config` by the places route. */
  places?: PlaceFinder | undefined
  /** The live stream's hub: other stages publish their events (incident, plan, …) through it. */
  stream: StreamHub
  /**
   * Journals a row of the ClickHouse `audit` table (every state-changing request gets one
   * automatically, before its response is sent); settles once it is durable.
   */
  audit(e: AuditEntry): void | Promise<void>
  /** Stored alert history (ClickHouse `alerts`); absent when not connected. */
  alertHistory?: AlertHistory | undefined
  /** The map's replay (stored positions and coverage snapshots); absent when not connected. */
  replay?: ReplaySource | undefined
}
