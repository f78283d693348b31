// Issue 9, rows 10–14: what a careless or hostile admin (or config file) could do to the engine.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { Dispatcher } from '../../src/delivery/dispatcher.js'
import { globMatcher, SubscriptionStore } from '../../src/delivery/subscriptions.js'
import { parseWebhook, webhookProblem, WEBHOOK_LIMITS } from '../../src/delivery/webhook-validator.js'
import { Outbox } from '../../src/delivery/outbox.js'
import { validateConfig } from '../../src/config/load.js'
import { webhookSecretSource } from '../../src/config/resolve.js'
import { ensurePrivateDir } from '../../src/private-files.js'
import { makeEvent, testConfig, tmpDir, captureLogger, SECRET, startReceiver, waitFor } from './fixtures/alerts.js'
import { makeDispatcher, metricValue } from './fixtures/dispatcher.js'
import { Registry } from 'prom-client'

const RULES = { secretEnvPrefix: 'HEXPATROL_WEBHOOK_SECRET_' }

t.test('row 10: a 300-character webhook id is refused by the config and the API alike', async (t) => {
  const long = 'w'.repeat(300)
  t.throws(() => testConfig([{ id: long, url: 'https://a.example/' }]), { code: 'HEXP_ERR_CONFIG', message: /webhooks\.w{64}\.id: must be 1–64 characters/ })
  t.throws(() => parseWebhook({ id: long, url: 'https://a.example/' }, RULES), { code: 'HEXP_ERR_BAD_REQUEST', message: /webhook\.id: must be 1–64/ })
  t.equal(parseWebhook({ id: 'w'.repeat(WEBHOOK_LIMITS.idLength), url: 'https://a.example/' }, RULES).id.length, 64)
  const { d } = makeDispatcher(tmpDir(), [])
  t.throws(() => d.addSubscription({ id: long, url: 'https://a.example/' }), { code: 'HEXP_ERR_BAD_REQUEST' })
  t.same(d.subscriptions(), [])
})

t.test('row 10: a subscription whose outbox file cannot be written is logged, counted and skipped; the others are served', async (t) => {
  const rx = await startReceiver()
  t.teardown(() => rx.close())
  const cfg = testConfig([{ id: 'good', url: rx.url, secret: SECRET }])
  const { logger, lines } = captureLogger()
  const registry = new Registry()
  // What an older version let in: the id alone is longer than a file name may be (ENAMETOOLONG).
  const bad = { ...cfg.webhooks[0]!, id: 'b'.repeat(300) }
  const d = new Dispatcher({ dir: tmpDir(), webhooks: [bad, cfg.webhooks[0]!], delivery: cfg.delivery, logger, registry })
  t.teardown(() => d.stop())
  d.start()
  let n = -1
  t.doesNotThrow(() => {
    n = d.publish(makeEvent('unit_silent', 'opened'))
  })
  t.equal(n, 1, 'the good subscription still gets the event')
  await waitFor(d, 'delivered')
  t.equal(await metricValue(registry, 'hexpatrol_webhook_internal_errors_total', { subscription: bad.id }), 1)
  const line = lines.find((l) => l.level === 50 && /could not be written/.test(String(l.msg)))
  t.match(line, { subscription: bad.id, err: { code: 'ENAMETOOLONG' } })
  // And again at the next event: never fatal.
  t.equal(d.publish(makeEvent('unit_silent', 'resolved')), 1)
})

t.test('row 10: nothing thrown out of publish, whatever the event', async (t) => {
  const { d, registry } = makeDispatcher(tmpDir(), [{ id: 'a', url: 'https://a.example/' }])
  t.equal(d.publishEvent(null as never), 0)
  t.equal(await metricValue(registry, 'hexpatrol_webhook_internal_errors_total', { subscription: '' }), 1)
})

