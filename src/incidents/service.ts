// The incidents stage at run time: the I/O edge around the pure parts. It journals incidents and
// plan events before it answers (shipped to ClickHouse like fixes, so a crash or a ClickHouse
// outage loses none), reads incidents from ClickHouse plus those not shipped yet, runs the
// resource search on creation, recomputes hotspots (on a schedule and after
// new incidents) and hands them with the patrol levels to the rule engine as coverage overrides,
// ticks the plan board, keeps the plans' definitions (config + run-time versions, plan-catalogue.ts),
// persists levels, plan versions, active plans and the incidents' dispatch state (assignments,
// open/closed: dispatch.json) under <data_dir>/incidents, and returns
// every event to the caller's publish() (webhooks, MQTT, the live stream). A missed checkpoint is
// also an alert (checkpoint_missed, checkpoint-alerts.ts) in the rule engine's book, handed to the
// caller's alerts() (journaled, then delivered like the rules' transitions).
// Cluster mode (`cluster` given): operators' changes become commands appended to the log and the
// API answers once its own came back; every engine applies them (apply(), tick(), hotspots()) in
// the log's order with the record's clock, so all hold the same levels, plans, rate window and
// recent incidents (snapshot()/restoreState() travel in the fleet snapshot). What they cause is
// returned as effects for the partitions' owners, never published, journaled or written here.
// Parts with one job each live beside it: incident-records.ts (journaling incidents, reading them
// back), rate-window.ts (the incident-rate window and its rebuild), live-hotspots.ts (hotspots),
// emergency-plans.ts (plan definitions, activations and plan events), incident-dispatch.ts
// (assignments and closing), level-desk.ts (patrol levels and their suggestions), state-files.ts
// (the state files).
import type { Logger } from 'pino'
import type { Deployment } from '../rules/deployment.js'
import type { RuleEngine } from '../rules/engine.js'
import type { IncidentsSetup } from './compile.js'
import type { OutboundEvent } from '../delivery/outbound-event.js'
import type { Hotspot } from './hotspots.js'
import { parseIncident, type Incident, type IncidentInput } from './incident.js'
import type { LevelChange, PatrolLevels } from './levels.js'
import { SuggestionError, type ClosedSuggestion, type LevelSuggestions } from './level-suggestions.js'
import { LevelDesk, type SuggestionAccepted } from './level-desk.js'
import { coverageOverrides } from './overrides.js'
import { PlanError, type Activation, type PlanBoard, type PlanSpec, type UnitPosition } from './plans.js'
import type { PlanCatalogue, PlanVersion } from './plan-catalogue.js'
import { EmergencyPlans } from './emergency-plans.js'
import { IncidentDispatch } from './incident-dispatch.js'
import { StateFiles } from './state-files.js'
import { RateWindow } from './rate-window.js'
import { LiveHotspots } from './live-hotspots.js'
import { IncidentRecords, INCIDENTS_PER_RECORD } from './incident-records.js'
import { searchUnits, type Candidate, type Proposal } from './resource-search.js'
import type { IncidentQuery, IncidentRow, IncidentStore } from './incident-store.js'
import type { UnshippedIncidents } from './unshipped.js'
import type { IncidentJournal, IncidentRecord } from './incident-journal.js'
import { DEFAULT_INCIDENT_TEXTS, type IncidentTexts } from '../i18n/incident-texts.js'
import { LevelError } from './levels.js'
import type { AlertEvent } from '../rules/alert-event.js'
import { reconcileCheckpointAlerts } from './checkpoint-alerts.js'
import { DispatchError, type Assignment, type DispatchBoard, type DispatchState } from './dispatch.js'
import { noEffects, type HotspotZones, type IncidentCommand, type IncidentEffects, type IncidentOutcome, type ZonedIncident } from './commands.js'

