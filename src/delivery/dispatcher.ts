// The webhook delivery loop: delivers outbound events (alerts and others) at least once: publish() only writes the durable
// outbox (the pipeline never waits on a receiver); per subscription, due deliveries are attempted
// up to max_concurrency at a time, one subject's events strictly in order, retried per the schedule
// until the horizon, then dead-lettered. 410 disables a subscription; its deliveries stay queued.
// Dead letters (dead-letters.ts) and subscription administration (subscription-admin.ts) live apart.
import { EventEmitter } from 'node:events'
import http from 'node:http'
import https from 'node:https'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { Registry } from 'prom-client'
import type { Logger } from 'pino'
import type { Config, WebhookConfig } from '../config/schema.js'
import type { AlertEvent } from '../rules/alert-event.js'
import { Outbox, type DeliveryRecord } from './outbox.js'
import { DeliveryQueue } from './delivery-queue.js'
import { SubscriptionStore, wants, type Subscription } from './subscriptions.js'
import { redactUrl } from '../telemetry/redact.js'
import type { WebhookRules } from './webhook-validator.js'
import { DeadLetters, type DeadLetterView } from './dead-letters.js'
import { SubscriptionAdmin, warnUnsigned, type DeliveryControl, type SubscriptionView } from './subscription-admin.js'
import { webhookSecretSource, type WebhookSecretSource } from '../config/resolve.js'
import { AllowList, guardedLookup } from './ssrf.js'
import { renderEvent } from './event-formats.js'
import type { ChatTexts } from '../i18n/chat-texts.js'
import { alertToOutbound, type OutboundEvent } from './outbound-event.js'
import { webhookHeaders } from './signing.js'
import { sendOnce, type SendResult } from './http-sender.js'
import { firstDelay, nextAttempt, parseRetryAfter, type RetryPolicy } from './retry-policy.js'
import { createWebhookMetrics, type WebhookMetrics } from './webhook-metrics.js'
import { webhookEvents, type WebhookEvents } from './telemetry.js'

export interface DispatcherOptions {
  /** Directory owned by the dispatcher (the data dir): `outbox/`, `outbox/dead/`, `subscriptions.json`. */
  dir: string
  webhooks: readonly WebhookConfig[]
  delivery: Config['delivery']
  logger: Logger
  registry?: Registry
  now?: () => number
  random?: () => number
  /** Reads the secret_env of subscriptions added through the API (default: the process environment, through the config module). */
  webhookSecrets?: WebhookSecretSource
  version?: string
  /** The chat formats' words and times (config locale, reports.timezone); default English, UTC. */
  chatTexts?: ChatTexts
}

export type { DeadLetterView } from './dead-letters.js'
export type { SubscriptionView } from './subscription-admin.js'

export interface DeliveredInfo { subscriptionId: string; deliveryId: string; eventId: string; webhookId: string; attempts: number; status: number; latencyMs: number }
export interface FailedInfo { subscriptionId: string; deliveryId: string; eventId: string; webhookId: string; attempts: number; status: number | null; error: string; nextAttemptAt: number }
export interface DeadInfo { subscriptionId: string; deliveryId: string; eventId: string; webhookId: string; attempts: number; status: number | null; error: string }
export interface DisabledInfo { subscriptionId: string; status: number; reason: string }

/** Timers cannot wait longer than this (Node clamps larger delays to 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1

/** Stable per event: the receiver's idempotency key, the same on every retry, restart and replay. */
export function webhookIdFor(eventId: string): string {
  return /^[A-Za-z0-9_.:-]{1,200}$/.test(eventId) ? `msg_${eventId}` : `msg_${createHash('sha256').update(eventId).digest('hex').slice(0, 32)}`
}

