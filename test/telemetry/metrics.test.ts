// Lints the engine's Prometheus metrics the way Prometheus would: names and labels follow the
// naming practice (hexpatrol_ prefix, counters end in _total, no per-unit labels), promtool
// accepts the exposition, and the alerting rules shipped in docker/prometheus are valid and only
// use metrics that exist. promtool parts skip with a message when it is not installed.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Counter, Gauge, Histogram, Summary, type Metric } from 'prom-client'
import { parse as parseYaml } from 'yaml'
import { pino } from 'pino'
import { createMetrics } from '../../src/telemetry/metrics.js'
import { Dispatcher } from '../../src/delivery/dispatcher.js'
import { validateConfig } from '../../src/config/load.js'
import { tempDir } from '../helpers/harness.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const promDir = join(root, 'docker', 'prometheus')

/** A valid value for every label the engine uses; a new label must be added here on purpose. */
const SAMPLE_LABELS: Record<string, string> = {
  provider: 'amap',
  format: 'native',
  partition: '3',
  type: 'lwt',
  reason: 'invalid_json',
  table: 'positions',
  kind: 'retriable',
  state: 'opened',
  zone: 'grid-1',
  flag: 'duplicate',
  subscription: 'desk',
  outcome: 'delivered',
  transport: 'http',
  endpoint: 'osmand',
  status: '200',
  result: 'ok',
  msg_id: '0200',
}
/** Labels that would carry unbounded values (one series per unit or device). */
const FORBIDDEN_LABELS = ['unit', 'unit_id', 'unitid', 'device', 'device_id', 'client_id', 'topic', 'subject']

/**
 * prom-client's default Node.js collectors export three gauges whose upstream names end in
 * _total (nodejs_active_handles_total, …_requests_total, …_resources_total); createMetrics drops
 * them (their per-type gauges stay), so the full scrape passes promtool.
 */
const UPSTREAM_TOTAL_GAUGES = ['active_handles', 'active_requests', 'active_resources'].map((n) => `hexpatrol_process_nodejs_${n}_total`)

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).error === undefined
const noPromtool = 'promtool is not installed (Debian package prometheus; .ci/run installs it)'

/**
 * The registry as the engine builds it (createMetrics, then the dispatcher registers the webhook
 * metrics on it), and every metric on it that is ours: whatever a stage registers is linted.
 */
function build(defaults = true) {
  const m = createMetrics({ defaults })
  const delivery = validateConfig({}, undefined, {}).delivery
  void new Dispatcher({ dir: tempDir(), webhooks: [], delivery, logger: pino({ level: 'silent' }), registry: m.registry })
  const own = (m.registry.getMetricsAsArray() as unknown as Array<Metric<string> & { name: string }>).filter((x) => !x.name.startsWith('hexpatrol_process_'))
  return { m, own }
}

function labelNames(metric: Metric<string>): string[] {
  return [...((metric as unknown as { labelNames?: readonly string[] }).labelNames ?? [])]
}

/** Touches a metric once so it appears in the exposition with its labels. */
function touch(metric: Metric<string>): void {
  const labels = Object.fromEntries(labelNames(metric).map((l) => {
    const v = SAMPLE_LABELS[l]
    if (v === undefined) throw new Error(`no sample value for label "${l}": add one to SAMPLE_LABELS`)
    return [l, v]
  }))
  if (metric instanceof Counter) metric.inc(labels)
  else if (metric instanceof Gauge) metric.set(labels, 1)
  else if (metric instanceof Histogram) metric.observe(labels, 0.5)
  else if (metric instanceof Summary) metric.observe(labels, 0.5)
  else throw new Error('unknown metric class')
}

t.test('touch() handles every metric kind and refuses unknown labels', async (t) => {
  const r = createMetrics({ defaults: false }).registry
  const s = new Summary({ name: 'hexpatrol_test_summary_seconds', help: 'h', registers: [r] })
  touch(s)
  t.match(await r.metrics(), /hexpatrol_test_summary_seconds_count 1/)
  t.throws(() => touch(new Counter({ name: 'hexpatrol_x_total', help: 'h', labelNames: ['novel'], registers: [] })), /no sample value for label "novel"/)
  t.throws(() => touch({} as Metric<string>), /unknown metric class/)
})