/** Cluster mode: incidents applied within this long are answered from memory (ClickHouse has them by then). */
export const RECENT_INCIDENTS_MS = 3_600_000
/** Cluster mode: a recomputation after new incidents waits this long (their rows reach ClickHouse first). */
const HOTSPOTS_AFTER_INCIDENTS_MS = 3000

/** Cluster mode: how the service reaches the log (cluster-node.ts). */
export interface IncidentsLog {
  /** Appends a command; resolves with its outcome once this engine applied it. */
  command(cmd: IncidentCommand): Promise<IncidentOutcome>
  /** Appends recomputed hotspots for every engine to apply. */
  hotspots(zones: HotspotZones, at: number): Promise<void>
  /** Whether this engine runs the schedule (hotspot recomputation happens there). */
  leads(): boolean
}

export interface IncidentServiceOptions {
  setup: IncidentsSetup
  dep: Deployment
  rules: RuleEngine
  /** null while ClickHouse is not migrated: reads see only the incidents not shipped yet. */
  store: () => IncidentStore | null
  /** Where incidents and plan events are journaled (engine: the journal's incidentJournal()). */
  journal: IncidentJournal
  /** Incidents journaled but not yet in ClickHouse (engine: seeded from the journal at start). */
  unshipped: UnshippedIncidents
  /**
   * Optional: ship the journal now and wait (bounded) until these incidents are in ClickHouse, so
   * hotspots recomputed after an add include them while ClickHouse is up.
   */
  shipSoon?: (ids: string[]) => Promise<void>
  dir: string
  now: () => number
  logger: Logger
  publish: (e: OutboundEvent) => void
  /**
   * Alert transitions this stage causes in the rule engine's book (checkpoint_missed): journaled,
   * then delivered (engine: the alert fan-out's emit). Not used in cluster mode (effects instead).
   */
  alerts?: (events: AlertEvent[]) => void
  /** Event summaries in the configured locale and time zone (default English, UTC). */
  texts?: IncidentTexts
  /** Cluster mode: changes go through the log; no state files, no journal, no publish. */
  cluster?: IncidentsLog
}

export interface CreateResult {
  id: string
  status: 'created' | 'exists' | 'rejected'
  reason?: string
  zone?: string | null
  resources?: Proposal[]
}

export class IncidentService {
  readonly levels: PatrolLevels
  readonly board: PlanBoard
  /** Open patrol_level.suggested proposals, for a human to accept or dismiss. */
  readonly suggestions: LevelSuggestions
  /** The plans that can be activated (config + run-time versions). */
  readonly plans: PlanCatalogue
  /** Incidents' assignments and open/closed status (dispatch.ts); persisted as dispatch.json. */
  readonly dispatch: DispatchBoard
  private readonly o: IncidentServiceOptions
  private readonly files: StateFiles
  private readonly rate: RateWindow
  private readonly hotspots: LiveHotspots
  private readonly records: IncidentRecords
  private readonly emergency: EmergencyPlans
  private readonly dispatcher: IncidentDispatch
  private readonly desk: LevelDesk
  /** ClickHouse work started in the background (hotspots, plan events); idle() waits for it. */
  private readonly pending = new Set<Promise<unknown>>()
  /** Cluster mode, while a record is applied: what it caused (else events are published). */
  private sink: IncidentEffects | null = null
  private hotspotTimer: NodeJS.Timeout | null = null

  private readonly texts: IncidentTexts

