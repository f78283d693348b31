// The plans that can be activated, and every version of each. Plans from the config are version 1
// ("config"); plans created, replaced or deleted at run time through the API add versions after it,
// and the latest version wins: a run-time version overrides the config's plan of the same id, a
// deletion hides it, across restarts (the service saves toJSON() as plan-defs.json, or the fleet
// snapshot carries it in cluster mode). Pure: refusals are PlanErrors; whether a plan is active is
// the caller's to check.
import { PlanError, type PlanSpec } from './plans.js'

export interface PlanVersion {
  planId: string
  version: number
  origin: 'config' | 'api'
  by: string
  /** Epoch ms of the change; null for the config's version. */
  at: number | null
  /** The plan in force from this version on; null: deleted. */
  spec: PlanSpec | null
  /** The body as the API received it (config shape and units); null for the config's version and deletions. */
  source: Record<string, unknown> | null
}

/** A plan in force and the version it comes from. */
export type CurrentPlan = PlanVersion & { spec: PlanSpec }

export class PlanCatalogue {
  /** Run-time versions per plan id, oldest first. */
  private readonly changes = new Map<string, PlanVersion[]>()

  constructor(private readonly config: ReadonlyMap<string, PlanSpec>) {}

  private configVersion(id: string): PlanVersion | undefined {
    const spec = this.config.get(id)
    return spec === undefined ? undefined : { planId: id, version: 1, origin: 'config', by: 'config', at: null, spec, source: null }
  }

  /** Every version of a plan, oldest first; empty for an id never defined. */
  versions(id: string): PlanVersion[] {
    const first = this.configVersion(id)
    return [...(first === undefined ? [] : [first]), ...(this.changes.get(id) ?? [])]
  }

  current(id: string): CurrentPlan | undefined {
    const v = this.versions(id).at(-1)
    return v?.spec == null ? undefined : (v as CurrentPlan)
  }

  get(id: string): PlanSpec | undefined {
    return this.current(id)?.spec
  }

  /** Plans in force, by id. */
  list(): CurrentPlan[] {
    const ids = new Set([...this.config.keys(), ...this.changes.keys()])
    return [...ids].sort().map((id) => this.current(id)).filter((p): p is CurrentPlan => p !== undefined)
  }

  create(spec: PlanSpec, source: Record<string, unknown>, by: string, at: number): PlanVersion {
    if (this.current(spec.id) !== undefined) throw new PlanError('conflict', `plan ${spec.id} exists already; change it with PUT /api/v1/plans/${spec.id}`)
    return this.add({ planId: spec.id, origin: 'api', by, at, spec, source })
  }

  replace(spec: PlanSpec, source: Record<string, unknown>, by: string, at: number): PlanVersion {
    if (this.current(spec.id) === undefined) throw new PlanError('not_found', `no plan ${spec.id}; create it with POST /api/v1/plans`)
    return this.add({ planId: spec.id, origin: 'api', by, at, spec, source })
  }

  remove(id: string, by: string, at: number): PlanVersion {
    if (this.current(id) === undefined) throw new PlanError('not_found', `no plan ${id}`)
    return this.add({ planId: id, origin: 'api', by, at, spec: null, source: null })
  }

  private add(v: Omit<PlanVersion, 'version'>): PlanVersion {
    const version: PlanVersion = { ...v, version: (this.versions(v.planId).at(-1)?.version ?? 0) + 1 }
    const list = this.changes.get(v.planId) ?? []
    list.push(version)
    this.changes.set(v.planId, list)
    return version
  }

  toJSON(): { version: 1; changes: PlanVersion[] } {
    return { version: 1, changes: [...this.changes.values()].flat() }
  }

  /** Restores the run-time versions; unreadable entries are skipped. */
  restore(json: unknown): void {
    const j = json as { version?: unknown; changes?: unknown } | null
    if (j?.version !== 1 || !Array.isArray(j.changes)) return
    this.changes.clear()
    for (const v of j.changes as PlanVersion[]) {
      if (typeof v?.planId !== 'string' || typeof v.version !== 'number' || !(v.spec === null || isPlanSpec(v.spec))) continue
      const list = this.changes.get(v.planId) ?? []
      list.push(v)
      this.changes.set(v.planId, list)
    }
  }
}

const str = (v: unknown): v is string => typeof v === 'string'
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/** Whether `v` has a PlanSpec's shape (a record from the log or a state file). */
export function isPlanSpec(v: unknown): v is PlanSpec {
  const p = v as Record<string, unknown> | null
  if (typeof p !== 'object' || p === null || !str(p.id) || !str(p.name) || (p.positions !== 'absolute' && p.positions !== 'scene') || !num(p.dwellMs) || (p.nameEn !== undefined && !str(p.nameEn))) return false
  return Array.isArray(p.checkpoints) && p.checkpoints.length > 0 && p.checkpoints.every((c: unknown) => {
    const x = c as Record<string, unknown> | null
    return typeof x === 'object' && x !== null && str(x.name) && (x.nameEn === undefined || str(x.nameEn)) && Array.isArray(x.units) && x.units.every(str) && num(x.arriveWithinMs) && num(x.radiusM) &&
      ((num(x.lat) && num(x.lon)) || (num(x.northM) && num(x.eastM))) && (x.nearest === undefined || num(x.nearest))
  })
}
