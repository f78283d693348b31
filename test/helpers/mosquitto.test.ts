// freePort hands out distinct ports: the kernel offers a closed probe's port again (about 6 times in
// 300 probes here), and a test asking for a server's client, route and monitor ports in a row got
// one port twice.
import t from 'tap'
import { createServer } from 'node:net'
import { freePort } from './mosquitto.js'

t.test('freePort never hands out the same port twice, and each is free', async (t) => {
  const ports = new Set<number>()
  for (let i = 0; i < 300; i++) ports.add(await freePort())
  t.equal(ports.size, 300, '300 calls, 300 distinct ports')
  const last = [...ports].at(-1)!
  await new Promise<void>((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(last, '127.0.0.1', () => s.close(() => resolve()))
  })
  t.pass(`the last one (${last}) can be listened on`)
})
