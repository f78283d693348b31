import t from 'tap'
import { compileFilter, filterCovers } from '../../src/ingest/topic-filter.js'

t.test('compileFilter matches MQTT wildcards', async (t) => {
  const m = compileFilter('fleet/+/position')
  t.ok(m('fleet/P-1/position'))
  t.notOk(m('fleet/P-1/position/x'))
  t.notOk(m('fleet/position'))
  t.notOk(m('fleet/P-1/status'))
  const h = compileFilter('owntracks/#')
  t.ok(h('owntracks/a/b'))
  t.ok(h('owntracks/a'))
  t.notOk(h('fleet/a'))
  t.ok(compileFilter('#')('anything/at/all'))
  t.ok(compileFilter('a/b')('a/b'))
  t.notOk(compileFilter('a/b')('a'))
})

t.test('filterCovers decides whether a subscription stays inside an allowed filter', async (t) => {
  t.ok(filterCovers('hexpatrol/alerts/#', 'hexpatrol/alerts/#'))
  t.ok(filterCovers('hexpatrol/alerts/#', 'hexpatrol/alerts/radius_breach/+'))
  t.ok(filterCovers('hexpatrol/alerts/#', 'hexpatrol/alerts'))
  t.notOk(filterCovers('hexpatrol/alerts/#', '#'), 'a device may never subscribe to #')
  t.notOk(filterCovers('hexpatrol/alerts/#', 'hexpatrol/#'))
  t.notOk(filterCovers('hexpatrol/alerts/#', '+/alerts/x'))
  t.ok(filterCovers('a/+/c', 'a/b/c'))
  t.notOk(filterCovers('a/+/c', 'a/b/c/d'))
  t.notOk(filterCovers('a/b', 'a/#'))
  t.notOk(filterCovers('a/b/c', 'a/b'))
})
