// The delivery stage's named events keep the dashboards' metric names and labels, and each log
// line carries the labels it counted.
import t from 'tap'
import { Registry } from 'prom-client'
import { webhookEvents, publishedEvent } from '../../src/delivery/telemetry.js'
import { createWebhookMetrics } from '../../src/delivery/webhook-metrics.js'
import { alertToOutbound } from '../../src/delivery/outbound-event.js'
import { createMetrics } from '../../src/telemetry/metrics.js'
import { captureLogger } from '../helpers/harness.js'
import { makeEvent } from './fixtures/alerts.js'

async function values(registry: Registry, name: string) {
  return (await registry.getSingleMetric(name)!.get()).values.map((v) => [v.labels, v.value])
}

t.test('webhook outcomes: hexpatrol_webhook_deliveries_total{subscription, outcome} and their log lines', async (t) => {
  const registry = new Registry()
  const { logger, logs } = captureLogger('debug')
  const ev = webhookEvents(logger, createWebhookMetrics(registry, { depth: () => 0, deadLetters: () => 0 }))
  ev.delivered({ subscription: 's' }, { status: 204 })
  ev.retrying({ subscription: 's' }, { error: 'HTTP 500' })
  ev.refused({ subscription: 's' }, { error: 'webhook destination 10.1.2.3 refused' })
  ev.deadLettered({ subscription: 's' })
  ev.disabled({ subscription: 's' })
  ev.internalError({ subscription: '' }, { err: new Error('disk full') }, 'An event could not be queued for webhook delivery; it is skipped.')
  t.same(await values(registry, 'hexpatrol_webhook_deliveries_total'), [
    [{ subscription: 's', outcome: 'delivered' }, 1],
    [{ subscription: 's', outcome: 'failed' }, 2],
    [{ subscription: 's', outcome: 'dead' }, 1],
    [{ subscription: 's', outcome: 'disabled' }, 1],
  ], 'a refusal by the destination guard counts as failed, as before')
  t.same(await values(registry, 'hexpatrol_webhook_internal_errors_total'), [[{ subscription: '' }, 1]])
  t.match(logs, [
    { level: 20, subscription: 's', outcome: 'delivered', status: 204, msg: 'Webhook delivered.' },
    { level: 40, outcome: 'failed', msg: /^Webhook attempt failed; it will be retried\.$/ },
    { level: 40, outcome: 'failed', msg: /refused by the destination guard.*allow_private_networks/ },
    { level: 50, outcome: 'dead', msg: /dead-lettered/ },
    { level: 40, outcome: 'disabled', msg: /410 Gone/ },
    { level: 50, subscription: '', err: { message: 'disk full' }, msg: /could not be queued/ },
  ])
})

t.test('published events: an alert transition counts hexpatrol_alert_transitions_total{kind, state}', async (t) => {
  const metrics = createMetrics({ defaults: false })
  const { logger, logs } = captureLogger()
  const published = publishedEvent(logger, metrics)
  const a = makeEvent('unit_sos', 'opened')
  published(alertToOutbound(a), a)
  published({ id: 'e1', type: 'plan.activated', at: 0, subject: 'plan:p1', summary: 'Plan p1 activated', data: {} }, null)
  t.same(await values(metrics.registry, 'hexpatrol_alert_transitions_total'), [[{ kind: 'unit_sos', state: 'opened' }, 1]])
  t.match(logs, [
    { kind: 'unit_sos', state: 'opened', alert: a.alertId, type: 'unit_sos.opened', subject: a.subject, msg: a.summary },
    { event: 'e1', type: 'plan.activated', subject: 'plan:p1', msg: 'Plan p1 activated' },
  ])
  t.notOk('kind' in logs[1]!, 'another event has no alert labels')
})