  constructor(o: IncidentServiceOptions) {
    this.o = o
    this.texts = o.texts ?? DEFAULT_INCIDENT_TEXTS
    const cluster = o.cluster
    const toLog = cluster === undefined ? {} : { toLog: (cmd: IncidentCommand) => this.throughLog(cluster, cmd) }
    this.files = new StateFiles({ dir: o.dir, logger: o.logger, persist: cluster === undefined })
    this.desk = new LevelDesk({ setup: o.setup, texts: this.texts, files: this.files, emit: (e) => this.emit(e), zoneLabel: (z) => this.zoneLabel(z) })
    this.levels = this.desk.levels
    this.suggestions = this.desk.suggestions
    this.emergency = new EmergencyPlans({
      setup: o.setup, alertBook: o.rules, texts: this.texts, files: this.files, journal: o.journal, now: o.now, logger: o.logger, publish: o.publish,
      raise: (alerts) => this.raise(alerts), search: (lat, lon, now, k, exclude) => this.search(lat, lon, now, k, exclude),
      positions: (now) => this.positions(now), track: (p) => this.track(p), effects: () => this.sink, ...toLog,
    })
    this.board = this.emergency.board
    this.plans = this.emergency.catalogue
    this.rate = new RateWindow({ spec: o.setup.rate, store: o.store, unshipped: o.unshipped, now: o.now, logger: o.logger, track: (p) => this.track(p) })
    const zoneCells = o.dep.zones.map((z) => ({ id: z.id, resolution: z.resolution, cells: new Set(z.coverage.cells) }))
    this.hotspots = new LiveHotspots({ spec: o.setup.hotspots, zoneCells, store: o.store, now: o.now, logger: o.logger, ...(cluster === undefined ? {} : { toLog: (zones, at) => cluster.hotspots(zones, at) }) })
    this.records = new IncidentRecords({ store: o.store, journal: o.journal, unshipped: o.unshipped, logger: o.logger })
    this.dispatcher = new IncidentDispatch({
      rules: o.rules, known: (id) => o.dep.units.has(id), search: o.setup.search, texts: this.texts, files: this.files, now: o.now,
      incident: (id) => this.incident(id), emit: (e) => this.emit(e), ...toLog,
    })
    this.dispatch = this.dispatcher.board
    o.rules.setCoverageOverrides(coverageOverrides(this.levels, () => this.hotspots.current(), o.setup.hotspots.maxIntervalMs))
    if (o.cluster !== undefined) return
    this.files.prepare()
    this.desk.load()
    this.emergency.load()
    this.dispatcher.load()
    // Incidents journaled during an outage count for hotspots once they reach ClickHouse.
    o.unshipped.on('shipped', () => void this.recomputeHotspots())
  }

  /** When the hotspots in force were computed (null: never). */
  get hotspotsAt(): number | null {
    return this.hotspots.computedAt
  }

  /** Publishes an event, or (cluster mode, applying a record) keeps it for the partition's owner. */
  private emit(e: OutboundEvent): void {
    if (this.sink !== null) this.sink.events.push(e)
    else this.o.publish(e)
  }

  /** Delivers alert transitions through the alert path, or (cluster mode) keeps them for the partition's owner. */
  private raise(events: AlertEvent[]): void {
    if (events.length === 0) return
    if (this.sink !== null) this.sink.alerts.push(...events)
    else this.o.alerts?.(events)
  }

  /**
   * Single engine, after start-up: brings the open checkpoint_missed alerts in line with the
   * restored plans (the two are saved apart). Cluster mode needs none: both come from the log.
   */
  reconcileAlerts(now: number = this.o.now()): void {
    if (this.o.cluster !== undefined) return
    this.raise(reconcileCheckpointAlerts(this.o.rules, this.board, now))
  }

  zoneOf(lat: number, lon: number): string | null {
    return this.o.dep.zones.find((z) => z.polygon.contains(lat, lon))?.id ?? null
  }

  /** Live, not silent units with a position. */
  private live(now: number): Array<Candidate & { kind: string }> {
    const out: Candidate[] = []
    for (const u of this.o.rules.units(now)) {
      if (u.lastFix === null || u.silent) continue
      out.push({ id: u.id, name: u.name, kind: u.kind, lat: u.lastFix.lat, lon: u.lastFix.lon, ts: u.lastFix.ts, post: u.post, zone: u.zone })
    }
    return out
  }

  private positions(now: number): Map<string, UnitPosition> {
    return new Map(this.live(now).map((c) => [c.id, { lat: c.lat, lon: c.lon, ts: c.ts, kind: c.kind }]))
  }

