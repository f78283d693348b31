// Journal append throughput: 200-byte records, each fsync policy, beside the machine's ceiling
// (raw fs.writeSync of the same framed bytes to a plain file, with and without fsync).
// Run: npx tsx bench/journal.ts   (each cell: median of 3 runs of ~1 s)
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Journal } from '../src/journal/journal.js'
import { encodeFrame } from '../src/journal/segment-format.js'

const RECORD = Buffer.alloc(200, 0x61)
const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 1000)
const RUNS = 3

/** Calls op() in batches until RUN_MS elapsed; returns operations per second. */
function rate(op: () => void): number {
  let n = 0
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(RUN_MS) * 1_000_000n
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 64; i++) op()
    n += 64
    now = process.hrtime.bigint()
  }
  return n / (Number(now - start) / 1e9)
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'hexp-bench-'))
}

function raw(fsync: boolean): number {
  const dir = tmp()
  const fd = fs.openSync(path.join(dir, 'raw'), 'a')
  try {
    return rate(() => {
      const frame = encodeFrame(RECORD) // same work as the journal: frame + crc + one write
      fs.writeSync(fd, frame, 0, frame.length)
      if (fsync) fs.fsyncSync(fd)
    })
  } finally {
    fs.closeSync(fd)
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

function journal(fsync: 'never' | 'interval' | 'always'): number {
  const dir = tmp()
  const j = Journal.open({ dir, maxBytes: 16 * 1024 ** 3, segmentMaxRecords: 20_000, segmentMaxAgeMs: 1000, fsync, fsyncIntervalMs: 200 })
  // Confirm sealed segments as a perfectly fast sink would, so the disk bound never interferes.
  j.on('sealed', (seg) => j.confirm(seg))
  try {
    return rate(() => {
      if (!j.append(RECORD)) throw new Error('journal full during bench')
    })
  } finally {
    j.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const rows: Array<[string, () => number]> = [
  ['ceiling: raw writeSync', () => raw(false)],
  ['journal fsync=never', () => journal('never')],
  ['journal fsync=interval (200ms)', () => journal('interval')],
  ['ceiling: raw writeSync+fsync', () => raw(true)],
  ['journal fsync=always', () => journal('always')],
]

console.log(`journal append, ${RECORD.length}-byte records, median of ${RUNS} × ${RUN_MS} ms, node ${process.version}, ${os.cpus().length} cpu, tmpdir ${os.tmpdir()}`)
const results: Array<{ case: string; 'appends/s': string; 'MB/s': string; runs: string }> = []
for (const [name, fn] of rows) {
  const runs = Array.from({ length: RUNS }, fn)
  const m = median(runs)
  results.push({
    case: name,
    'appends/s': Math.round(m).toLocaleString('en-US'),
    'MB/s': ((m * (RECORD.length + 8)) / 1e6).toFixed(1),
    runs: runs.map((r) => Math.round(r)).join(' / '),
  })
}
console.table(results)