export class Dispatcher extends EventEmitter {
  private readonly log: Logger
  private readonly now: () => number
  private readonly version: string
  private readonly chatTexts: ChatTexts | undefined
  private readonly timeoutMs: number
  private readonly policy: RetryPolicy
  private readonly allow: AllowList
  private readonly rules: WebhookRules
  private readonly lookup: ReturnType<typeof guardedLookup>
  private readonly outbox: Outbox
  private readonly store: SubscriptionStore
  private readonly metrics: WebhookMetrics
  /** Outcomes: each one call that logs and counts (telemetry.ts). */
  private readonly events: WebhookEvents
  private readonly queues = new Map<string, DeliveryQueue>()
  /** Pending deliveries by deliveryId (also how an in-flight attempt knows it was not dropped meanwhile). */
  private readonly pending = new Map<string, DeliveryRecord>()
  private readonly keys = new Set<string>()
  private readonly dead: DeadLetters
  private readonly admin: SubscriptionAdmin
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly agents = new Map<string, { http: http.Agent; https: https.Agent }>()
  private readonly inflight = new Set<Promise<void>>()
  private running = false

  constructor(opts: DispatcherOptions) {
    super()
    this.log = opts.logger
    this.now = opts.now ?? Date.now
    this.version = opts.version ?? '0.0.0'
    this.chatTexts = opts.chatTexts
    this.timeoutMs = opts.delivery.timeout
    this.policy = { schedule: opts.delivery.schedule, horizonMs: opts.delivery.horizon, random: opts.random ?? Math.random }
    this.allow = new AllowList(opts.delivery.allow_private_networks)
    this.lookup = guardedLookup(this.allow)
    this.rules = { secretEnvPrefix: opts.delivery.secret_env_prefix, allow: this.allow }
    this.store = new SubscriptionStore(join(opts.dir, 'subscriptions.json'), opts.webhooks, opts.webhookSecrets ?? webhookSecretSource(), this.rules)
    for (const s of this.store.skipped) this.log.error(s, 'A webhook subscription added through the API no longer passes validation; it is not loaded. Add it again with valid settings.')
    this.outbox = new Outbox(opts.dir, this.now())
    this.dead = new DeadLetters(this.outbox)
    this.admin = new SubscriptionAdmin(this.store, this.rules, this.control(), this.dead, this.log)
    this.metrics = createWebhookMetrics(opts.registry ?? new Registry(), { depth: () => this.depth(), deadLetters: () => this.dead.size })
    this.events = webhookEvents(this.log, this.metrics)
    for (const sub of this.store.all()) warnUnsigned(this.log, sub)

    const loaded = this.outbox.load()
    for (const file of loaded.corrupt) this.log.error({ file }, 'An unreadable webhook outbox file was set aside as *.corrupt; its delivery cannot be resumed.')
    for (const rec of loaded.dead) this.dead.add(rec)
    let orphans = 0
    for (const rec of loaded.pending) {
      if (this.store.get(rec.subscriptionId) === undefined) {
        // Never drop silently: the subscription is gone from the config, so park it as a dead letter.
        this.dead.burySync(rec, this.now(), `subscription ${rec.subscriptionId} is no longer configured`)
        orphans++
        continue
      }
      this.enqueue(rec)
    }
    if (orphans > 0) this.log.warn({ deliveries: orphans }, 'Pending webhook deliveries for subscriptions no longer configured were moved to the dead letters.')
    if (loaded.pending.length > 0) this.log.info({ deliveries: this.pending.size }, 'Resuming pending webhook deliveries from the outbox.')
  }

  private queue(id: string): DeliveryQueue {
    let q = this.queues.get(id)
    if (q === undefined) this.queues.set(id, (q = new DeliveryQueue()))
    return q
  }

  private enqueue(rec: DeliveryRecord): void {
    this.pending.set(rec.deliveryId, rec)
    this.keys.add(`${rec.subscriptionId}\n${rec.webhookId}`)
    this.queue(rec.subscriptionId).add(rec)
  }

  private forget(rec: DeliveryRecord): void {
    this.pending.delete(rec.deliveryId)
    this.keys.delete(`${rec.subscriptionId}\n${rec.webhookId}`)
  }

  start(): void {
    if (this.running) return
    this.running = true
    for (const id of this.queues.keys()) this.pump(id)
  }