  /**
   * The dispatcher's search. searchUnits ranks by distance, so its k are among the k + |committed|
   * nearest live units, which the rule engine's grid index finds reading a few cells; listing every
   * unit first cost ~100 ms per incident with 100,000 tracked (bench/incidents.ts).
   */
  search(lat: number, lon: number, now: number, k?: number, exclude: Iterable<string> = []): Proposal[] {
    const s = k === undefined ? this.o.setup.search : { ...this.o.setup.search, k }
    // Committed: manning an active plan or assigned to an open incident (or excluded by the caller).
    // Registered units only: unknown ones are skipped, asking for more while they crowd out the k nearest.
    const committed = this.committedUnits()
    for (const u of exclude) committed.add(u)
    const wantK = Math.max(0, s.k)
    let want = wantK + committed.size
    let near = this.o.rules.nearest(lat, lon, { k: want, maxDistanceM: s.maxDistanceM > 0 ? s.maxDistanceM : undefined }, now)
    while (near.length === want && near.filter((u) => u.known && !committed.has(u.id)).length < wantK) {
      want *= 2
      near = this.o.rules.nearest(lat, lon, { k: want, maxDistanceM: s.maxDistanceM > 0 ? s.maxDistanceM : undefined }, now)
    }
    const candidates: Candidate[] = near.filter((u) => u.known).map((u) => ({ id: u.id, name: u.name, kind: u.kind, lat: u.lastFix!.lat, lon: u.lastFix!.lon, ts: u.lastFix!.ts, post: u.post, zone: u.zone }))
    return searchUnits(candidates, lat, lon, s, committed)
  }

  /**
   * Stores new incidents (ids already stored are reported as `exists`, nothing else happens).
   * Live incidents (`search`) get the resource search and an incident.opened event; a bulk import
   * of past incidents does not, but feeds the hotspots all the same. Resolves once the new ones
   * are journaled, ClickHouse up or not; while ClickHouse cannot be asked, an id is known only if
   * it is not shipped yet (one already in ClickHouse is journaled again and folded by id there).
   */
  async add(inputs: readonly IncidentInput[], opts: { source: string; search: boolean; by: string }): Promise<CreateResult[]> {
    if (this.o.cluster !== undefined) return this.addThroughLog(this.o.cluster, inputs, opts)
    await this.rate.restore()
    const now = this.o.now()
    const results: CreateResult[] = []
    const fresh: Array<{ incident: Incident; zone: string | null }> = []
    const seen = new Set<string>()
    for (const input of inputs) {
      const i = parseIncident(input, now)
      if (typeof i === 'string') results.push({ id: typeof input.id === 'string' ? input.id : '', status: 'rejected', reason: i })
      else if (seen.has(i.id) || this.o.unshipped.has(i.id)) results.push({ id: i.id, status: 'exists' })
      else {
        seen.add(i.id)
        fresh.push({ incident: i, zone: this.zoneOf(i.lat, i.lon) })
      }
    }
    const have = await this.records.storedIds(fresh.map((f) => f.incident.id))
    const insert = fresh.filter((f) => !have.has(f.incident.id))
    await this.records.journal(insert.map((f) => ({ ...f.incident, zone: f.zone ?? '', source: opts.source, createdAt: now })))
    const byId = new Map(insert.map((f) => [f.incident.id, f]))
    for (const f of fresh) {
      const created = byId.get(f.incident.id)
      if (created === undefined) {
        results.push({ id: f.incident.id, status: 'exists' })
        continue
      }
      const r: CreateResult = { id: f.incident.id, status: 'created', zone: f.zone }
      if (opts.search) {
        r.resources = this.search(f.incident.lat, f.incident.lon, now)
        this.emit(openedEvent(f.incident, f.zone, r.resources, now, this.texts, f.zone === null ? null : this.zoneLabel(f.zone)))
      }
      if (f.zone !== null) this.watchRate(f.zone, f.incident.id, f.incident.ts, now)
      results.push(r)
    }
    if (insert.length > 0) {
      await this.o.shipSoon?.(insert.map((f) => f.incident.id))
      await this.recomputeHotspots()
    }
    return results
  }

