// The one topic-filter matcher: the broker's ACLs, its ingestion check and the router agree.
import t from 'tap'
import { compileFilter, filterCovers, matchLevels, splitFilter, unshare } from '../../src/decode/topic-filter.js'
import { createTopicRouter } from '../../src/decode/topic-router.js'
import { createBrokerAuth } from '../../src/ingest/broker-auth.js'
import { validateConfig } from '../../src/config/load.js'

t.test('MQTT matching rules', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['fleet/+/position', 'fleet/P-1/position', true],
    ['fleet/+/position', 'fleet/P-1/position/x', false],
    ['fleet/#', 'fleet', true],
    ['fleet/#', 'fleet/a/b', true],
    ['#', '$SYS/broker/uptime', false],
    ['+/broker/uptime', '$SYS/broker/uptime', false],
    ['$SYS/#', '$SYS/broker/uptime', true],
    ['$share/grp/fleet/+/position', 'fleet/P-1/position', true],
    ['$share/grp/#', '$SYS/x', false],
    ['a/b', 'a/b', true],
    ['a/b', 'a', false],
  ]
  for (const [f, topic, want] of cases) t.equal(compileFilter(f)(topic), want, `${f} ~ ${topic}`)
  t.equal(unshare('$share/g/a/+'), 'a/+')
  t.equal(unshare('$share/g+/a'), '$share/g+/a', 'not a valid share name')
  t.same(matchLevels(splitFilter('org/+/units/#'), 'org/n/units/a/b'), ['n', 'a/b'])
  t.same(matchLevels(splitFilter('org/+/units/#'), 'org/n/units'), ['n'])
})

t.test('router and broker agree: a $share subscription and $SYS topics', async (t) => {
  const subs = [{ topic: '$share/hexpatrol/fleet/+/position', format: 'native' as const }, { topic: '+/gps', format: 'native' as const }]
  const route = createTopicRouter(subs)
  t.same(route('fleet/P-1/position'), { format: 'native', unitId: 'P-1' })
  t.equal(route('$SYS/gps'), null)
  const auth = createBrokerAuth(validateConfig({ mqtt: { subscriptions: subs } }))
  t.ok(auth.canPublish(null, 'fleet/P-1/position'), 'the broker ingests what the router routes')
  t.notOk(auth.canPublish(null, '$SYS/gps'))
})

t.test('filterCovers', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['hexpatrol/alerts/#', 'hexpatrol/alerts/#', true],
    ['hexpatrol/alerts/#', 'hexpatrol/alerts/+/unit:P-1', true],
    ['hexpatrol/alerts/+', 'hexpatrol/alerts/#', false],
    ['hexpatrol/alerts/+', 'hexpatrol/alerts/x', true],
    ['hexpatrol/alerts/x', 'hexpatrol/alerts/+', false],
    ['a/b', 'a', false],
    ['a', 'a/b', false],
    ['#', '$SYS/#', false],
    ['+/x', '$SYS/x', false],
    ['$share/g/a/#', 'a/b', true],
  ]
  for (const [o, i, want] of cases) t.equal(filterCovers(o, i), want, `${o} ⊇ ${i}`)
})
