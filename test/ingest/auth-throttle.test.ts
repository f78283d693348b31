// The shared credential throttle (issue 19, item 4): per address and per username, one instance for
// every transport, counted per transport, bounded. Pure: a fake clock.
import t from 'tap'
import { Registry, Counter } from 'prom-client'
import { AuthThrottle, throttleOptions } from '../../src/ingest/auth-throttle.js'

function throttle(extra: Partial<ConstructorParameters<typeof AuthThrottle>[0]> = {}) {
  const clock = { now: 0 }
  const registry = new Registry()
  const metrics = {
    failures: new Counter({ name: 'f_total', help: 'f', labelNames: ['transport'] as const, registers: [registry] }),
    refused: new Counter({ name: 'r_total', help: 'r', labelNames: ['transport', 'reason'] as const, registers: [registry] }),
  }
  const th = new AuthThrottle({ freeFailures: 3, freeFailuresPerUsername: 5, baseBackoffMs: 1000, maxBackoffMs: 60_000, forgetAfterMs: 600_000, maxAddresses: 100, now: () => clock.now, metrics, ...extra })
  const value = async (name: string, labels: Record<string, string>) =>
    (await registry.getSingleMetric(name)!.get()).values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0)
  return { th, clock, value }
}

t.test('one username guessed from many addresses backs off, whatever the addresses', async (t) => {
  const { th, clock, value } = throttle()
  const osmand = th.forTransport('osmand')
  // Five free failures, the sixth starts the back-off.
  for (let i = 0; i < 6; i++) {
    t.equal(osmand.check(`10.0.0.${i}`, 'P-1'), null, `address ${i} checks its password`)
    osmand.fail(`10.0.0.${i}`, 'P-1')
  }
  const v = osmand.check('10.0.0.99', 'P-1')
  t.match(v, { reason: 'username_backoff', waitMs: 1000 }, 'a seventh address is refused unchecked')
  t.equal(osmand.check('10.0.0.99', 'P-2'), null, 'another username from that address is checked')
  t.equal(osmand.check('10.0.0.99'), null, 'and so is a request naming no username')
  t.equal(await value('r_total', { transport: 'osmand', reason: 'username_backoff' }), 1)
  t.equal(await value('f_total', { transport: 'osmand' }), 6)
  clock.now += 1000
  t.equal(osmand.check('10.0.0.99', 'P-1'), null, 'the back-off ends')
  osmand.fail('10.0.0.99', 'P-1')
  t.equal(th.usernameBackoffMs('P-1'), 2000, 'and doubles with the next failure')
})

t.test('an address that logged in as a username passes that username\'s back-off, not its own', async (t) => {
  const { th, clock } = throttle({ trustPairMs: 3600_000 })
  const mqtt = th.forTransport('mqtt')
  mqtt.succeed('192.0.2.7', 'P-1')
  for (let i = 0; i < 20; i++) mqtt.fail(`10.1.0.${i}`, 'P-1')
  t.ok(th.usernameBackoffMs('P-1') > 0)
  t.not(mqtt.check('10.9.9.9', 'P-1'), null, 'a stranger waits')
  t.equal(mqtt.check('192.0.2.7', 'P-1'), null, 'the device\'s own address is still let through: guessing elsewhere cannot lock it out')
  for (let i = 0; i < 4; i++) mqtt.fail('192.0.2.7', 'P-1')
  t.match(mqtt.check('192.0.2.7', 'P-1'), { reason: 'address_backoff' }, 'its own address back-off still applies')
  clock.now += 3600_001
  for (let i = 0; i < 6; i++) mqtt.fail(`10.2.0.${i}`, 'P-1')
  t.equal(mqtt.check('192.0.2.7', 'P-2'), null)
  t.match(mqtt.check('192.0.2.7', 'P-1'), { reason: 'username_backoff' }, 'trust expires (trustPairMs)')
  mqtt.succeed('192.0.2.7')
  t.equal(th.backoffMs('192.0.2.7'), 0, 'a success clears the address')
})

t.test('one instance, every transport: failures over one transport throttle the others, counted per transport', async (t) => {
  const { th, value } = throttle()
  const http = th.forTransport('owntracks')
  const mqtt = th.forTransport('mqtt')
  const jt808 = th.forTransport('jt808')
  for (let i = 0; i < 3; i++) http.fail('203.0.113.5', `user${i}`)
  t.equal(mqtt.check('203.0.113.5', 'other'), null, 'three free failures')
  http.fail('203.0.113.5', 'user4')
  t.match(mqtt.check('203.0.113.5', 'P-1'), { reason: 'address_backoff' })
  t.match(jt808.check('203.0.113.5'), { reason: 'address_backoff' }, 'a future gateway uses the same API')
  t.equal(await value('f_total', { transport: 'owntracks' }), 4)
  t.equal(await value('r_total', { transport: 'mqtt', reason: 'address_backoff' }), 1)
  t.equal(await value('r_total', { transport: 'jt808' }), 1)
  const s = th.drain()!
  t.match(s, { failures: 4, refused: 2, addresses: [{ address: '203.0.113.5' }] })
})