  /**
   * Stored incidents plus those not shipped yet. While ClickHouse cannot be read, the ones not
   * shipped yet only, marked partial.
   */
  query(q: IncidentQuery): Promise<{ rows: IncidentRow[]; partial: boolean }> {
    return this.records.query(q)
  }

  /** One incident, from those not shipped yet first; throws NOT_READY/ClickHouse errors otherwise. */
  incident(id: string): Promise<IncidentRow | null> {
    return this.records.get(id)
  }

  private watchRate(zoneId: string, id: string, ts: number, now: number): void {
    const count = this.rate.observe(zoneId, id, ts, now)
    if (count !== null) this.desk.rateReached(zoneId, count, ts, now)
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p)
    // then(done, done), not finally(): a derived promise must not re-raise the rejection unhandled.
    const done = () => this.pending.delete(p)
    p.then(done, done)
    return p
  }

  /** Resolves when no ClickHouse work of this stage is in flight (before the client is closed). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }

  /** Never throws: on failure the previous hotspots stay in force (logged); false then. */
  recomputeHotspots(): Promise<boolean> {
    return this.track(this.hotspots.recompute())
  }

  hotspotList(zoneId?: string): Hotspot[] {
    return this.hotspots.list(zoneId)
  }

  /**
   * Changes a zone's level; effective at the next rule tick. Null when nothing changed. Cluster
   * mode: a promise, settled once the change came back through the log (LevelError rejects it).
   */
  setLevel(zoneId: string, level: string, o: { reason: string; by: string; expiresAt: number | null }): LevelChange | null | Promise<LevelChange | null> {
    if (this.o.cluster !== undefined) return this.throughLog(this.o.cluster, { op: 'level', zoneId, level, ...o }) as Promise<LevelChange | null>
    return this.desk.setAt(zoneId, level, o, this.o.now())
  }

  /**
   * Accepts an open suggestion: the zone goes to the suggested level (by the operator, reason
   * "accepted suggestion …", optionally until an expiry). SuggestionError when unknown or closed,
   * LevelError when the level cannot be set. Cluster mode: a promise, settled once applied.
   */
  acceptSuggestion(id: string, o: { by: string; expiresAt: number | null }): SuggestionAccepted | Promise<SuggestionAccepted> {
    if (this.o.cluster !== undefined) return this.throughLog(this.o.cluster, { op: 'suggestion_accept', id, ...o }) as Promise<SuggestionAccepted>
    return this.desk.acceptAt(id, o, this.o.now())
  }

  /** Dismisses an open suggestion (patrol_level.suggestion_dismissed); SuggestionError when unknown or closed. */
  dismissSuggestion(id: string, o: { by: string; reason: string | null }): ClosedSuggestion | Promise<ClosedSuggestion> {
    if (this.o.cluster !== undefined) return this.throughLog(this.o.cluster, { op: 'suggestion_dismiss', id, ...o }) as Promise<ClosedSuggestion>
    return this.desk.dismissAt(id, o, this.o.now())
  }

  /** A zone as its summaries name it: the id in English (as receivers have parsed it), the name in Chinese. */
  private zoneLabel(zoneId: string): string {
    return this.texts.locale === 'en' ? zoneId : (this.o.dep.zonesById.get(zoneId)?.name ?? zoneId)
  }

  planSpecs(): PlanSpec[] {
    return this.emergency.specs()
  }

  /**
   * Resolves once its plan events are journaled (PlanError rejects it). The `nearest: N` units are
   * picked here, where the request came in, and travel in the command, so every engine applies the
   * same choice.
   */
  activate(planId: string, o: { by: string; incidentId: string | null; centre: { lat: number; lon: number } | null }): Promise<Activation | null> {
    return this.emergency.activate(planId, o)
  }

  /** Creates (`create`) or replaces a plan from an API body; resolves with the new version (PlanError rejects it). */
  definePlan(body: unknown, mode: 'create' | 'replace', by: string, planId?: string): Promise<PlanVersion> {
    return this.emergency.define(body, mode, by, planId)
  }

  /** Deletes a plan (refused while active); resolves with the deletion's version. */
  deletePlan(planId: string, by: string): Promise<PlanVersion> {
    return this.emergency.remove(planId, by)
  }

  /** Resolves once its plan events are journaled (PlanError rejects it). */
  deactivate(planId: string, by: string): Promise<Activation> {
    return this.emergency.deactivate(planId, by)
  }

  planStatus(planId: string): ReturnType<PlanBoard['status']> {
    return this.emergency.status(planId)
  }

  /** Per rule tick: level expiries, plan tracking. */
  tick(now: number): void {
    this.desk.expire(now)
    this.emergency.tick(now)
  }

  /** Units not available: manning an active plan or assigned to an open incident. */
  committedUnits(): Set<string> {
    return new Set([...this.board.committedUnits(), ...this.dispatch.committedUnits().keys()])
  }

  /** An incident's assignments and status (open with none when it never had any). */
  dispatchOf(incidentId: string): Omit<DispatchState, 'incidentId'> {
    return this.dispatcher.view(incidentId)
  }

  /**
   * Assigns registered units to an incident (incident.assigned for the ones new to it); null when
   * there is no such incident. DispatchError rejects it (unregistered unit, closed incident, unit
   * on another open incident). Cluster mode: through the log.
   */
  assign(incidentId: string, units: readonly string[], o: { by: string; note: string }): Promise<{ state: DispatchState; added: Assignment[] } | null> {
    return this.dispatcher.assign(incidentId, units, o)
  }

  /** Closes an incident with its outcome (incident.closed); null when there is no such incident. */
  close(incidentId: string, outcome: string, by: string): Promise<DispatchState | null> {
    return this.dispatcher.close(incidentId, outcome, by)
  }

  // Cluster mode from here on.

  /** Appends a command and waits for its outcome; a refusal rejects as the direct call would. */
  private async throughLog(log: IncidentsLog, cmd: IncidentCommand): Promise<unknown> {
    const r = await log.command(cmd)
    if (r.ok) return r.value
    if (r.error === 'level') throw new LevelError(r.message)
    if (r.error === 'suggestion_not_found' || r.error === 'suggestion_closed') throw new SuggestionError(r.error === 'suggestion_closed' ? 'closed' : 'not_found', r.message)
    if (r.error === 'dispatch_conflict' || r.error === 'dispatch_bad_request') throw new DispatchError(r.error === 'dispatch_conflict' ? 'conflict' : 'bad_request', r.message)
    throw new PlanError(r.error === 'plan_conflict' ? 'conflict' : r.error === 'plan_not_found' ? 'not_found' : 'bad_request', r.message)
  }

  /**
   * add() in cluster mode: rows are parsed and checked against ClickHouse here, the new ones go
   * through the log (in chunks) and are created where every engine applies them (apply()).
   */
  private async addThroughLog(log: IncidentsLog, inputs: readonly IncidentInput[], opts: { source: string; search: boolean; by: string }): Promise<CreateResult[]> {
    const now = this.o.now()
    const results: Array<CreateResult | undefined> = []
    const fresh: Array<{ index: number; incident: ZonedIncident }> = []
    const seen = new Set<string>()
    inputs.forEach((input, index) => {
      const i = parseIncident(input, now)
      if (typeof i === 'string') results[index] = { id: typeof input.id === 'string' ? input.id : '', status: 'rejected', reason: i }
      else if (seen.has(i.id) || this.o.unshipped.has(i.id)) results[index] = { id: i.id, status: 'exists' }
      else {
        seen.add(i.id)
        fresh.push({ index, incident: { ...i, zone: this.zoneOf(i.lat, i.lon) } })
      }
    })
    const have = await this.records.storedIds(fresh.map((f) => f.incident.id))
    const send: typeof fresh = []
    for (const f of fresh) {
      if (have.has(f.incident.id)) results[f.index] = { id: f.incident.id, status: 'exists' }
      else send.push(f)
    }
    for (let i = 0; i < send.length; i += INCIDENTS_PER_RECORD) {
      const chunk = send.slice(i, i + INCIDENTS_PER_RECORD)
      const created = await this.throughLog(log, { op: 'create', incidents: chunk.map((f) => f.incident), ...opts }) as CreateResult[]
      chunk.forEach((f, j) => { results[f.index] = created[j] ?? { id: f.incident.id, status: 'exists' } })
    }
    return results.filter((r): r is CreateResult => r !== undefined)
  }

  /** Runs `fn` collecting what it causes instead of publishing it. */
  private collect<T>(fn: () => T): { value: T; effects: IncidentEffects } {
    const sink = this.sink = noEffects()
    try {
      return { value: fn(), effects: sink }
    } finally {
      this.sink = null
    }
  }

  /** Applies a command from the log with the record's clock (every engine alike). */
  apply(cmd: IncidentCommand, now: number): { outcome: IncidentOutcome; effects: IncidentEffects } {
    let outcome: IncidentOutcome = { ok: true, value: null }
    const { effects } = this.collect(() => {
      try {
        outcome = { ok: true, value: this.applyCommand(cmd, now) }
      } catch (err) {
        if (err instanceof LevelError) outcome = { ok: false, error: 'level', message: err.message }
        else if (err instanceof SuggestionError) outcome = { ok: false, error: err.code === 'closed' ? 'suggestion_closed' : 'suggestion_not_found', message: err.message }
        else if (err instanceof PlanError) outcome = { ok: false, error: err.code === 'conflict' ? 'plan_conflict' : err.code === 'not_found' ? 'plan_not_found' : 'plan_bad_request', message: err.message }
        else if (err instanceof DispatchError) outcome = { ok: false, error: err.code === 'conflict' ? 'dispatch_conflict' : 'dispatch_bad_request', message: err.message }
        else throw err
      }
    })
    return { outcome, effects }
  }

  private applyCommand(cmd: IncidentCommand, now: number): unknown {
    switch (cmd.op) {
      case 'create': return this.applyCreate(cmd, now)
      case 'level': return this.desk.setAt(cmd.zoneId, cmd.level, cmd, now)
      case 'plan_on': return this.emergency.applyOn(cmd, now)
      case 'plan_off': return this.emergency.applyOff(cmd, now)
      case 'suggestion_accept': return this.desk.acceptAt(cmd.id, cmd, now)
      case 'suggestion_dismiss': return this.desk.dismissAt(cmd.id, cmd, now)
      case 'plan_define':
      case 'plan_delete':
        return this.emergency.applyDefine(cmd, now)
      case 'assign': return this.dispatcher.assignAt(cmd.incident, cmd.units, cmd, now)
      case 'close': return this.dispatcher.closeAt(cmd.incident, cmd.outcome, cmd.by, now)
    }
  }

  private applyCreate(cmd: Extract<IncidentCommand, { op: 'create' }>, now: number): CreateResult[] {
    const recent = this.o.unshipped
    recent.forgetCreatedBefore(now - RECENT_INCIDENTS_MS)
    const results: CreateResult[] = []
    for (const { zone, ...incident } of cmd.incidents) {
      if (recent.has(incident.id)) {
        results.push({ id: incident.id, status: 'exists' })
        continue
      }
      const row: IncidentRecord = { ...incident, zone: zone ?? '', source: cmd.source, createdAt: now }
      recent.add(row)
      this.sink?.incidents.push(row)
      const r: CreateResult = { id: incident.id, status: 'created', zone }
      if (cmd.search) {
        r.resources = this.search(incident.lat, incident.lon, now)
        this.emit(openedEvent(incident, zone, r.resources, now, this.texts, zone === null ? null : this.zoneLabel(zone)))
      }
      if (zone !== null) this.watchRate(zone, incident.id, incident.ts, now)
      results.push(r)
    }
    if (results.some((r) => r.status === 'created')) this.hotspotsSoon()
    return results
  }

  /** The schedule's holder recomputes hotspots a moment after new incidents (their rows are in ClickHouse by then). */
  private hotspotsSoon(): void {
    if (this.hotspotTimer !== null || this.o.cluster?.leads() !== true) return
    this.hotspotTimer = setTimeout(() => {
      this.hotspotTimer = null
      void this.recomputeHotspots()
    }, HOTSPOTS_AFTER_INCIDENTS_MS)
    this.hotspotTimer.unref()
  }

  /** A tick record: level expiries and plan tracking at the tick's clock; what they caused. */
  applyTick(now: number): IncidentEffects {
    return this.collect(() => this.tick(now)).effects
  }

  /** A hotspots record: the schedule holder's recomputation, in force on every engine. */
  applyHotspots(zones: HotspotZones, at: number): void {
    this.hotspots.apply(zones, at)
  }

  /** The replicated state, for the fleet snapshot. */
  snapshot(): IncidentsSnapshot {
    return {
      v: 1,
      levels: this.levels.toJSON(),
      suggestions: this.suggestions.toJSON(),
      plans: this.board.toJSON(),
      defs: this.plans.toJSON(),
      rate: this.rate.toJSON(),
      hotspots: this.hotspots.toJSON(),
      hotspotsAt: this.hotspots.computedAt,
      recent: this.o.unshipped.records(),
      dispatch: this.dispatch.toJSON(),
    }
  }

  /** Restores a snapshot() (before any record is applied); unreadable parts start empty. */
  restoreState(json: unknown): void {
    const j = json as Partial<IncidentsSnapshot> | null
    if (typeof j !== 'object' || j === null || j.v !== 1) return
    this.desk.restore(j.levels, j.suggestions)
    this.emergency.restore(j.defs, j.plans)
    this.rate.load(j.rate)
    this.hotspots.restore(j.hotspots, j.hotspotsAt)
    if (Array.isArray(j.recent)) for (const r of j.recent) this.o.unshipped.add(r)
    this.dispatch.restore(j.dispatch)
  }

  /** Clears the pending hotspot recomputation (engine stop). */
  stop(): void {
    if (this.hotspotTimer !== null) clearTimeout(this.hotspotTimer)
    this.hotspotTimer = null
  }
}

/** The incidents' part of cluster mode's fleet snapshot. */
export interface IncidentsSnapshot {
  v: 1
  levels: unknown
  /** Open and recently closed level suggestions (absent in an older engine's snapshot). */
  suggestions?: unknown
  plans: unknown
  /** Run-time plan versions (absent in older snapshots: the config's plans only). */
  defs?: unknown
  rate: unknown
  hotspots: HotspotZones
  hotspotsAt: number | null
  recent: IncidentRecord[]
  /** Absent in snapshots of engines before dispatch: no assignments. */
  dispatch?: DispatchState[]
}

/** `zone`: the zone's id (in the data); `zoneLabel`: how the summary names it (default the id). */
export function openedEvent(i: Incident, zone: string | null, resources: Proposal[], now: number, texts: IncidentTexts = DEFAULT_INCIDENT_TEXTS, zoneLabel: string | null = zone): OutboundEvent {
  return {
    id: `incident.${i.id}.opened`,
    type: 'incident.opened',
    at: now,
    subject: `incident:${i.id}`,
    summary: texts.incidentOpened(i.id, i.type, i.priority, zoneLabel, resources[0]),
    data: { incident: { ...i, zone }, resources },
  }
}