t.test('names, types and labels follow Prometheus practice', async (t) => {
  const { m, own } = build()
  t.ok(own.length >= 30, `${own.length} engine metrics`)
  const ownNames = own.map((x) => x.name)
  for (const n of ['hexpatrol_webhook_deliveries_total', 'hexpatrol_webhook_delivery_latency_seconds', 'hexpatrol_webhook_outbox_depth', 'hexpatrol_webhook_dead_letters', 'hexpatrol_clickhouse_up']) {
    t.ok(ownNames.includes(n), `${n} is linted`)
  }
  for (const metric of own) touch(metric)
  const all = await m.registry.getMetricsAsJSON()
  const names = all.map((x) => x.name)
  t.equal(new Set(names).size, names.length, 'no duplicate names')
  for (const x of all) {
    t.match(x.name, /^hexpatrol_[a-z0-9_]+$/, `${x.name}: hexpatrol_ prefix, snake case`)
    t.ok(x.help.length > 0, `${x.name}: has help text`)
    const type = String(x.type)
    if (type === 'counter') t.match(x.name, /_total$/, `${x.name}: counters end in _total`)
    else t.notMatch(x.name, /_total$/, `${x.name}: only counters end in _total`)
    if (/seconds|bytes/.test(x.name)) t.match(x.name, /_(seconds|bytes)(_total)?$/, `${x.name}: the unit is the suffix`)
    t.notMatch(x.name, /_(milliseconds|ms|kilobytes|mb)(_|$)/, `${x.name}: base units only`)
    t.notOk(['summary'].includes(type), `${x.name}: histograms, not summaries, so instances aggregate`)
  }
  for (const metric of own) {
    const name = (metric as unknown as { name: string }).name
    for (const l of labelNames(metric)) {
      t.notOk(FORBIDDEN_LABELS.includes(l.toLowerCase()), `${name}: label ${l} is bounded`)
    }
  }
  // The values really carry the labels we set (the exposition is not empty for labelled metrics).
  const text = await m.registry.metrics()
  t.match(text, /hexpatrol_rejects_total\{reason="invalid_json"\} 1/)
  t.match(text, /hexpatrol_sink_insert_errors_total\{table="positions",kind="retriable"\} 1/)
})

t.test('promtool check metrics accepts the exposition', { skip: promtool ? false : noPromtool }, async (t) => {
  const { m, own } = build()
  for (const metric of own) touch(metric)
  const res = spawnSync('promtool', ['check', 'metrics'], { input: await m.registry.metrics(), encoding: 'utf8' })
  // promtool prints one complaint per line: "<metric> <problem>" and exits 3 when there are any.
  t.equal(`${res.stdout}${res.stderr}`.trim(), '', 'no complaints about the full scrape, process metrics included')
  t.equal(res.status, 0, 'promtool exit status 0 for the full scrape')
  const names = new Set((await m.registry.getMetricsAsJSON()).map((x) => x.name))
  for (const n of UPSTREAM_TOTAL_GAUGES) t.notOk(names.has(n), `${n} is not exported`)
  t.ok(names.has('hexpatrol_process_nodejs_active_handles'), 'the per-type gauge stays')

  // The engine's own metrics alone (no default process collectors): promtool is fully clean.
  const bare = build(false)
  t.same(bare.own.map((x) => x.name).sort(), own.map((x) => x.name).sort(), 'the same metrics, webhook ones included')
  for (const metric of bare.own) touch(metric)
  const clean = spawnSync('promtool', ['check', 'metrics'], { input: await bare.m.registry.metrics(), encoding: 'utf8' })
  t.equal(`${clean.stdout}${clean.stderr}`.trim(), '', 'no complaints about engine metrics')
  t.equal(clean.status, 0, 'promtool exit status 0 for the engine metrics')
})

t.test('docker/prometheus: alerting rules are complete and use real metrics', async (t) => {
  const { m } = build()
  const names = new Set((await m.registry.getMetricsAsJSON()).map((x) => x.name))
  const rules = parseYaml(readFileSync(join(promDir, 'alerts.yml'), 'utf8')) as { groups: Array<{ name: string; rules: Array<{ alert?: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }> }> }
  const all = rules.groups.flatMap((g) => g.rules)
  const alerts = all.map((r) => r.alert)
  for (const a of ['HexpatrolJournalFull', 'HexpatrolClickHouseDown', 'HexpatrolMqttDisconnected', 'HexpatrolRejectRateHigh', 'HexpatrolEndToEndLagHigh', 'HexpatrolMemoryHigh']) {
    t.ok(alerts.includes(a), `rule ${a}`)
  }
  for (const r of all) {
    t.ok(r.labels?.severity, `${r.alert}: has a severity`)
    t.ok(r.annotations?.summary && r.annotations.description, `${r.alert}: has a summary and a description`)
    for (const used of r.expr.match(/hexpatrol_[a-z0-9_]+/g) ?? []) {
      t.ok(names.has(used.replace(/_(bucket|sum|count)$/, '')), `${r.alert}: ${used} is exported by the engine`)
    }
  }
  t.match(all.find((r) => r.alert === 'HexpatrolEndToEndLagHigh')?.expr, /histogram_quantile\(0\.99,[\s\S]*hexpatrol_end_to_end_lag_seconds_bucket[\s\S]*> 60/)
})

t.test('promtool check rules / check config accept docker/prometheus', { skip: promtool ? false : noPromtool }, async (t) => {
  const rules = parseYaml(readFileSync(join(promDir, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: unknown[] }> }
  const all = rules.groups.flatMap((g) => g.rules)
  const res = spawnSync('promtool', ['check', 'rules', join(promDir, 'alerts.yml')], { encoding: 'utf8' })
  t.equal(res.status, 0, `promtool check rules: ${res.stdout}${res.stderr}`)
  t.match(res.stdout, new RegExp(`SUCCESS: ${all.length} rules found`))
  // rule_files point at the container path; --syntax-only checks the rest without resolving it.
  const cfg = spawnSync('promtool', ['check', 'config', '--syntax-only', join(promDir, 'prometheus.yml')], { encoding: 'utf8' })
  t.equal(cfg.status, 0, `promtool check config: ${cfg.stdout}${cfg.stderr}`)
})