  /** Stops timers and waits for in-flight attempts (each bounded by the timeout); pending deliveries stay in the outbox. */
  async stop(): Promise<void> {
    this.running = false
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
    await Promise.allSettled([...this.inflight])
    for (const a of this.agents.values()) {
      a.http.destroy()
      a.https.destroy()
    }
    this.agents.clear()
  }

  /** An alert transition: publishEvent of its outbound form (tests, benches; the engine goes through publish.ts). */
  publish(alert: AlertEvent): number {
    return this.publishEvent(alertToOutbound(alert))
  }

  /**
   * Durably enqueues the event for every matching enabled subscription; returns how many. Never
   * throws: a subscription whose delivery cannot be written is logged, counted and skipped, so one
   * bad subscription (or a full disk) never takes the rule tick, and with it the engine, down.
   */
  publishEvent(event: OutboundEvent): number {
    try {
      return this.enqueueEvent(event)
    } catch (err) {
      this.internalError(err, null, 'An event could not be queued for webhook delivery; it is skipped.')
      return 0
    }
  }

  private enqueueEvent(event: OutboundEvent): number {
    const webhookId = webhookIdFor(event.id)
    const now = this.now()
    const recs: DeliveryRecord[] = []
    for (const sub of this.store.all()) {
      // A replayed event already pending for this subscription is not queued twice.
      if (!sub.enabled || !wants(sub, event) || this.keys.has(`${sub.cfg.id}\n${webhookId}`)) continue
      const seq = this.outbox.nextSeq()
      recs.push({
        v: 2, deliveryId: Outbox.deliveryId(seq, sub.cfg.id), seq, subscriptionId: sub.cfg.id, webhookId, subject: event.subject, event,
        enqueuedAt: now, attempts: 0, firstAttemptAt: null, nextAttemptAt: now + firstDelay(this.policy),
      })
    }
    let written = recs
    try {
      this.outbox.addSync(recs)
    } catch {
      // Find which subscriptions fail and keep the others (one directory fsync each: the slow path).
      written = recs.filter((rec) => {
        try {
          this.outbox.addSync([rec])
          return true
        } catch (err) {
          this.internalError(err, rec.subscriptionId, 'A webhook delivery could not be written to the outbox; this subscription misses the event.')
          return false
        }
      })
    }
    for (const rec of written) this.enqueue(rec)
    for (const rec of written) this.safePump(rec.subscriptionId)
    return written.length
  }

  /** Logged with the stack and counted (hexpatrol_webhook_internal_errors_total), never thrown. */
  private internalError(err: unknown, subscription: string | null, msg: string): void {
    this.events.internalError({ subscription: subscription ?? '' }, { err }, msg)
  }

  /** pump() from a timer or a settled attempt: an exception there would be uncaught and fatal. */
  private safePump(id: string): void {
    try {
      this.pump(id)
    } catch (err) {
      this.internalError(err, id, 'Webhook delivery scheduling failed for this subscription; it is skipped until its next event.')
    }
  }

  private pump(id: string): void {
    const sub = this.store.get(id)
    const q = this.queues.get(id)
    if (!this.running || sub === undefined || !sub.enabled || q === undefined) return
    const old = this.timers.get(id)
    if (old !== undefined) clearTimeout(old)
    this.timers.delete(id)
    while (q.active < sub.cfg.max_concurrency) {
      const next = q.take(this.now())
      if (next === null) return
      if ('wakeAt' in next) {
        const timer = setTimeout(() => {
          this.timers.delete(id)
          this.safePump(id)
        }, Math.min(MAX_TIMER_MS, Math.max(0, next.wakeAt - this.now())))
        timer.unref()
        this.timers.set(id, timer)
        return
      }
      const p = this.attempt(sub, q, next.rec).finally(() => {
        this.inflight.delete(p)
        this.safePump(id)
      })
      this.inflight.add(p)
    }
  }

  private agent(sub: Subscription, https_: boolean): http.Agent {
    let a = this.agents.get(sub.cfg.id)
    if (a === undefined) {
      const o = { keepAlive: true, maxSockets: sub.cfg.max_concurrency }
      this.agents.set(sub.cfg.id, (a = { http: new http.Agent(o), https: new https.Agent(o) }))
    }
    return https_ ? a.https : a.http
  }