t.test('row 10: a persisted API subscription that no longer validates is not loaded, and logged', async (t) => {
  const dir = tmpDir()
  const file = path.join(dir, 'subscriptions.json')
  fs.writeFileSync(file, JSON.stringify({ v: 1, added: [
    { id: 'x'.repeat(300), url: 'https://a.example/', events: ['*'], format: 'standard', max_concurrency: 1 },
    { id: 'ok', url: 'https://a.example/', events: ['*'], format: 'standard', max_concurrency: 1 },
  ], removed: [], disabled: {} }))
  const store = new SubscriptionStore(file, [], webhookSecretSource({}), RULES)
  t.same([...store.all()].map((s) => s.cfg.id), ['ok'])
  t.match(store.skipped, [{ id: 'x'.repeat(64), reason: /^id: must be/ }])
  const { lines } = makeDispatcher(dir, [])
  t.ok(lines.some((l) => l.level === 50 && l.id === 'x'.repeat(64) && /no longer passes validation/.test(String(l.msg))))
})

t.test('row 11: many-star patterns match in linear time, with glob semantics', async (t) => {
  const stars = `${'*'.repeat(60)}x`
  const m = globMatcher([stars, '*a*b*c*'])
  const start = process.hrtime.bigint()
  for (let i = 0; i < 1000; i++) m('radius_breach.opened.' + 'a'.repeat(200))
  // The regex this replaced needed 6.9 s for one call with 14 stars; 1000 calls with 60 here.
  t.ok(Number(process.hrtime.bigint() - start) / 1e9 < 5, 'no backtracking')
  t.ok(m('yyyx'))
  t.ok(m('xabc'))
  t.ok(m('abc'))
  t.notOk(m('acb'))
  const cases: Array<[string, string, boolean]> = [
    ['*', '', true], ['a*', 'a', true], ['*a', 'ba', true], ['*a', 'ab', false], ['a*a', 'a', false], ['a*a', 'aa', true],
    ['*.opened', 'zone_exit.opened', true], ['*.opened', 'zone_exit.resolved', false], ['radius_breach.*', 'radius_breach.opened', true],
    ['a**b', 'ab', true], ['*ab*ab*', 'abab', true], ['*ab*ab*', 'aba', false], ['x*y*z', 'xyyz', true], ['x*y*z', 'xzy', false],
    ['patrol_level.*', 'patrol_level.changed', true], ['exact', 'exact', true], ['exact', 'exactly', false],
  ]
  for (const [p, s, want] of cases) t.equal(globMatcher([p])(s), want, `${p} ~ ${s}`)
  // Patterns are bounded too.
  const base = testConfig([{ id: 'a', url: 'https://a.example/' }]).webhooks[0]!
  t.match(webhookProblem({ ...base, events: ['*'.repeat(129)] }, RULES), { key: 'events.0' })
  t.match(webhookProblem({ ...base, events: ['a b'] }, RULES), { key: 'events.0' })
  t.match(webhookProblem({ ...base, events: Array.from({ length: 33 }, () => '*') }, RULES), { key: 'events' })
  t.match(webhookProblem({ ...base, url: `https://a.example/${'p'.repeat(2048)}` }, RULES), { key: 'url', message: /longer than 2048/ })
  t.match(webhookProblem({ ...base, zones: Array.from({ length: 257 }, (_, i) => `z${i}`) }, RULES), { key: 'zones', message: /at most 256/ })
  t.match(webhookProblem({ ...base, zones: ['grid-9'] }, { ...RULES, zones: new Set(['grid-2']) }), { key: 'zones', message: /no zone with id "grid-9"/ })
  t.equal(webhookProblem({ ...base, zones: ['grid-2'] }, { ...RULES, zones: new Set(['grid-2']) }), null)
  t.match(webhookProblem({ ...base, max_concurrency: 65 }, RULES), { key: 'max_concurrency' })
})

