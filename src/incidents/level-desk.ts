// Patrol levels as operators and the incident rate change them: a zone's level set (by hand, by an
// accepted suggestion, automatically when incidents.rate.auto_apply), expired at its time, and the
// patrol_level.suggested proposals a busy zone raises, accepted or dismissed. Each change is written
// to its state file and emitted (patrol_level.changed, .suggested, .suggestion_dismissed); reaching
// a suggested level settles the suggestion. The caller (service.ts) routes operators' changes
// through the log in cluster mode and calls the `…At` methods with the record's clock.
import type { OutboundEvent } from '../delivery/outbound-event.js'
import type { IncidentTexts } from '../i18n/incident-texts.js'
import type { IncidentsSetup } from './compile.js'
import { PatrolLevels, type LevelChange } from './levels.js'
import { LevelSuggestions, type ClosedSuggestion, type LevelSuggestion } from './level-suggestions.js'
import type { StateFiles } from './state-files.js'

export interface LevelDeskDeps {
  setup: Pick<IncidentsSetup, 'ladder' | 'baseLevels' | 'rate'>
  texts: IncidentTexts
  files: StateFiles
  /** Publishes an event (or, in cluster mode while a record is applied, keeps it for the owner). */
  emit: (e: OutboundEvent) => void
  /** How summaries name a zone. */
  zoneLabel: (zoneId: string) => string
}

/** What accepting a suggestion did: the suggestion as closed, and the level change (null: none needed). */
export interface SuggestionAccepted {
  suggestion: ClosedSuggestion
  change: LevelChange | null
}

const LEVELS_FILE = 'levels.json'
const SUGGESTIONS_FILE = 'level-suggestions.json'

export class LevelDesk {
  readonly levels: PatrolLevels
  /** Open patrol_level.suggested proposals, for a human to accept or dismiss. */
  readonly suggestions = new LevelSuggestions()

  constructor(private readonly d: LevelDeskDeps) {
    this.levels = new PatrolLevels(d.setup.ladder, d.setup.baseLevels)
  }

  /** Single engine: the levels and suggestions of the last run (suggestions for unknown zones or levels dropped). */
  load(): void {
    this.restore(this.d.files.read(LEVELS_FILE), this.d.files.read(SUGGESTIONS_FILE))
  }

  /** From state files or a fleet snapshot; unreadable parts start empty. */
  restore(levels: unknown, suggestions: unknown): void {
    this.levels.restore(levels)
    this.suggestions.restore(suggestions, (s) => this.valid(s))
  }

  /** Changes a zone's level (LevelError when refused); null when nothing changed. */
  setAt(zoneId: string, level: string, o: { reason: string; by: string; expiresAt: number | null }, now: number): LevelChange | null {
    const change = this.levels.set(zoneId, level, o, now)
    if (change !== null) this.changed(change)
    return change
  }

  /** Per rule tick: levels whose expiry passed go back to their base. */
  expire(now: number): void {
    for (const c of this.levels.expire(now)) this.changed(c)
  }

  /**
   * The incident rate in a zone reached the threshold (`count` incidents, the newest at `ts`): a
   * zone below the suggested level gets a suggestion, or with auto_apply the level itself.
   */
  rateReached(zoneId: string, count: number, ts: number, now: number): void {
    const rate = this.d.setup.rate
    const current = this.levels.effective(zoneId, now)
    const target = this.levels.spec(rate.suggestLevel)!
    if (current.rank >= target.rank) return
    const windowH = Math.round(rate.windowMs / 3_600_000)
    const summary = this.d.texts.levelSuggested(this.d.zoneLabel(zoneId), count, windowH, current.name, target.name)
    const suggestionId = `patrol_level.suggested.${zoneId}.${ts}`
    this.d.emit({ id: suggestionId, type: 'patrol_level.suggested', at: now, subject: `zone:${zoneId}`, summary, data: { zoneId, from: current.name, to: target.name, incidents: count, windowMs: rate.windowMs, autoApplied: rate.autoApply } })
    if (rate.autoApply) this.setAt(zoneId, target.name, { reason: this.d.texts.levelAutoReason(count, windowH), by: 'hexpatrol', expiresAt: now + rate.autoExpiryMs }, now)
    else {
      this.suggestions.add({ id: suggestionId, zoneId, from: current.name, to: target.name, incidents: count, windowMs: rate.windowMs, at: now })
      this.d.files.write(SUGGESTIONS_FILE, this.suggestions.toJSON())
    }
  }

  /**
   * Accepts an open suggestion: the zone goes to the suggested level (reason "accepted suggestion
   * …", optionally until an expiry). SuggestionError when unknown or closed, LevelError when the
   * level cannot be set (the suggestion then stays open).
   */
  acceptAt(id: string, o: { by: string; expiresAt: number | null }, now: number): SuggestionAccepted {
    const s = this.suggestions.get(id)
    const reason = `accepted suggestion ${id} (${s.incidents} incidents in ${Math.round(s.windowMs / 60_000)} min)`
    // Set first: a refused level (an expiry in the past) leaves the suggestion open.
    const change = this.levels.set(s.zoneId, s.to, { reason, by: o.by, expiresAt: o.expiresAt }, now)
    const closed = this.suggestions.resolve(id, 'accepted', o.by, null, now)
    if (change !== null) this.changed(change)
    this.d.files.write(SUGGESTIONS_FILE, this.suggestions.toJSON())
    return { suggestion: closed, change }
  }

  /** Dismisses an open suggestion (patrol_level.suggestion_dismissed); SuggestionError when unknown or closed. */
  dismissAt(id: string, o: { by: string; reason: string | null }, now: number): ClosedSuggestion {
    const c = this.suggestions.resolve(id, 'dismissed', o.by, o.reason, now)
    this.d.files.write(SUGGESTIONS_FILE, this.suggestions.toJSON())
    this.d.emit({
      id: `${id}.dismissed`,
      type: 'patrol_level.suggestion_dismissed',
      at: now,
      subject: `zone:${c.zoneId}`,
      summary: this.d.texts.levelSuggestionDismissed(this.d.zoneLabel(c.zoneId), c.to, o.by, o.reason),
      data: { suggestionId: id, zoneId: c.zoneId, from: c.from, to: c.to, by: o.by, reason: o.reason },
    })
    return c
  }

  private changed(c: LevelChange): void {
    this.d.files.write(LEVELS_FILE, this.levels.toJSON())
    // A zone at or above a suggested level needs the suggestion no more.
    if (this.suggestions.settle((s) => this.reached(s, c.at), c.at).length > 0) this.d.files.write(SUGGESTIONS_FILE, this.suggestions.toJSON())
    this.d.emit({
      id: `patrol_level.${c.zoneId}.${c.at}.${c.to}`,
      type: 'patrol_level.changed',
      at: c.at,
      subject: `zone:${c.zoneId}`,
      summary: this.d.texts.levelChanged(this.d.zoneLabel(c.zoneId), c.from, c.to, c.expiresAt, c.by, c.reason),
      data: { ...c },
    })
  }

  private reached(s: LevelSuggestion, now: number): boolean {
    const target = this.levels.spec(s.to)
    return target === undefined || this.levels.effective(s.zoneId, now).rank >= target.rank
  }

  /** A restored suggestion still fits the configuration (zone and level known). */
  private valid(s: LevelSuggestion): boolean {
    return this.levels.has(s.zoneId) && this.levels.spec(s.to) !== undefined
  }
}
