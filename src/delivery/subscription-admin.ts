// Webhook subscription administration for the admin API: list (secrets masked), add or replace
// (validated exactly like the config file), remove, re-enable. The delivery loop is reached only
// through DeliveryControl, so administration never touches its queues or timers directly.
import type { Logger } from 'pino'
import type { WebhookConfig } from '../config/schema.js'
import type { DeadLetters } from './dead-letters.js'
import type { Subscription, SubscriptionStore } from './subscriptions.js'
import { redactUrl } from '../telemetry/redact.js'
import { parseWebhook, type WebhookRules } from './webhook-validator.js'

export interface SubscriptionView {
  id: string
  /** Secrets (user info, query values, token-like path segments) masked. */
  url: string
  events: string[]
  zones: string[] | null
  format: WebhookConfig['format']
  maxConcurrency: number
  source: 'config' | 'api'
  signed: boolean
  enabled: boolean
  disabledReason: string | null
  disabledAt: number | null
  pending: number
  inFlight: number
  /** Since start-up. */
  delivered: number
  failed: number
  /** Dead letters held now. */
  dead: number
  lastStatus: number | null
  lastError: string | null
}

/** What administration may ask of the delivery loop. */
export interface DeliveryControl {
  /** Stops the subscription's timer, drops its queued deliveries (outbox files too); returns how many. */
  dropPending(id: string): number
  /** Every queued delivery of the subscription becomes due now, with a fresh horizon. */
  dueNow(id: string): void
  /** Closes pooled connections (the URL or concurrency may have changed). */
  resetConnections(id: string): void
  /** Starts what is due. */
  resume(id: string): void
  queueStats(id: string): { pending: number; inFlight: number }
}

export function warnUnsigned(log: Logger, sub: Subscription): void {
  if (sub.signer.empty && sub.cfg.format === 'standard') {
    log.warn({ subscription: sub.cfg.id }, 'Webhook subscription has no secret: its deliveries are not signed. Set secret or secret_env.')
  }
}

export class SubscriptionAdmin {
  constructor(
    private readonly store: SubscriptionStore,
    private readonly rules: WebhookRules,
    private readonly control: DeliveryControl,
    private readonly dead: DeadLetters,
    private readonly log: Logger,
  ) {}

  views(): SubscriptionView[] {
    const deadBy = this.dead.countBySubscription()
    return [...this.store.all()].map((s) => {
      const q = this.control.queueStats(s.cfg.id)
      return {
        id: s.cfg.id,
        url: redactUrl(s.cfg.url),
        events: [...s.cfg.events],
        zones: s.cfg.zones === undefined ? null : [...s.cfg.zones],
        format: s.cfg.format,
        maxConcurrency: s.cfg.max_concurrency,
        source: s.source,
        signed: !s.signer.empty,
        enabled: s.enabled,
        disabledReason: s.disabledReason,
        disabledAt: s.disabledAt,
        pending: q.pending,
        inFlight: q.inFlight,
        delivered: s.delivered,
        failed: s.failed,
        dead: deadBy.get(s.cfg.id) ?? 0,
        lastStatus: s.lastStatus,
        lastError: s.lastError,
      }
    })
  }

  /** An admin-supplied subscription, validated exactly as the config file's are (webhook-validator). */
  validate(raw: unknown): WebhookConfig {
    return parseWebhook(raw, this.rules)
  }

  /** Adds, or replaces the one with the same id (its pending deliveries continue to the new settings). Throws HexpatrolError. */
  add(raw: unknown): void {
    const valid = this.validate(raw)
    this.control.resetConnections(valid.id)
    const sub = this.store.add(valid)
    warnUnsigned(this.log, sub)
    this.log.info({ subscription: valid.id, url: redactUrl(valid.url) }, 'Webhook subscription added.')
    this.control.resume(valid.id)
  }

  /** Removes a subscription and drops its pending deliveries (its dead letters stay visible). */
  remove(id: string): boolean {
    if (this.store.remove(id) === undefined) return false
    const dropped = this.control.dropPending(id)
    this.control.resetConnections(id)
    this.log.warn({ subscription: id, dropped }, 'Webhook subscription removed; its pending deliveries were dropped.')
    return true
  }

  /** Re-enables a disabled subscription; its queued deliveries are due now, with a fresh horizon. */
  enable(id: string): boolean {
    const sub = this.store.get(id)
    if (sub === undefined) return false
    if (sub.enabled) return true
    this.store.enable(sub)
    this.control.dueNow(id)
    this.log.info({ subscription: id }, 'Webhook subscription re-enabled.')
    this.control.resume(id)
    return true
  }
}