  private async attempt(sub: Subscription, q: DeliveryQueue, rec: DeliveryRecord): Promise<void> {
    const id = sub.cfg.id
    const start = this.now()
    const first = (rec.firstAttemptAt ??= start)
    rec.attempts++
    this.metrics.attempts.inc({ subscription: id })
    let result: SendResult
    try {
      const r = renderEvent(sub.cfg.format, rec.event, { url: sub.cfg.url, dingtalkSecret: sub.cfg.dingtalk_secret, now: start, ...(this.chatTexts === undefined ? {} : { texts: this.chatTexts }) })
      const url = r.urlOverride ?? sub.cfg.url
      const headers = { ...webhookHeaders(sub.signer, rec.webhookId, Math.floor(start / 1000), r.body, this.version), ...r.headers }
      result = await sendOnce({ url, headers, body: r.body, timeoutMs: this.timeoutMs, allow: this.allow, lookup: this.lookup, agent: this.agent(sub, url.startsWith('https:')) })
    } catch (err) {
      // e.g. a record whose event cannot be rendered: it fails (and dead-letters) like any other attempt.
      result = { ok: false, error: (err as Error).message }
    }
    const end = this.now()
    if (this.pending.get(rec.deliveryId) !== rec) return // removed while in flight
    try {
      if (result.ok) await this.onDelivered(sub, q, rec, result.status, end)
      else if (result.status === 410) await this.onGone(sub, q, rec, end)
      else await this.onFailed(sub, q, rec, result, first, end)
    } catch (err) {
      this.log.error({ err, subscription: id, deliveryId: rec.deliveryId }, 'Writing the webhook outbox failed; the delivery stays queued in memory.')
      q.release(rec)
    }
  }

  private async onDelivered(sub: Subscription, q: DeliveryQueue, rec: DeliveryRecord, status: number, end: number): Promise<void> {
    q.finish(rec)
    this.forget(rec)
    Object.assign(sub, { lastStatus: status, lastError: null })
    sub.delivered++
    const latencyMs = end - rec.event.at
    this.metrics.latency.observe(Math.max(0, latencyMs) / 1000)
    this.events.delivered({ subscription: sub.cfg.id }, { webhookId: rec.webhookId, attempts: rec.attempts, status, latencyMs })
    this.emit('delivered', { subscriptionId: sub.cfg.id, deliveryId: rec.deliveryId, eventId: rec.event.id, webhookId: rec.webhookId, attempts: rec.attempts, status, latencyMs } satisfies DeliveredInfo)
    await this.outbox.remove(rec)
  }

  private async onGone(sub: Subscription, q: DeliveryQueue, rec: DeliveryRecord, end: number): Promise<void> {
    Object.assign(rec, { lastStatus: 410, lastError: 'HTTP 410 Gone', nextAttemptAt: end })
    Object.assign(sub, { lastStatus: 410, lastError: 'HTTP 410 Gone' })
    await this.persist(rec)
    q.release(rec)
    if (!sub.enabled) return
    const reason = `receiver answered 410 Gone at ${new Date(end).toISOString()}; re-enable after fixing the receiver`
    this.store.disable(sub, reason, end)
    this.events.disabled({ subscription: sub.cfg.id }, { url: redactUrl(sub.cfg.url), pending: q.size })
    this.emit('disabled', { subscriptionId: sub.cfg.id, status: 410, reason } satisfies DisabledInfo)
  }

