import { spawn } from 'node:child_process'
import { connect } from '@nats-io/transport-node'
import { Ownership } from '../src/cluster/ownership.js'
const port = 14333
const srv = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', '/tmp/dbg/js' + Date.now()], { stdio: 'ignore' })
await new Promise((r) => setTimeout(r, 800))
const open = async (id: string) => Ownership.open({ nc: await connect({ servers: `127.0.0.1:${port}` }), nodeId: id, partitions: 8, roles: ['schedule'], takeoverMs: 3000, replicas: 1 })
const show = async (os: Array<[string, Ownership]>) => console.log(os.map(([n, o]) => `${n}:${o.ownedPartitions().join(',')}|${o.members().join(',')}`).join('  '))
const a = await open('e1'); const b = await open('e2'); const c = await open('e3')
for (const o of [a, b, c]) o.start(() => undefined, (e) => console.log('err', e))
await new Promise((r) => setTimeout(r, 3000)); await show([['e1', a], ['e2', b], ['e3', c]])
await b.stop({ release: false }); console.log('crash e2')
const t0 = Date.now()
while (a.ownedPartitions().length + c.ownedPartitions().length < 8) await new Promise((r) => setTimeout(r, 20))
console.log('takeover ms', Date.now() - t0)
await new Promise((r) => setTimeout(r, 2000)); await show([['e1', a], ['e3', c]])
const b2 = await open('e2'); b2.start(() => undefined, (e) => console.log('err', e)); console.log('restart e2')
for (let i = 0; i < 8; i++) { await new Promise((r) => setTimeout(r, 2000)); await show([['e1', a], ['e2', b2], ['e3', c]]) }
srv.kill(); process.exit(0)
