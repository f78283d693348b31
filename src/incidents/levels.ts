// Patrol levels: each zone sits on a rung of the configured ladder (normal, enhanced, high,
// emergency, …). A supervisor's change overrides the zone's base level, optionally until an
// expiry, after which the zone returns to its base level by itself. Pure and clocked; the service
// persists toJSON() and turns the returned changes into patrol_level.changed events.

export interface LevelSpec {
  name: string
  /** Position on the ladder, 0 = lowest. */
  rank: number
  maxIntervalMs?: number
  minRatio?: number
  responseRadiusM?: number
  hotspotIntervalMs?: number
}

export interface LevelOverride {
  level: string
  reason: string
  by: string
  at: number
  /** null: until changed again. */
  expiresAt: number | null
}

export interface LevelChange {
  zoneId: string
  from: string
  to: string
  reason: string
  by: string
  at: number
  expiresAt: number | null
  /** Why it changed: a person (set) or the clock (expired). */
  cause: 'set' | 'expired'
}

export interface ZoneLevelView {
  zoneId: string
  level: string
  base: string
  override: LevelOverride | null
}

export class LevelError extends Error {}

export class PatrolLevels {
  private readonly ladder: ReadonlyMap<string, LevelSpec>
  private readonly base: ReadonlyMap<string, string>
  private readonly overrides = new Map<string, LevelOverride>()

  constructor(ladder: readonly LevelSpec[], base: ReadonlyMap<string, string>) {
    this.ladder = new Map(ladder.map((l) => [l.name, l]))
    this.base = base
  }

  has(zoneId: string): boolean {
    return this.base.has(zoneId)
  }

  spec(name: string): LevelSpec | undefined {
    return this.ladder.get(name)
  }

  levels(): LevelSpec[] {
    return [...this.ladder.values()]
  }

  /** The zone's level at `now` (an expired override no longer counts, even before expire() runs). */
  effective(zoneId: string, now: number): LevelSpec {
    const o = this.active(zoneId, now)
    return this.ladder.get(o?.level ?? (this.base.get(zoneId) as string)) as LevelSpec
  }

  view(zoneId: string, now: number): ZoneLevelView {
    const o = this.active(zoneId, now)
    const base = this.base.get(zoneId) as string
    return { zoneId, level: o?.level ?? base, base, override: o ?? null }
  }

  views(now: number): ZoneLevelView[] {
    return [...this.base.keys()].map((z) => this.view(z, now))
  }

  private active(zoneId: string, now: number): LevelOverride | undefined {
    const o = this.overrides.get(zoneId)
    return o !== undefined && (o.expiresAt === null || o.expiresAt > now) ? o : undefined
  }

  /** Sets a zone's level; null when it is already at that level with the same expiry. Throws LevelError on unknown zone or level, or an expiry in the past. */
  set(zoneId: string, level: string, o: { reason: string; by: string; expiresAt: number | null }, now: number): LevelChange | null {
    if (!this.base.has(zoneId)) throw new LevelError(`no zone with id "${zoneId}"`)
    if (!this.ladder.has(level)) throw new LevelError(`no patrol level "${level}" (ladder: ${[...this.ladder.keys()].join(', ')})`)
    if (o.expiresAt !== null && o.expiresAt <= now) throw new LevelError('the expiry is in the past')
    const cur = this.view(zoneId, now)
    if (cur.level === level && (cur.override?.expiresAt ?? null) === o.expiresAt) return null
    if (level === cur.base && o.expiresAt === null) this.overrides.delete(zoneId)
    else this.overrides.set(zoneId, { level, reason: o.reason, by: o.by, at: now, expiresAt: o.expiresAt })
    return { zoneId, from: cur.level, to: level, reason: o.reason, by: o.by, at: now, expiresAt: o.expiresAt, cause: 'set' }
  }

  /** Drops overrides whose expiry has passed; returns the resulting changes back to base. */
  expire(now: number): LevelChange[] {
    const out: LevelChange[] = []
    for (const [zoneId, o] of this.overrides) {
      if (o.expiresAt === null || o.expiresAt > now) continue
      this.overrides.delete(zoneId)
      const base = this.base.get(zoneId) as string
      if (base !== o.level) out.push({ zoneId, from: o.level, to: base, reason: `expired (set by ${o.by}: ${o.reason})`, by: 'hexpatrol', at: o.expiresAt, expiresAt: null, cause: 'expired' })
    }
    return out
  }

  toJSON(): { version: 1; overrides: Array<LevelOverride & { zoneId: string }> } {
    return { version: 1, overrides: [...this.overrides].map(([zoneId, o]) => ({ zoneId, ...o })) }
  }

  /** Restores overrides; those for zones or levels no longer configured are dropped. */
  restore(json: unknown): void {
    const j = json as { version?: unknown; overrides?: unknown } | null
    if (j?.version !== 1 || !Array.isArray(j.overrides)) return
    for (const o of j.overrides as Array<LevelOverride & { zoneId: string }>) {
      if (typeof o?.zoneId !== 'string' || !this.base.has(o.zoneId) || !this.ladder.has(o.level)) continue
      this.overrides.set(o.zoneId, { level: o.level, reason: String(o.reason), by: String(o.by), at: Number(o.at), expiresAt: typeof o.expiresAt === 'number' ? o.expiresAt : null })
    }
  }
}