  private async onFailed(sub: Subscription, q: DeliveryQueue, rec: DeliveryRecord, result: Extract<SendResult, { ok: false }>, first: number, end: number): Promise<void> {
    const status = result.status ?? null
    const error = result.error
    Object.assign(rec, { lastStatus: status ?? undefined, lastError: error })
    Object.assign(sub, { lastStatus: status, lastError: error })
    sub.failed++
    const retryAfter = status === 429 || status === 503 ? parseRetryAfter(result.retryAfter, end) : null
    const step = nextAttempt(this.policy, rec.attempts, first, end, retryAfter)
    const info = { subscriptionId: sub.cfg.id, deliveryId: rec.deliveryId, eventId: rec.event.id, webhookId: rec.webhookId, attempts: rec.attempts, status, error }
    const labels = { subscription: sub.cfg.id }
    if ('dead' in step) {
      rec.deadAt = end
      q.finish(rec)
      this.forget(rec)
      await this.outbox.bury(rec)
      this.dead.add(rec)
      this.events.deadLettered(labels, { ...info, type: rec.event.type, subject: rec.subject })
      this.emit('dead', info satisfies DeadInfo)
      return
    }
    rec.nextAttemptAt = step.retryAt
    await this.persist(rec)
    q.release(rec)
    const retry = result.refused === true ? this.events.refused : this.events.retrying
    retry(labels, { ...info, nextAttemptAt: new Date(step.retryAt).toISOString() })
    this.emit('failed', { ...info, nextAttemptAt: step.retryAt } satisfies FailedInfo)
  }

  /** Writes the record unless it was dropped meanwhile (then the write is undone). */
  private async persist(rec: DeliveryRecord): Promise<void> {
    await this.outbox.update(rec)
    if (this.pending.get(rec.deliveryId) !== rec) this.outbox.removeSync(rec)
  }

  // Administration (admin API): see subscription-admin.ts and dead-letters.ts.

  subscriptions(): SubscriptionView[] {
    return this.admin.views()
  }

  /** Validates an admin-supplied subscription exactly as the config file's are (webhook-validator). */
  validateSubscription(raw: unknown): WebhookConfig {
    return this.admin.validate(raw)
  }

  /** Adds a subscription or replaces the one with the same id; throws HexpatrolError (HEXP_ERR_BAD_REQUEST, HEXP_ERR_WEBHOOK_DESTINATION). */
  addSubscription(cfg: unknown): void {
    this.admin.add(cfg)
  }

  removeSubscription(id: string): boolean {
    return this.admin.remove(id)
  }

  enableSubscription(id: string): boolean {
    return this.admin.enable(id)
  }

  deadLetters(): DeadLetterView[] {
    return this.dead.views()
  }

  /** Re-enqueues a dead letter (same webhook-id, fresh schedule and horizon). False if unknown or its subscription is gone. */
  retryDeadLetter(deliveryId: string): boolean {
    const rec = this.dead.revive(deliveryId, this.now(), (id) => this.store.get(id) !== undefined)
    if (rec === null) return false
    this.enqueue(rec)
    this.log.info({ subscription: rec.subscriptionId, deliveryId, webhookId: rec.webhookId }, 'Dead-lettered webhook delivery re-enqueued by an admin.')
    this.safePump(rec.subscriptionId)
    return true
  }

  /** The delivery loop as administration sees it. */
  private control(): DeliveryControl {
    return {
      dropPending: (id) => {
        const t = this.timers.get(id)
        if (t !== undefined) clearTimeout(t)
        this.timers.delete(id)
        const dropped = this.queues.get(id)?.drain() ?? []
        for (const rec of dropped) {
          this.forget(rec)
          this.outbox.removeSync(rec)
        }
        this.queues.delete(id)
        return dropped.length
      },
      dueNow: (id) => {
        const q = this.queues.get(id)
        if (q === undefined) return
        const now = this.now()
        for (const rec of q.all()) Object.assign(rec, { nextAttemptAt: now, firstAttemptAt: null })
        q.rebuild()
      },
      resetConnections: (id) => {
        const a = this.agents.get(id)
        a?.http.destroy()
        a?.https.destroy()
        this.agents.delete(id)
      },
      resume: (id) => this.safePump(id),
      queueStats: (id) => ({ pending: this.queues.get(id)?.size ?? 0, inFlight: this.queues.get(id)?.active ?? 0 }),
    }
  }

  /** Pending deliveries (in the outbox, not dead). */
  depth(): number {
    return this.pending.size
  }
}