t.test('row 12: secret_env may only name variables with the configured prefix', async (t) => {
  const env = { HEXPATROL_ADMIN_TOKEN: 'admin-token-0123456789', HEXPATROL_WEBHOOK_SECRET_DESK: SECRET }
  t.throws(() => parseWebhook({ id: 'x', url: 'https://a.example/', secret_env: 'HEXPATROL_ADMIN_TOKEN' }, RULES), { code: 'HEXP_ERR_BAD_REQUEST', message: /secret_env: must name a variable HEXPATROL_WEBHOOK_SECRET_<NAME>/ })
  t.throws(() => parseWebhook({ id: 'x', url: 'https://a.example/', secret_env: 'HEXPATROL_WEBHOOK_SECRET_' }, RULES), /secret_env/)
  t.throws(() => parseWebhook({ id: 'x', url: 'https://a.example/', secret_env: 'hexpatrol_webhook_secret_x' }, RULES), /secret_env/)
  t.throws(() => parseWebhook({ id: 'x', url: 'https://a.example/', secret: SECRET, secret_env: 'HEXPATROL_WEBHOOK_SECRET_DESK' }, RULES), /not both/)
  t.equal(parseWebhook({ id: 'x', url: 'https://a.example/', secret_env: 'HEXPATROL_WEBHOOK_SECRET_DESK' }, RULES).secret_env, 'HEXPATROL_WEBHOOK_SECRET_DESK')
  t.throws(() => testConfig([{ id: 'x', url: 'https://a.example/', secret_env: 'HEXPATROL_ADMIN_TOKEN' }]), { code: 'HEXP_ERR_CONFIG', message: /webhooks\.x\.secret_env/ })
  // The prefix is configurable.
  t.equal(testConfig([{ id: 'x', url: 'https://a.example/', secret_env: 'HOOK_DESK' }], { secret_env_prefix: 'HOOK_' }, undefined, { HOOK_DESK: SECRET }).webhooks[0]!.secret_env, undefined, 'resolved at load: no *_env key is left')
  // The API answers 400 for a variable outside the prefix, whether or not it exists: nothing to probe.
  const { d } = makeDispatcher(tmpDir(), [], {}, { webhookSecrets: webhookSecretSource(env) })
  for (const name of ['HEXPATROL_ADMIN_TOKEN', 'HEXPATROL_NOPE']) {
    t.throws(() => d.addSubscription({ id: 'x', url: 'https://a.example/', secret_env: name }), { code: 'HEXP_ERR_BAD_REQUEST' })
  }
  d.addSubscription({ id: 'x', url: 'https://a.example/', secret_env: 'HEXPATROL_WEBHOOK_SECRET_DESK' })
  t.match(d.subscriptions(), [{ id: 'x', signed: true }])
})

t.test('row 13: a config error never echoes a secret value', async (t) => {
  const token = 'short-secret'
  const err = t.throws(() => validateConfig({ http: { admin_token: token } })) as Error
  t.match(err.message, /http\.admin_token: Expected string length greater or equal to 16/)
  t.notMatch(err.message, token)
  const pw = t.throws(() => validateConfig({ mqtt: { password: 12345678 } })) as Error
  t.notMatch(pw.message, '12345678')
  const ding = t.throws(() => validateConfig({ webhooks: [{ id: 'a', url: 'https://a.example/', dingtalk_secret: 987654321 }] })) as Error
  t.notMatch(ding.message, '987654321')
  // Non-secret values are still echoed: they help.
  t.match((t.throws(() => validateConfig({ http: { port: 'x' } })) as Error).message, /\(got "x"\)/)
  t.match((t.throws(() => validateConfig({ broker: { users: [{ username: 'P-1', password_env: 7 }] } })) as Error).message, /\(got 7\)/)
})

t.test('row 14: rule snapshot, outbox and data directories are private (0600 files in 0700 directories)', async (t) => {
  const dir = tmpDir()
  const loose = path.join(dir, 'data')
  fs.mkdirSync(loose, { mode: 0o755 })
  fs.chmodSync(loose, 0o755)
  ensurePrivateDir(loose)
  t.equal(fs.statSync(loose).mode & 0o777, 0o700, 'an existing 0755 directory is tightened')
  // The rule state's files and directory: test/state/rule-state-store.test.ts.
  const o = new Outbox(loose, 1)
  t.equal(fs.statSync(o.dir).mode & 0o777, 0o700)
  t.equal(fs.statSync(o.deadDir).mode & 0o777, 0o700)
  const seq = o.nextSeq()
  o.addSync([{ v: 2, deliveryId: Outbox.deliveryId(seq, 's'), seq, subscriptionId: 's', webhookId: 'w', subject: 'x', event: { id: 'e', type: 't', at: 1, data: {}, summary: '', subject: 'x' }, enqueuedAt: 1, attempts: 0, firstAttemptAt: null, nextAttemptAt: 1 }])
  t.equal(fs.statSync(path.join(o.dir, `${Outbox.deliveryId(seq, 's')}.json`)).mode & 0o777, 0o600)
})
