// Emergency plans at run time: their definitions (config + run-time versions, plan-catalogue.ts,
// persisted as plan-defs.json) and the active ones (the pure PlanBoard, plans.ts, persisted as
// plans.json): activation (with the `nearest: N` units picked where the request came in),
// tracking each tick, stand-down, and the plan events, journaled as `plan_events` rows before they
// are published. A plan stood down or a checkpoint missed or manned is also a checkpoint_missed
// alert transition (checkpoint-alerts.ts), handed to raise(). Out of service.ts so plans have one
// owner. Cluster mode (`toLog` given): operators' changes go through the log and every engine
// applies them (applyOn/applyOff/applyDefine) with the record's clock; what they cause goes to the
// effects being collected, never published or journaled here.
import type { Logger } from 'pino'
import type { OutboundEvent } from '../delivery/outbound-event.js'
import type { IncidentTexts } from '../i18n/incident-texts.js'
import type { AlertEvent } from '../rules/alert-event.js'
import { checkpointAlertsOfDeactivation, checkpointAlertsOfTick, type CheckpointAlertBook } from './checkpoint-alerts.js'
import type { IncidentCommand, IncidentEffects } from './commands.js'
import type { IncidentsSetup } from './compile.js'
import type { IncidentJournal } from './incident-journal.js'
import { parsePlanBody } from './plan-body.js'
import { PlanCatalogue, type PlanVersion } from './plan-catalogue.js'
import { PlanBoard, PlanError, placeCheckpoint, type Activation, type PlanSpec, type UnitPosition } from './plans.js'
import { etaSeconds, type Proposal } from './resource-search.js'
import type { StateFiles } from './state-files.js'

/** Run-time plan versions under <data_dir>/incidents. */
export const PLAN_DEFS_FILE = 'plan-defs.json'
/** Active plans under <data_dir>/incidents. */
export const PLANS_FILE = 'plans.json'

export interface EmergencyPlansDeps {
  setup: Pick<IncidentsSetup, 'plans' | 'planContext' | 'search'>
  /** The rule engine's book of checkpoint_missed alerts. */
  alertBook: CheckpointAlertBook
  texts: IncidentTexts
  files: StateFiles
  journal: Pick<IncidentJournal, 'planEvents'>
  now: () => number
  logger: Logger
  publish: (e: OutboundEvent) => void
  /** Delivers checkpoint_missed transitions (cluster mode, applying a record: keeps them). */
  raise: (alerts: AlertEvent[]) => void
  /** The resource search: the k nearest available units, not counting `exclude`. */
  search: (lat: number, lon: number, now: number, k: number, exclude: Iterable<string>) => Proposal[]
  /** Live, not silent units with a position. */
  positions: (now: number) => Map<string, UnitPosition>
  /** Background work is registered here (the service's idle() waits for it). */
  track: <T>(p: Promise<T>) => Promise<T>
  /** Cluster mode, while a record is applied: where what it causes goes (null: publish). */
  effects: () => IncidentEffects | null
  /** Cluster mode: appends the command and resolves with its value once applied (a refusal rejects). */
  toLog?: (cmd: IncidentCommand) => Promise<unknown>
}

export class EmergencyPlans {
  /** The active plans. */
  readonly board: PlanBoard
  /** The plans that can be activated (config + run-time versions). */
  readonly catalogue: PlanCatalogue

  constructor(private readonly d: EmergencyPlansDeps) {
    this.board = new PlanBoard((dist, kind) => etaSeconds(dist, kind, d.setup.search), d.texts)
    this.catalogue = new PlanCatalogue(d.setup.plans)
  }

  /** Restores definitions and active plans from their state files (single engine, at start). */
  load(): void {
    this.restore(this.d.files.read(PLAN_DEFS_FILE), this.d.files.read(PLANS_FILE))
  }

  /** Restores definitions, then the active plans whose plan is still known; unreadable parts start empty. */
  restore(defs: unknown, active: unknown): void {
    this.catalogue.restore(defs)
    this.board.restore(active, (id) => this.catalogue.get(id) !== undefined)
  }

  specs(): PlanSpec[] {
    return this.catalogue.list().map((p) => p.spec)
  }

  /**
   * Resolves once its plan events are journaled (PlanError rejects it); null when there is no
   * such plan. The `nearest: N` units are picked here, where the request came in, and travel in
   * the command, so every engine applies the same choice.
   */
  async activate(planId: string, o: { by: string; incidentId: string | null; centre: { lat: number; lon: number } | null }): Promise<Activation | null> {
    const spec = this.catalogue.get(planId)
    if (spec === undefined) return null
    const now = this.d.now()
    const picked = this.pickNearest(spec, o.centre, now)
    if (this.d.toLog !== undefined) return this.d.toLog({ op: 'plan_on', planId, ...o, ...(picked === undefined ? {} : { picked }) }) as Promise<Activation | null>
    const r = this.board.activate(spec, { ...o, ...(picked === undefined ? {} : { picked }) }, now)
    await this.events(r.events)
    return r.activation
  }

  /**
   * For each `nearest: N` checkpoint, the N nearest available units (live, not committed to an
   * active plan, not already responsible in this plan), checkpoint by checkpoint in the plan's
   * order. Undefined when the plan has none, or when its positions cannot be placed (no centre:
   * the activation is refused anyway).
   */
  private pickNearest(spec: PlanSpec, centre: { lat: number; lon: number } | null, now: number): string[][] | undefined {
    if (!spec.checkpoints.some((c) => c.nearest !== undefined)) return undefined
    if (centre === null && spec.checkpoints.some((c) => c.lat === undefined || c.lon === undefined)) return undefined
    const taken = new Set(spec.checkpoints.flatMap((c) => c.units))
    return spec.checkpoints.map((cp) => {
      if (cp.nearest === undefined) return []
      const at = placeCheckpoint(cp, centre)
      const units = this.d.search(at.lat, at.lon, now, cp.nearest, taken).map((p) => p.unitId)
      for (const u of units) taken.add(u)
      return units
    })
  }

