import { spawn } from 'node:child_process'
import { engineProcess } from '../test/helpers/engine-process.js'
import { startMosquitto, freePort } from '../test/helpers/mosquitto.js'
import { tempDir } from '../test/helpers/harness.js'
const port = await freePort()
const sd = tempDir('js')
let srv = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', sd], { stdio: 'ignore' })
await new Promise((r) => setTimeout(r, 800))
const mosq = await startMosquitto()
const e = await engineProcess(tempDir('e'), { mqtt: { url: mosq.url, client_id: 'dbg' }, units: [{ id: 'F-1' }], journal: { fsync: 'never' }, cluster: { partitions: 8, takeover: '5s' } }, { HEXPATROL_CLUSTER_URL: `nats://127.0.0.1:${port}`, HEXPATROL_NODE_ID: 'engine-1' })
await e.start()
console.log('ready', JSON.stringify((await e.readyz())?.body).slice(0, 300))
srv.kill('SIGTERM'); await new Promise((r) => srv.once('exit', r)); console.log('nats stopped')
for (let i = 0; i < 12; i++) { const t0 = Date.now(); const r = await e.readyz(); console.log(i, Date.now() - t0, 'ms', r?.status, JSON.stringify(r?.body).slice(0, 400)); await new Promise((r) => setTimeout(r, 1000)) }
await e.kill9(); await mosq.stop(); process.exit(0)
