// The destination guard end to end: refused destinations never get a connection, and the failure
// says why. A listener on 127.0.0.1 counts connections for the loopback cases.
import t from 'tap'
import { startReceiver, makeEvent, tmpDir, waitFor, SECRET } from './fixtures/alerts.js'
import { makeDispatcher } from './fixtures/dispatcher.js'
import type { FailedInfo } from '../../src/delivery/dispatcher.js'

t.test('refused destinations: no connection, clear reason', async (t) => {
  const trap = await startReceiver()
  t.teardown(() => trap.close())
  const p = trap.port
  const cases: Array<[string, string, RegExp]> = [
    ['loopback', `http://127.0.0.1:${p}/`, /127\.0\.0\.1 refused: destination 127\.0\.0\.1 is loopback/],
    ['metadata', 'http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is link-local/],
    ['private', 'http://10.1.2.3/hook', /10\.1\.2\.3 is private \(10\.0\.0\.0\/8\)/],
    ['mapped', `http://[::ffff:127.0.0.1]:${p}/`, /IPv4 127\.0\.0\.1\) is loopback/],
    ['mappedhex', `http://[::ffff:7f00:1]:${p}/`, /IPv4 127\.0\.0\.1\) is loopback/],
    ['localhost', `http://localhost:${p}/`, /localhost refused: destination .* is loopback/],
  ]
  // Deliberately not allow-listing loopback here.
  const { d } = makeDispatcher(tmpDir(), cases.map(([id, url]) => ({ id, url, secret: SECRET })), { allow_private_networks: [], horizon: '1h', schedule: ['0s', '1h'] })
  t.teardown(() => d.stop())
  d.start()
  const failed = waitFor(d, 'failed', cases.length)
  t.equal(d.publish(makeEvent('unit_silent', 'opened')), cases.length)
  const infos = (await failed) as FailedInfo[]
  for (const [id, , reason] of cases) {
    const f = infos.find((i) => i.subscriptionId === id)
    t.match(f?.error, reason, id)
    t.match(f?.error, /allow_private_networks/, id)
    t.match(d.subscriptions().find((s) => s.id === id)?.lastError, reason)
  }
  t.equal(trap.connections, 0, 'no connection reached the listener')
})

t.test('a 302 from an allowed receiver to an internal address is not followed', async (t) => {
  const internal = await startReceiver()
  t.teardown(() => internal.close())
  const rx = await startReceiver(() => ({ status: 302, headers: { location: `http://127.0.0.2:${internal.port}/admin` } }))
  t.teardown(() => rx.close())
  const { d } = makeDispatcher(tmpDir(), [{ id: 'a', url: rx.url, secret: SECRET }], { schedule: ['0s', '1h'] })
  t.teardown(() => d.stop())
  d.start()
  const failed = waitFor(d, 'failed')
  d.publish(makeEvent('unit_silent', 'opened'))
  const [f] = (await failed) as FailedInfo[]
  t.match(f, { status: 302, error: /redirect to http:\/\/127\.0\.0\.2:\d+\/admin not followed/ })
  t.equal(rx.received.length, 1)
  t.equal(internal.connections, 0)
})