  /** A plan_on command from the log, with the record's clock. */
  applyOn(cmd: Extract<IncidentCommand, { op: 'plan_on' }>, now: number): Activation {
    const spec = this.catalogue.get(cmd.planId)
    if (spec === undefined) throw new PlanError('not_found', `no plan ${cmd.planId} (deleted meanwhile, or not in this engine's configuration: run one configuration across the cluster)`)
    const r = this.board.activate(spec, cmd, now)
    void this.events(r.events)
    return r.activation
  }

  /** Creates (`create`) or replaces a plan from an API body; resolves with the new version (PlanError rejects it). */
  async define(body: unknown, mode: 'create' | 'replace', by: string, planId?: string): Promise<PlanVersion> {
    const spec = parsePlanBody(body, this.d.setup.planContext, planId)
    const source = { ...(body as Record<string, unknown>), id: spec.id }
    const cmd: IncidentCommand = { op: 'plan_define', mode, spec, source, by }
    if (this.d.toLog !== undefined) return this.d.toLog(cmd) as Promise<PlanVersion>
    return this.applyDefine(cmd, this.d.now())
  }

  /** Deletes a plan (refused while active); resolves with the deletion's version. */
  async remove(planId: string, by: string): Promise<PlanVersion> {
    const cmd: IncidentCommand = { op: 'plan_delete', planId, by }
    if (this.d.toLog !== undefined) return this.d.toLog(cmd) as Promise<PlanVersion>
    return this.applyDefine(cmd, this.d.now())
  }

  /** Both ops checked against the board at apply time (log order in cluster mode). */
  applyDefine(cmd: Extract<IncidentCommand, { op: 'plan_define' | 'plan_delete' }>, now: number): PlanVersion {
    const id = cmd.op === 'plan_define' ? cmd.spec.id : cmd.planId
    if (this.board.get(id) !== undefined && (cmd.op === 'plan_delete' || cmd.mode === 'replace')) {
      throw new PlanError('conflict', `plan ${id} is active: stand it down (POST /api/v1/plans/${id}/deactivate) before ${cmd.op === 'plan_delete' ? 'deleting' : 'changing'} it`)
    }
    const v = cmd.op === 'plan_delete' ? this.catalogue.remove(id, cmd.by, now)
      : cmd.mode === 'create' ? this.catalogue.create(cmd.spec, cmd.source, cmd.by, now) : this.catalogue.replace(cmd.spec, cmd.source, cmd.by, now)
    this.d.files.write(PLAN_DEFS_FILE, this.catalogue.toJSON())
    return v
  }

  /** Resolves once its plan events are journaled (PlanError rejects it). */
  async deactivate(planId: string, by: string): Promise<Activation> {
    if (this.d.toLog !== undefined) return this.d.toLog({ op: 'plan_off', planId, by }) as Promise<Activation>
    const now = this.d.now()
    const r = this.board.deactivate(planId, by, now)
    this.d.raise(checkpointAlertsOfDeactivation(this.d.alertBook, r.activation, by, now))
    await this.events(r.events)
    return r.activation
  }

  /** A plan_off command from the log, with the record's clock. */
  applyOff(cmd: Extract<IncidentCommand, { op: 'plan_off' }>, now: number): Activation {
    const r = this.board.deactivate(cmd.planId, cmd.by, now)
    void this.events(r.events)
    this.d.raise(checkpointAlertsOfDeactivation(this.d.alertBook, r.activation, cmd.by, now))
    return r.activation
  }

  status(planId: string): ReturnType<PlanBoard['status']> {
    const now = this.d.now()
    return this.board.status(planId, now, this.d.positions(now))
  }

  /** Per rule tick: the active plans' tracking (arrivals, missed checkpoints, completion). */
  tick(now: number): void {
    if (this.board.list().length === 0) return
    const events = this.board.tick(now, this.d.positions(now))
    const alerts = checkpointAlertsOfTick(this.d.alertBook, this.board, events)
    void this.events(events)
    this.d.raise(alerts)
  }

  /**
   * Journals plan events (the `plan_events` rows), then publishes them, like alert transitions; at
   * once when the append did not have to wait. The board changed already: a journal failure is
   * logged and the events are delivered all the same.
   */
  private events(events: OutboundEvent[]): void | Promise<void> {
    if (events.length === 0) return undefined
    const sink = this.d.effects()
    if (sink !== null) {
      sink.events.push(...events)
      sink.planEvents.push(...events)
      return undefined
    }
    this.d.files.write(PLANS_FILE, this.board.toJSON())
    const failed = (err: unknown) => this.d.logger.error({ err: (err as Error).message, events: events.map((e) => e.id) }, 'Plan events could not be journaled (they will be missing from plan_events); delivering them anyway.')
    const publish = () => { for (const e of events) this.d.publish(e) }
    let done: void | Promise<void>
    try {
      done = this.d.journal.planEvents(events)
    } catch (err) {
      failed(err)
      done = undefined
    }
    if (done === undefined) return publish()
    return this.d.track(done.then(publish, (err: unknown) => { failed(err); publish() }))
  }
}
