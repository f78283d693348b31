// Webhook subscriptions: the config file's list merged with admin-API changes persisted in
// <dir>/subscriptions.json (added, removed, disabled by a 410), event/zone filters compiled once.
import { readFileSync, existsSync } from 'node:fs'
import type { WebhookConfig } from '../config/schema.js'
import type { WebhookSecretSource } from '../config/resolve.js'
import { HexpatrolError } from '../errors.js'
import { writePrivateFileAtomic } from '../private-files.js'
import { eventZone, type OutboundEvent } from './outbound-event.js'
import { Signer } from './signing.js'
import { webhookProblem, type WebhookRules } from './webhook-validator.js'

/**
 * `*` matches any run of characters (dots included): `radius_breach.*`, `*.opened`, `*`. Matched
 * without backtracking: the literal pieces between stars are found left to right (the leftmost
 * match is always a safe choice), so a pattern of many stars costs O(pattern × type), never more.
 */
export function globMatcher(patterns: readonly string[]): (type: string) => boolean {
  const compiled = patterns.map((p) => p.split('*'))
  return (type) => compiled.some((pieces) => globTest(pieces, type))
}

function globTest(pieces: readonly string[], s: string): boolean {
  if (pieces.length === 1) return s === pieces[0]
  const first = pieces[0]!
  const last = pieces[pieces.length - 1]!
  if (s.length < first.length + last.length || !s.startsWith(first) || !s.endsWith(last)) return false
  const end = s.length - last.length
  let pos = first.length
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i]!
    if (piece === '') continue
    const at = s.indexOf(piece, pos)
    if (at < 0 || at + piece.length > end) return false
    pos = at + piece.length
  }
  return true
}

/**
 * A secret from `secret` (string, or [old, new] during rotation) or `secret_env`, read through the
 * config module's source (the variable may hold two secrets separated by a space or comma).
 */
export function resolveSecrets(cfg: WebhookConfig, secrets: WebhookSecretSource): string[] {
  if (cfg.secret !== undefined) return Array.isArray(cfg.secret) ? [...cfg.secret] : [cfg.secret]
  return cfg.secret_env === undefined ? [] : secrets(cfg.id, cfg.secret_env)
}

export interface Subscription {
  cfg: WebhookConfig
  source: 'config' | 'api'
  signer: Signer
  matchType: (type: string) => boolean
  /** null: every event; otherwise only events whose zoneId is listed. */
  zones: ReadonlySet<string> | null
  enabled: boolean
  disabledReason: string | null
  disabledAt: number | null
  delivered: number
  failed: number
  lastStatus: number | null
  lastError: string | null
}

/** Whether the subscription wants this event (type globs, then the zone filter). */
export function wants(sub: Pick<Subscription, 'matchType' | 'zones'>, event: OutboundEvent): boolean {
  if (!sub.matchType(event.type)) return false
  if (sub.zones === null) return true
  const zone = eventZone(event)
  return zone !== undefined && sub.zones.has(zone)
}

interface Persisted {
  v: 1
  added: WebhookConfig[]
  removed: string[]
  disabled: Record<string, { reason: string; at: number }>
}

export class SubscriptionStore {
  private readonly subs = new Map<string, Subscription>()
  private state: Persisted = { v: 1, added: [], removed: [], disabled: {} }
  /** Persisted API additions that no longer pass validation (e.g. a secret_env outside the prefix): not loaded. */
  readonly skipped: Array<{ id: string; reason: string }> = []

  constructor(
    private readonly file: string,
    configured: readonly WebhookConfig[],
    private readonly secrets: WebhookSecretSource,
    rules: WebhookRules,
  ) {
    if (existsSync(file)) {
      try {
        const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<Persisted>
        this.state = { v: 1, added: s.added ?? [], removed: s.removed ?? [], disabled: s.disabled ?? {} }
      } catch (err) {
        throw new HexpatrolError('HEXP_ERR_CONFIG', `${file} is not valid JSON (${(err as Error).message}); fix or delete it to restore the config file's webhooks`)
      }
    }
    const removed = new Set(this.state.removed)
    for (const cfg of configured) if (!removed.has(cfg.id)) this.subs.set(cfg.id, this.build(cfg, 'config'))
    // API additions win over a config entry of the same id (the admin changed it later).
    for (const cfg of this.state.added) {
      const problem = webhookProblem(cfg, rules)
      if (problem !== null) {
        this.skipped.push({ id: String(cfg.id).slice(0, 64), reason: `${problem.key}: ${problem.message}` })
        continue
      }
      this.subs.set(cfg.id, this.build(cfg, 'api'))
    }
    for (const [id, d] of Object.entries(this.state.disabled)) {
      const sub = this.subs.get(id)
      if (sub) Object.assign(sub, { enabled: false, disabledReason: d.reason, disabledAt: d.at })
    }
  }

  private build(cfg: WebhookConfig, source: Subscription['source']): Subscription {
    return {
      cfg,
      source,
      signer: new Signer(resolveSecrets(cfg, this.secrets)),
      matchType: globMatcher(cfg.events),
      zones: cfg.zones === undefined || cfg.zones.length === 0 ? null : new Set(cfg.zones),
      enabled: true,
      disabledReason: null,
      disabledAt: null,
      delivered: 0,
      failed: 0,
      lastStatus: null,
      lastError: null,
    }
  }

  all(): IterableIterator<Subscription> {
    return this.subs.values()
  }

  get(id: string): Subscription | undefined {
    return this.subs.get(id)
  }

  /**
   * Adds (or replaces) a validated subscription and persists it. A secret_env naming a variable the
   * engine does not have is the client's mistake (HEXP_ERR_BAD_REQUEST), not a broken config.
   */
  add(cfg: WebhookConfig): Subscription {
    let sub: Subscription
    try {
      sub = this.build(cfg, 'api')
    } catch (err) {
      if (err instanceof HexpatrolError && err.code === 'HEXP_ERR_CONFIG') throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', `secret_env: the engine has no environment variable ${cfg.secret_env}; set it and restart, or send the secret itself`)
      throw err
    }
    this.subs.set(cfg.id, sub)
    this.state.added = [...this.state.added.filter((c) => c.id !== cfg.id), cfg]
    this.state.removed = this.state.removed.filter((id) => id !== cfg.id)
    delete this.state.disabled[cfg.id]
    this.persist()
    return sub
  }

  remove(id: string): Subscription | undefined {
    const sub = this.subs.get(id)
    if (!sub) return undefined
    this.subs.delete(id)
    this.state.added = this.state.added.filter((c) => c.id !== id)
    // A config-file subscription stays removed until re-added (also remove it from the file).
    if (sub.source === 'config') this.state.removed.push(id)
    delete this.state.disabled[id]
    this.persist()
    return sub
  }

  disable(sub: Subscription, reason: string, at: number): void {
    Object.assign(sub, { enabled: false, disabledReason: reason, disabledAt: at })
    this.state.disabled[sub.cfg.id] = { reason, at }
    this.persist()
  }

  enable(sub: Subscription): void {
    Object.assign(sub, { enabled: true, disabledReason: null, disabledAt: null })
    delete this.state.disabled[sub.cfg.id]
    this.persist()
  }

  /** Holds secrets of API-added subscriptions: written 0600, atomically. */
  private persist(): void {
    writePrivateFileAtomic(this.file, JSON.stringify(this.state, null, 2))
  }
}
