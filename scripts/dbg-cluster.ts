import { spawn } from 'node:child_process'
import { engineProcess } from '../test/helpers/engine-process.js'
import { startMosquitto, freePort } from '../test/helpers/mosquitto.js'
import { connect } from '../test/helpers/publisher.js'
import { tempDir } from '../test/helpers/harness.js'
const port = await freePort()
const srv = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', tempDir('js')], { stdio: 'ignore' })
await new Promise((r) => setTimeout(r, 800))
const mosq = await startMosquitto()
const UNITS = 240
const config = { mqtt: { url: mosq.url, client_id: 'dbg' }, units: Array.from({ length: UNITS }, (_, i) => ({ id: `U-${i}` })), journal: { fsync: 'never' }, cluster: { partitions: 8, takeover: '3s' }, log_level: 'info' }
const es = [] as Awaited<ReturnType<typeof engineProcess>>[]
for (let i = 1; i <= 2; i++) { const e = await engineProcess(tempDir('e'), config, { HEXPATROL_CLUSTER_URL: `nats://127.0.0.1:${port}`, HEXPATROL_NODE_ID: `engine-${i}` }); es.push(e) }
await Promise.all(es.map((e) => e.start()))
const pub = await connect(mosq.url, { clientId: 'dbgpub' })
let go = true
void (async () => { while (go) { const ts = Date.now(); await Promise.all(Array.from({ length: UNITS }, (_, i) => pub.publishAsync(`fleet/U-${i}/position`, JSON.stringify({ ts, lat: 36.4 + i * 1e-4, lon: 117.8 }), { qos: 1 }))); await new Promise((r) => setTimeout(r, 1000)) } })()
const show = async (tag: string) => console.log(tag, await Promise.all(es.map(async (e) => `${await e.metric('hexpatrol_fixes_accepted_total')}/${await e.metric('hexpatrol_cluster_log_lag_records')}`)))
for (let i = 0; i < 5; i++) { await new Promise((r) => setTimeout(r, 1000)); await show('before') }
await es[0]!.kill9(); console.log('killed engine-1')
for (let i = 0; i < 15; i++) { await new Promise((r) => setTimeout(r, 1000)); await show('after') }
for (const l of es[1]!.runLogs.filter((l) => Number(l.level) >= 40).slice(-20)) console.log(JSON.stringify(l).slice(0, 300))
go = false; await es[1]!.kill9(); await mosq.stop(); srv.kill(); process.exit(0)
