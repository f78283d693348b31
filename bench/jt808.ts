// JT/T 808 gateway throughput: the codec alone on one core (split, unescape, check, decode the
// location body into a Fix), and location reports over loopback TCP through the real gateway
// (an Ingestor stand-in that journals nothing) beside a bare TCP echo server moving the same bytes.
// Run: npx tsx bench/jt808.ts   (median of 5 runs after a warm-up run)
import { AuthThrottle, throttleOptions } from '../src/ingest/auth-throttle.js'
import { createServer, connect, type AddressInfo } from 'node:net'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { validateConfig } from '../src/config/load.js'
import { FrameReader } from '../src/decode/jt808/frame.js'
import { readFrame } from '../src/decode/jt808/message.js'
import { locationFix } from '../src/decode/jt808/to-fix.js'
import { Jt808Gateway } from '../src/ingest/jt808/gateway.js'
import { compileTerminals } from '../src/ingest/jt808/terminals.js'
import { createMetrics } from '../src/telemetry/metrics.js'
import { generalAnswer, readAnswers, Terminal } from '../test/helpers/jt808-terminal.js'

const RUNS = 5
const N = 100_000
const now = Date.now()
const term = new Terminal('13800000001')
const frames = Array.from({ length: N }, (_, i) => term.location({ ts: now - 60_000 + (i % 1000), lat: 22.5 + (i % 100) / 1e4, lon: 114 + (i % 50) / 1e4 }))
const stream = Buffer.concat(frames)
const chunks: Buffer[] = []
for (let i = 0; i < stream.length; i += 64 * 1024) chunks.push(stream.subarray(i, i + 64 * 1024))
const lim = { maxFutureSkewMs: 120_000, maxAgeMs: 86_400_000, h3Resolution: 9, rejectNullIsland: true }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

function codec(): number {
  let fixes = 0
  const r = new FrameReader(2200)
  const t0 = process.hrtime.bigint()
  for (const c of chunks) {
    r.push(c, {
      frame: (f) => {
        const m = readFrame(f)
        if (typeof m === 'string') throw new Error(m)
        if (locationFix(m.body, 0, m.body.length, 'car-1', 'jt808:13800000001', now, 480, lim, 2048).fix !== null) fixes++
      },
      dropped: () => { throw new Error('dropped') },
    })
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  if (fixes !== N) throw new Error(`decoded ${fixes}`)
  return N / s
}

/** Sends the stream on one connection and resolves when `expect` bytes (or frames) came back. */
function pump(port: number, prefix: Buffer[], done: (got: Buffer) => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => {
      for (const p of prefix) s.write(p)
      setTimeout(() => {
        const t0 = process.hrtime.bigint()
        s.on('data', (b: Buffer) => {
          if (done(b)) {
            resolve(Number(process.hrtime.bigint() - t0) / 1e9)
            s.destroy()
          }
        })
        for (const c of chunks) s.write(c)
      }, 100)
    })
    s.on('error', reject)
  })
}

async function gateway(): Promise<number[]> {
  const config = validateConfig({ jt808: { port: 0, idle_timeout: '10m' }, units: [{ id: 'car-1', jt808: '13800000001' }], validation: { max_age: '1d' } })
  const g = await Jt808Gateway.start({ config, terminals: compileTerminals(config), dataDir: mkdtempSync(join(tmpdir(), 'hexp-bench-')), ingest: () => undefined, emergency: () => undefined, metrics: createMetrics({ defaults: false }), logger: pino({ level: 'silent' }), now: Date.now, throttle: new AuthThrottle(throttleOptions(config.broker.limits)).forTransport('jt808') })
  // Register once to learn the code, then each run authenticates and streams N reports.
  const code = await new Promise<string>((resolve) => {
    const s = connect({ port: g.address.port, host: '127.0.0.1' }, () => s.write(term.register()))
    s.on('data', (b: Buffer) => { resolve(readAnswers(b)[0]!.body.toString('latin1', 3)); s.destroy() })
  })
  const out: number[] = []
  for (let run = 0; run <= RUNS; run++) {
    let answers = 0
    const auth = term.auth(code)
    // The answer to the authentication must be Ok, or the run would measure refusals.
    const check = await new Promise<number>((resolve) => {
      const c = connect({ port: g.address.port, host: '127.0.0.1' }, () => c.write(auth))
      c.on('data', (b: Buffer) => { resolve(generalAnswer(readAnswers(b)[0]!).result); c.destroy() })
    })
    if (check !== 0) throw new Error('authentication refused')
    const s = await pump(g.address.port, [term.auth(code)], (b) => {
      for (const x of b) if (x === 0x7e) answers++
      // Two flags per answer; the auth answer came before the clock started.
      return answers >= 2 * N
    })
    if (run > 0) out.push(N / s)
  }
  await g.close()
  return out
}

async function echo(): Promise<number[]> {
  const server = createServer((s) => s.on('data', (b) => s.write(b)))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as AddressInfo).port
  const out: number[] = []
  for (let run = 0; run <= RUNS; run++) {
    let got = 0
    const s = await pump(port, [], (b) => (got += b.length) >= stream.length)
    if (run > 0) out.push(N / s)
  }
  server.close()
  return out
}

const codecRuns: number[] = []
for (let run = 0; run <= RUNS; run++) {
  const r = codec()
  if (run > 0) codecRuns.push(r)
}
const gw = await gateway()
const ceiling = await echo()
const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(12)
console.log(`JT/T 808, ${N.toLocaleString('en-US')} location reports of ${frames[0]!.length} bytes, median of ${RUNS}`)
console.log('| path | frames/s |')
console.log('|---|---:|')
console.log(`| codec only (split + check + decode to Fix), one core | ${fmt(median(codecRuns))} |`)
console.log(`| gateway over loopback TCP (decode, answer 0x8001; no journal) | ${fmt(median(gw))} |`)
console.log(`| bare TCP echo of the same bytes (ceiling) | ${fmt(median(ceiling))} |`)
