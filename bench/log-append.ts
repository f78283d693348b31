// Durable-append cost of the two logs behind src/log/log.ts, side by side: the local journal
// (fsync interval, the default) and JetStream (R1, file storage, a nats-server started here on a
// free loopback port). 200-byte records, each with its dedup id; batches of 1, 16 and 128 records
// appended one batch at a time (an ack wait per batch, like an inflight window of one) and
// 8 batches in flight. Prints records/s and the batch-ack p50/p99.
// Run: npx tsx bench/log-append.ts   (BENCH_RUN_MS per cell, default 2000)
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Journal } from '../src/journal/journal.js'
import { JournalLog } from '../src/log/journal-log.js'
import { JetStreamLog } from '../src/log/jetstream-log.js'
import type { FixLog, LogRecord } from '../src/log/log.js'
import { freePort } from '../test/helpers/mosquitto.js'

const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 2000)
const DATA = new Uint8Array(200).fill(0x61)
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'hexp-bench-log-'))

let seq = 0
const batchOf = (n: number): LogRecord[] => Array.from({ length: n }, () => ({ id: `bench-${++seq}`, data: DATA }))

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN
}

async function cell(log: FixLog, batch: number, inflight: number): Promise<{ rate: number; p50: number; p99: number }> {
  const lat: number[] = []
  let records = 0
  const start = performance.now()
  const worker = async (): Promise<void> => {
    while (performance.now() - start < RUN_MS) {
      const t0 = performance.now()
      await log.append(0, batchOf(batch))
      lat.push(performance.now() - t0)
      records += batch
    }
  }
  await Promise.all(Array.from({ length: inflight }, worker))
  return { rate: records / ((performance.now() - start) / 1000), p50: pct(lat, 0.5), p99: pct(lat, 0.99) }
}

async function main(): Promise<void> {
  const journal = new JournalLog({
    journal: Journal.open({ dir: tmp(), maxBytes: 2 ** 31, segmentMaxRecords: 10_000, segmentMaxAgeMs: 5000, fsync: 'interval', fsyncIntervalMs: 1000 }),
    idOf: () => '',
  })
  const port = await freePort()
  const nats = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', tmp()], { stdio: 'ignore' })
  let js: FixLog | null = null
  for (let i = 0; i < 100 && js === null; i++) {
    js = await JetStreamLog.open({ servers: [`nats://127.0.0.1:${port}`], partitions: 1, replicas: 1 }).catch(async () => {
      await new Promise((r) => setTimeout(r, 100))
      return null
    })
  }
  if (js === null) throw new Error('nats-server did not start (is it installed at /usr/sbin/nats-server?)')
  console.log(`${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}; ${RUN_MS} ms per cell; 200-byte records`)
  console.log('log        batch  inflight   records/s   ack p50 ms   ack p99 ms')
  for (const [name, log] of [['journal', journal], ['jetstream', js]] as const) {
    for (const batch of [1, 16, 128]) {
      for (const inflight of [1, 8]) {
        const r = await cell(log, batch, inflight)
        console.log(`${name.padEnd(10)} ${String(batch).padStart(5)} ${String(inflight).padStart(9)} ${Math.round(r.rate).toString().padStart(11)} ${r.p50.toFixed(2).padStart(12)} ${r.p99.toFixed(2).padStart(12)}`)
      }
    }
  }
  await journal.close()
  await js.close()
  nats.kill('SIGTERM')
}

await main()
