// The delivery stage's named telemetry events (telemetry/events.ts): every webhook outcome and
// every published alert transition is one call that logs and counts with the same labels. Metric
// names and labels are what the dashboards read: hexpatrol_webhook_deliveries_total{subscription,
// outcome}, hexpatrol_webhook_internal_errors_total{subscription}, hexpatrol_alert_transitions_total{kind,state}.
import type { Logger } from 'pino'
import type { AlertEvent } from '../rules/alert-event.js'
import type { Metrics } from '../telemetry/metrics.js'
import { telemetryEvent } from '../telemetry/events.js'
import type { OutboundEvent } from './outbound-event.js'
import type { WebhookMetrics } from './webhook-metrics.js'

/** The dispatcher's outcomes: each counts hexpatrol_webhook_deliveries_total{subscription, outcome} and logs it. */
export function webhookEvents(logger: Logger, m: Pick<WebhookMetrics, 'deliveries' | 'internalErrors'>) {
  const outcome = <O extends string>(outcome: O, level: 'debug' | 'warn' | 'error', message: string) =>
    telemetryEvent(logger, { counter: m.deliveries, level, message, fixed: { outcome } })
  return {
    /** A 2xx. */
    delivered: outcome('delivered', 'debug', 'Webhook delivered.'),
    /** A failed attempt (error, timeout, non-2xx) before the horizon. */
    retrying: outcome('failed', 'warn', 'Webhook attempt failed; it will be retried.'),
    /** A failed attempt the destination guard (ssrf.ts) refused before connecting; counted as failed. */
    refused: outcome('failed', 'warn', 'Webhook attempt refused by the destination guard (no connection was made); it will be retried. Correct the subscription URL, or allow its network in delivery.allow_private_networks.'),
    /** A failed attempt past the retry horizon. */
    deadLettered: outcome('dead', 'error', 'Webhook delivery dead-lettered: the retry horizon passed. Retry it from the admin API once the receiver works.'),
    /** 410 Gone: the subscription is disabled. */
    disabled: outcome('disabled', 'warn', 'Webhook subscription disabled: the receiver answered 410 Gone. Its deliveries stay in the outbox until it is re-enabled or removed.'),
    /** An internal error (outbox write, scheduling): skipped, never thrown; the message says what was skipped. */
    internalError: telemetryEvent(logger, { counter: m.internalErrors, level: 'error', message: 'Webhook delivery internal error.' }),
  }
}

export type WebhookEvents = ReturnType<typeof webhookEvents>

/**
 * Every event handed to publish(): an alert transition counts hexpatrol_alert_transitions_total
 * {kind, state} and logs its summary; any other event logs its summary (no counter of its own).
 */
export function publishedEvent(logger: Logger, metrics: Pick<Metrics, 'alertTransitions'>): (e: OutboundEvent, alert: AlertEvent | null) => void {
  const transition = telemetryEvent(logger, { counter: metrics.alertTransitions, level: 'info', message: 'Alert transition.' })
  return (e, alert) => {
    if (alert !== null) transition({ kind: alert.kind, state: alert.state }, { alert: alert.alertId, type: e.type, subject: e.subject }, e.summary)
    else logger.info({ event: e.id, type: e.type, subject: e.subject }, e.summary)
  }
}
