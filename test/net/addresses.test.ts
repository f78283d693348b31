import t from 'tap'
import { isLoopbackHost } from '../../src/net/addresses.js'

t.test('loopback detection', async (t) => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) t.ok(isLoopbackHost(h), h)
  for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.org', '127.lan', '127.0.0.1.nip.io', '::ffff:10.0.0.1']) t.notOk(isLoopbackHost(h), h)
  for (const h of ['[::1]', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) t.ok(isLoopbackHost(h), h)
})
