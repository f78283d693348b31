// Dispatch at run time: units assigned to an incident (with their distance and ETA to the scene
// from their live positions when assigned) and the incident closed with its outcome, on the pure
// DispatchBoard (dispatch.ts); every change is persisted as dispatch.json and told as an outbound
// event (dispatch-events.ts). Out of service.ts so dispatch has one owner. Cluster mode (`toLog`
// given): assign()/close() go through the log and every engine applies them (assignAt/closeAt)
// with the record's clock.
import type { OutboundEvent } from '../delivery/outbound-event.js'
import { haversineM } from '../geo/distance.js'
import type { IncidentTexts } from '../i18n/incident-texts.js'
import type { RuleEngine } from '../rules/engine.js'
import type { IncidentCommand } from './commands.js'
import { DispatchBoard, type AssignInput, type Assignment, type DispatchState } from './dispatch.js'
import { assignedEvent, closedEvent, type DispatchTarget } from './dispatch-events.js'
import type { IncidentRow } from './incident-store.js'
import { etaSeconds, type SearchSettings } from './resource-search.js'
import type { StateFiles } from './state-files.js'

/** The state file of dispatch under <data_dir>/incidents. */
export const DISPATCH_FILE = 'dispatch.json'

export interface IncidentDispatchDeps {
  /** Live positions of the units assigned (distance and ETA when assigned). */
  rules: Pick<RuleEngine, 'unit'>
  /** Whether a unit is registered (units[] in the configuration). */
  known: (unitId: string) => boolean
  /** Speeds and detour factor for the ETA. */
  search: Pick<SearchSettings, 'speedKmh' | 'detourFactor'>
  texts: IncidentTexts
  files: StateFiles
  now: () => number
  /** A stored incident (null: none); throws when it cannot be read. */
  incident: (id: string) => Promise<IncidentRow | null>
  /** Publishes an event (cluster mode, applying a record: keeps it for the partition's owner). */
  emit: (e: OutboundEvent) => void
  /** Cluster mode: appends the command and resolves with its value once applied (a refusal rejects). */
  toLog?: (cmd: IncidentCommand) => Promise<unknown>
}

export class IncidentDispatch {
  /** Incidents' assignments and open/closed status. */
  readonly board = new DispatchBoard()

  constructor(private readonly d: IncidentDispatchDeps) {}

  /** Restores the board from dispatch.json (single engine, at start). */
  load(): void {
    this.board.restore(this.d.files.read(DISPATCH_FILE))
  }

  /** An incident's assignments and status (open with none when it never had any). */
  view(incidentId: string): Omit<DispatchState, 'incidentId'> {
    const { incidentId: _id, ...rest } = this.board.view(incidentId)
    return rest
  }

  /**
   * Assigns registered units to an incident (incident.assigned for the ones new to it); null when
   * there is no such incident. DispatchError rejects it (unregistered unit, closed incident, unit
   * on another open incident). Cluster mode: through the log.
   */
  async assign(incidentId: string, units: readonly string[], o: { by: string; note: string }): Promise<{ state: DispatchState; added: Assignment[] } | null> {
    const inc = await this.d.incident(incidentId)
    if (inc === null) return null
    const target = targetOf(inc)
    if (this.d.toLog !== undefined) return this.d.toLog({ op: 'assign', incident: target, units: [...units], ...o }) as Promise<{ state: DispatchState; added: Assignment[] }>
    return this.assignAt(target, units, o, this.d.now())
  }

  /** Closes an incident with its outcome (incident.closed); null when there is no such incident. */
  async close(incidentId: string, outcome: string, by: string): Promise<DispatchState | null> {
    const inc = await this.d.incident(incidentId)
    if (inc === null) return null
    const target = targetOf(inc)
    if (this.d.toLog !== undefined) return this.d.toLog({ op: 'close', incident: target, outcome, by }) as Promise<DispatchState>
    return this.closeAt(target, outcome, by, this.d.now())
  }

  /** Assigns at `now` (direct call, or a command applied from the log). */
  assignAt(inc: DispatchTarget, units: readonly string[], o: { by: string; note: string }, now: number): { state: DispatchState; added: Assignment[] } {
    const input: AssignInput[] = units.map((unitId) => {
      const u = this.d.rules.unit(unitId, now)
      if (u === undefined || u.lastFix === null || u.silent) return { unitId, distanceM: null, etaS: null }
      const dist = haversineM(inc.lat, inc.lon, u.lastFix.lat, u.lastFix.lon)
      return { unitId, distanceM: Math.round(dist), etaS: etaSeconds(dist, u.kind, this.d.search) }
    })
    const r = this.board.assign(inc.id, input, { ...o, known: this.d.known }, now)
    if (r.added.length > 0) {
      this.changed(now)
      this.d.emit(assignedEvent(inc, r.state, r.added, o, now, this.d.texts))
    }
    return r
  }

  /** Closes at `now` (direct call, or a command applied from the log). */
  closeAt(inc: DispatchTarget, outcome: string, by: string, now: number): DispatchState {
    const state = this.board.close(inc.id, outcome, by, now)
    this.changed(now)
    this.d.emit(closedEvent(inc, state, { outcome, by }, now, this.d.texts))
    return state
  }

  private changed(now: number): void {
    this.board.prune(now)
    this.d.files.write(DISPATCH_FILE, this.board.toJSON())
  }
}

/** What dispatch needs of a stored incident (its zone '' outside every zone). */
const targetOf = (inc: IncidentRow): DispatchTarget => ({ id: inc.id, lat: inc.lat, lon: inc.lon, zone: inc.zone === '' ? null : inc.zone })
