import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { globMatcher, resolveSecrets, wants, SubscriptionStore } from '../../src/delivery/subscriptions.js'
import { webhookSecretSource } from '../../src/config/resolve.js'
import { parseWebhook } from '../../src/delivery/webhook-validator.js'
import { AllowList } from '../../src/delivery/ssrf.js'
import { alertToOutbound } from '../../src/delivery/outbound-event.js'
import { makeEvent, testConfig, tmpDir, SECRET, SECRET2 } from './fixtures/alerts.js'

const RULES = { secretEnvPrefix: 'HEXPATROL_WEBHOOK_SECRET_' }

t.test('event globs', async (t) => {
  const m = globMatcher(['radius_breach.*', 'coverage_gap.opened', '*.resolved'])
  t.ok(m('radius_breach.opened'))
  t.ok(m('radius_breach.acknowledged'))
  t.ok(m('coverage_gap.opened'))
  t.notOk(m('coverage_gap.acknowledged'))
  t.ok(m('unit_silent.resolved'))
  t.notOk(m('zone_exit.opened'))
  t.ok(globMatcher(['*'])('zone_exit.opened'))
  t.notOk(globMatcher(['radius_breach'])('radius_breach.opened'), 'no implicit wildcard')
  t.notOk(globMatcher(['radius(breach).*'])('radiusbreach.opened'), 'regex characters are literal')
  t.notOk(globMatcher([])('zone_exit.opened'))
})

t.test('zone filter: events without a zone are not delivered to zone-filtered subscriptions', async (t) => {
  const sub = { matchType: () => true, zones: new Set(['grid-2']) }
  t.ok(wants(sub, alertToOutbound(makeEvent('coverage_gap', 'opened'))))
  t.notOk(wants(sub, alertToOutbound(makeEvent('coverage_gap', 'opened', { zoneId: 'grid-3' }))))
  t.notOk(wants(sub, alertToOutbound(makeEvent('unit_silent', 'opened'))))
  t.ok(wants({ matchType: () => true, zones: null }, alertToOutbound(makeEvent('unit_silent', 'opened'))))
  t.notOk(wants({ matchType: () => false, zones: null }, alertToOutbound(makeEvent('unit_silent', 'opened'))))
})

t.test('secrets', async (t) => {
  const [base] = testConfig([{ id: 'a', url: 'http://127.0.0.1/' }]).webhooks
  t.same(resolveSecrets({ ...base!, secret: SECRET }, webhookSecretSource({})), [SECRET])
  t.same(resolveSecrets({ ...base!, secret: [SECRET, SECRET2] }, webhookSecretSource({})), [SECRET, SECRET2])
  t.same(resolveSecrets({ ...base!, secret_env: 'S' }, webhookSecretSource({ S: `${SECRET}, ${SECRET2}` })), [SECRET, SECRET2])
  t.throws(() => resolveSecrets({ ...base!, secret_env: 'S' }, webhookSecretSource({})), /webhooks\.a\.secret_env: environment variable S is not set/)
  t.same(resolveSecrets(base!, webhookSecretSource({})), [])
})


t.test('admin-API validation', async (t) => {
  const allow = new AllowList([])
  const v = parseWebhook({ id: 'x', url: 'https://duty.example.org/h', secret: SECRET }, { secretEnvPrefix: 'HEXPATROL_WEBHOOK_SECRET_', allow })
  t.same(v.events, ['*'])
  t.equal(v.format, 'standard')
  t.equal(v.max_concurrency, 4)
  t.throws(() => parseWebhook({ id: 'x', url: 'https://a.example/', bogus: 1 }, { secretEnvPrefix: 'HEXPATROL_WEBHOOK_SECRET_', allow }), { code: 'HEXP_ERR_BAD_REQUEST' })
  t.throws(() => parseWebhook({ id: 'bad id', url: 'https://a.example/' }, { secretEnvPrefix: 'HEXPATROL_WEBHOOK_SECRET_', allow }), { code: 'HEXP_ERR_BAD_REQUEST' })
  t.throws(() => parseWebhook({ id: 'x', url: 'not a url' }, { secretEnvPrefix: 'HEXPATROL_WEBHOOK_SECRET_', allow }), /is not a URL/)
  t.throws(() => parseWebhook({ id: 'x', url: 'ftp://a.example/' }, { secretEnvPrefix: 'HEXPATROL_WEBHOOK_SECRET_', allow }), /only http and https/)
  t.throws(() => parseWebhook({ id: 'x', url: 'http://169.254.169.254/latest' }, { secretEnvPrefix: 'HEXPATROL_WEBHOOK_SECRET_', allow }), { code: 'HEXP_ERR_WEBHOOK_DESTINATION' })
  t.equal(parseWebhook({ id: 'x', url: 'http://127.0.0.1:9/' }, { secretEnvPrefix: 'HEXPATROL_WEBHOOK_SECRET_', allow: new AllowList(['127.0.0.0/8']) }).id, 'x')
})

t.test('store merges the config with persisted admin changes', async (t) => {
  const dir = tmpDir()
  const file = path.join(dir, 'subscriptions.json')
  const { webhooks } = testConfig([
    { id: 'a', url: 'http://127.0.0.1/a', secret: SECRET, zones: ['grid-2'] },
    { id: 'b', url: 'http://127.0.0.1/b', zones: [] },
  ])
  const s1 = new SubscriptionStore(file, webhooks, webhookSecretSource({}), RULES)
  t.same([...s1.all()].map((s) => [s.cfg.id, s.source]), [['a', 'config'], ['b', 'config']])
  t.equal(s1.get('b')?.zones, null, 'an empty zone list is no filter')
  t.equal(s1.remove('zz'), undefined)
  s1.add({ ...webhooks[0]!, id: 'c', url: 'http://127.0.0.1/c' })
  s1.remove('b')
  s1.disable(s1.get('a')!, 'gone', 7)
  s1.add({ ...webhooks[0]!, id: 'd' })
  s1.remove('d')
  const s2 = new SubscriptionStore(file, webhooks, webhookSecretSource({}), RULES)
  t.same([...s2.all()].map((s) => [s.cfg.id, s.source, s.enabled]), [['a', 'config', false], ['c', 'api', true]])
  t.equal(s2.get('a')?.disabledReason, 'gone')
  s2.enable(s2.get('a')!)
  s2.add({ ...webhooks[1]!, url: 'http://127.0.0.1/b2' })
  const s3 = new SubscriptionStore(file, webhooks, webhookSecretSource({}), RULES)
  t.same([...s3.all()].map((s) => [s.cfg.id, s.enabled, s.cfg.url]), [['a', true, 'http://127.0.0.1/a'], ['b', true, 'http://127.0.0.1/b2'], ['c', true, 'http://127.0.0.1/c']])
  t.equal(fs.statSync(file).mode & 0o777, 0o600)
  fs.writeFileSync(file, '{}')
  t.equal([...new SubscriptionStore(file, webhooks, webhookSecretSource({}), RULES).all()].length, 2)
  fs.writeFileSync(file, '{oops')
  t.throws(() => new SubscriptionStore(file, webhooks, webhookSecretSource({}), RULES), { code: 'HEXP_ERR_CONFIG' })
})
