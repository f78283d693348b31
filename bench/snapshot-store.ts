// Save and load time of the cluster's fleet snapshot (src/cluster/snapshot-store.ts) on a JetStream
// Object Store: nats-server R1 with file storage, started here on a free loopback port; a 5,000+
// unit fleet of noisy JSON (test/helpers/fleet-json.ts, 6,500 units ≈ 21 MB). Per gzip level:
// the compressed size, gzip alone, the whole save (gzip + chunks + meta), the whole load on another
// connection (chunks + gunzip), and the largest event-loop stall during save and load. Medians.
// Run: npx tsx bench/snapshot-store.ts [units=6500] [runs=3]
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { gzip } from 'node:zlib'
import { promisify } from 'node:util'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { connect } from '@nats-io/transport-node'
import { SnapshotStore } from '../src/cluster/snapshot-store.js'
import { fleetJson } from '../test/helpers/fleet-json.js'
import { freePort } from '../test/helpers/mosquitto.js'
import { quantile, table } from './lib/measure.js'

const UNITS = Number(process.argv[2] ?? 6500)
const RUNS = Number(process.argv[3] ?? 3)
const gzipAsync = promisify(gzip)

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexp-bench-snap-'))
  const port = await freePort()
  const nats = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' })
  try {
    let nc = null
    for (let i = 0; nc === null && i < 100; i++) nc = await connect({ servers: `nats://127.0.0.1:${port}` }).catch(async () => { await new Promise((r) => setTimeout(r, 50)); return null })
    if (nc === null) throw new Error('nats-server did not start')
    const nc2 = await connect({ servers: `nats://127.0.0.1:${port}` })
    const data = fleetJson(UNITS, 7)
    const rows: Array<Array<string | number>> = []
    let seq = 0
    for (const level of [1, 6]) {
      const writer = await SnapshotStore.open({ nc, replicas: 1, bucket: `bench_l${level}`, level })
      const reader = await SnapshotStore.open({ nc: nc2, replicas: 1, bucket: `bench_l${level}` })
      const gz: number[] = []
      const save: number[] = []
      const load: number[] = []
      const saveStall: number[] = []
      const loadStall: number[] = []
      let packed = 0
      for (let r = 0; r < RUNS; r++) {
        let t0 = performance.now()
        await gzipAsync(data, { level })
        gz.push(performance.now() - t0)
        const h = monitorEventLoopDelay({ resolution: 10 })
        h.enable()
        t0 = performance.now()
        const saved = await writer.save(data, { seq: BigInt(++seq), node: 'bench', at: Date.now(), configHash: 'bench' })
        save.push(performance.now() - t0)
        h.disable()
        saveStall.push(h.max / 1e6)
        packed = saved?.compressedBytes ?? 0
        h.reset()
        h.enable()
        t0 = performance.now()
        const got = await reader.load()
        load.push(performance.now() - t0)
        h.disable()
        loadStall.push(h.max / 1e6)
        if (got?.data.length !== data.length) throw new Error('load returned the wrong size')
      }
      rows.push([level, (data.length / 1e6).toFixed(1), (packed / 1e6).toFixed(1), quantile(gz, 0.5), quantile(save, 0.5), quantile(load, 0.5), Math.max(...saveStall), Math.max(...loadStall)])
    }
    console.log(table(`Fleet snapshot, ${UNITS} units, JetStream Object Store R1 on loopback, median of ${RUNS} (ms); ${os.cpus().length} cores`, ['gzip level', 'JSON MB', 'gzip MB', 'gzip alone', 'save', 'load', 'max loop stall save', 'max loop stall load'], rows))
    await nc.close()
    await nc2.close()
  } finally {
    nats.kill('SIGTERM')
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

await main()