t.test('bounded memory under a spray of addresses and usernames', async (t) => {
  const { th } = throttle({ maxAddresses: 50 })
  const g = th.forTransport('osmand')
  for (let i = 0; i < 5000; i++) {
    g.fail(`10.${i >> 8}.${i & 255}.1`, `u${i}`)
    g.succeed(`10.${i >> 8}.${i & 255}.2`, `u${i}`)
  }
  t.same(th.sizes, { addresses: 50, usernames: 50, trusted: 50 })
  const s = th.drain(3)!
  t.equal(s.addresses.length, 3)
  t.equal(s.failures, 5000, 'the summary still counts everything')
})

t.test('a trusted pair is renewed at most once a minute: its place in the eviction order and its time', async (t) => {
  let now = 1_000_000
  const th = new AuthThrottle({ freeFailures: 0, baseBackoffMs: 3_600_000, maxBackoffMs: 3_600_000, forgetAfterMs: 7_200_000, maxAddresses: 3, trustPairMs: 600_000, now: () => now })
  const g = th.forTransport('osmand')
  const trusted = (address: string, username: string): boolean => g.check(address, username) === null
  g.succeed('10.0.0.1', 'P-1')
  g.succeed('10.0.0.2', 'P-2')
  g.succeed('10.0.0.3', 'P-3')
  for (const u of ['P-1', 'P-2', 'P-3']) g.fail('198.51.100.1', u)
  now += 59_000
  g.succeed('10.0.0.1', 'P-1') // within the minute: not moved
  g.succeed('10.0.0.4', 'P-4') // evicts the oldest entry, which is still P-1's
  t.notOk(trusted('10.0.0.1', 'P-1'), 'renewed within the minute, so evicted first')
  t.ok(trusted('10.0.0.2', 'P-2'))
  t.ok(trusted('10.0.0.3', 'P-3'))
  now += 2_000
  g.succeed('10.0.0.2', 'P-2') // 61 s since its last renewal: moved to the end, time renewed
  g.succeed('10.0.0.1', 'P-1') // evicts P-3's, now the oldest
  t.ok(trusted('10.0.0.2', 'P-2'), 'renewed after a minute, so kept')
  t.notOk(trusted('10.0.0.3', 'P-3'))
  now += 600_000 - 1_000
  t.ok(trusted('10.0.0.2', 'P-2'), 'trusted for trustPairMs from its last renewal')
  now += 2_000
  t.notOk(trusted('10.0.0.2', 'P-2'), 'and no longer after')
})

t.test('without metrics or a per-username setting; options from broker.limits', async (t) => {
  let now = 0
  const th = new AuthThrottle({ freeFailures: 1, baseBackoffMs: 1000, maxBackoffMs: 4000, forgetAfterMs: 10_000, maxAddresses: 10, now: () => now })
  const g = th.forTransport('api')
  g.fail('a', 'x')
  g.fail('b', 'x')
  t.match(g.check('c', 'x'), { reason: 'username_backoff' }, 'per-username free failures default to the per-address ones')
  t.equal(g.check('c', ''), null, 'an empty username is no username')
  g.fail('c', '')
  g.succeed('c', '')
  t.same(th.sizes.trusted, 0)
  now += 20_000
  t.equal(th.usernameBackoffMs('x'), 0, 'forgotten')
  const opts = throttleOptions({ auth_free_failures: 5, auth_free_failures_per_username: 10, auth_max_backoff: 300_000 })
  t.same(opts, { freeFailures: 5, freeFailuresPerUsername: 10, baseBackoffMs: 1000, maxBackoffMs: 300_000, forgetAfterMs: 900_000, maxAddresses: 10_000 })
  const real = new AuthThrottle(opts)
  for (let i = 0; i < 6; i++) real.fail('api', 'a', 'x')
  t.ok(real.backoffMs('a') > 0 && real.backoffMs('a') <= 1000, 'on the real clock')
  t.match(real.drain(), { failures: 6, addresses: [{ address: 'a' }] })
  t.equal(real.drain(), null, 'nothing since')
})
