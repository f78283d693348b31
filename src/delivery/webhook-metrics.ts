// Webhook delivery metrics, registered on the engine's registry. Labels are subscription ids from
// the config/admin API (bounded) and a fixed outcome set; gauges are read from the dispatcher at scrape.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export type Outcome = 'delivered' | 'failed' | 'dead' | 'disabled'

export function createWebhookMetrics(registry: Registry, read: { depth: () => number; deadLetters: () => number }) {
  const registers = [registry]
  return {
    deliveries: new Counter({
      name: 'hexpatrol_webhook_deliveries_total',
      help: 'Webhook delivery attempts by result: delivered (2xx), failed (will retry), dead (horizon passed), disabled (410 Gone).',
      labelNames: ['subscription', 'outcome'] as const,
      registers,
    }),
    internalErrors: new Counter({
      name: 'hexpatrol_webhook_internal_errors_total',
      help: 'Webhook deliveries skipped because of an internal error (outbox write, scheduling); see the error log.',
      labelNames: ['subscription'] as const,
      registers,
    }),
    attempts: new Counter({ name: 'hexpatrol_webhook_attempts_total', help: 'Webhook HTTP attempts.', labelNames: ['subscription'] as const, registers }),
    latency: new Histogram({
      name: 'hexpatrol_webhook_delivery_latency_seconds',
      help: 'Time from the alert transition (event at) to the receiver\'s 2xx.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400],
      registers,
    }),
    depth: new Gauge({
      name: 'hexpatrol_webhook_outbox_depth',
      help: 'Webhook deliveries pending in the outbox.',
      registers,
      collect() {
        this.set(read.depth())
      },
    }),
    dead: new Gauge({
      name: 'hexpatrol_webhook_dead_letters',
      help: 'Webhook deliveries that passed the retry horizon and wait for an admin retry.',
      registers,
      collect() {
        this.set(read.deadLetters())
      },
    }),
  }
}

export type WebhookMetrics = ReturnType<typeof createWebhookMetrics>
