// Webhook delivery throughput and latency against a local receiver, beside the ceiling of bare
// node:http requests to the same receiver. Run: npx tsx bench/webhooks.ts [events] [concurrency]
import http from 'node:http'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { Dispatcher } from '../src/delivery/dispatcher.js'
import { validateConfig } from '../src/config/load.js'
import type { AlertEvent } from '../src/rules/alert-event.js'

const N = Number(process.argv[2] ?? 2000)
const C = Number(process.argv[3] ?? 8)

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

const server = http.createServer((req, res) => {
  req.resume()
  req.on('end', () => res.end('ok'))
})
server.keepAliveTimeout = 30_000
server.listen(0, '127.0.0.1')
await once(server, 'listening')
const port = (server.address() as { port: number }).port
const url = `http://127.0.0.1:${port}/hook`
const body = JSON.stringify({ type: 'radius_breach.opened', timestamp: new Date().toISOString(), data: { pad: 'x'.repeat(700) } })

// 1. Ceiling: bare keep-alive POSTs, C at a time.
async function ceiling(): Promise<{ rps: number; p50: number; p99: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: C })
  const lat: number[] = []
  let next = 0
  const t0 = performance.now()
  const worker = async (): Promise<void> => {
    while (next < N) {
      next++
      const s = performance.now()
      await new Promise<void>((resolve, reject) => {
        const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.resume()
          res.on('end', () => resolve())
        })
        req.on('error', reject)
        req.end(body)
      })
      lat.push(performance.now() - s)
    }
  }
  await Promise.all(Array.from({ length: C }, worker))
  const secs = (performance.now() - t0) / 1000
  agent.destroy()
  lat.sort((a, b) => a - b)
  return { rps: N / secs, p50: pct(lat, 50), p99: pct(lat, 99) }
}

function makeEvent(i: number): AlertEvent {
  const now = Date.now()
  return {
    eventId: `al-${i}.opened`, alertId: `al-${i}`, type: 'radius_breach.opened', kind: 'radius_breach', state: 'opened',
    subject: `unit:U-${i}/post:p-1`, at: now, openedAt: now, unitId: `U-${i}`, unitName: `U-${i}`, unitKind: 'vehicle', postId: 'p-1', postName: 'p-1', distanceM: 400, radiusM: 300,
    position: { lat: 48.85, lon: 2.29, ts: now, accuracy: 5, h3: '891fb466257ffff' }, summary: `U-${i} is 400 m from p-1`,
  }
}

function makeDispatcher(): { d: Dispatcher; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexp-bench-'))
  const cfg = validateConfig({ webhooks: [{ id: 'bench', url, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', max_concurrency: C }], delivery: { allow_private_networks: ['127.0.0.0/8'] } })
  return { d: new Dispatcher({ dir, webhooks: cfg.webhooks, delivery: cfg.delivery, logger: pino({ level: 'warn' }), registry: new Registry(), version: 'bench' }), dir }
}

// 2. Drain: N deliveries already in the outbox (publish cost measured separately), then start: deliveries/s.
async function drain(): Promise<{ rps: number; pub50: number; pub99: number }> {
  const { d, dir } = makeDispatcher()
  const pub: number[] = []
  for (let i = 0; i < N; i++) {
    const s = performance.now()
    d.publish(makeEvent(i))
    pub.push(performance.now() - s)
  }
  let n = 0
  const done = new Promise<void>((resolve) => d.on('delivered', () => { if (++n === N) resolve() }))
  const t0 = performance.now()
  d.start()
  await done
  const secs = (performance.now() - t0) / 1000
  await d.stop()
  fs.rmSync(dir, { recursive: true, force: true })
  pub.sort((a, b) => a - b)
  return { rps: N / secs, pub50: pct(pub, 50), pub99: pct(pub, 99) }
}

// 3. Latency: events published at a steady RATE per second, publish → receiver 2xx.
async function latency(rate: number, count: number): Promise<{ p50: number; p99: number }> {
  const { d, dir } = makeDispatcher()
  d.start()
  const publishedAt = new Map<string, number>()
  const lat: number[] = []
  const done = new Promise<void>((resolve) => {
    d.on('delivered', (i: { eventId: string }) => {
      lat.push(performance.now() - (publishedAt.get(i.eventId) ?? 0))
      if (lat.length === count) resolve()
    })
  })
  for (let i = 0; i < count; i++) {
    const ev = makeEvent(i)
    publishedAt.set(ev.eventId, performance.now())
    d.publish(ev)
    await new Promise((r) => setTimeout(r, 1000 / rate))
  }
  await done
  await d.stop()
  fs.rmSync(dir, { recursive: true, force: true })
  lat.sort((a, b) => a - b)
  return { p50: pct(lat, 50), p99: pct(lat, 99) }
}

const RATE = Number(process.argv[4] ?? 50)
const base = await ceiling()
const dr = await drain()
const lt = await latency(RATE, Math.min(N, RATE * 10))
server.close()
const f = (x: number) => x.toFixed(2)
console.log(`webhooks: ${N} events, max_concurrency ${C}, ${os.cpus().length} CPUs, node ${process.version}; latency run at ${RATE} events/s; the bench adds no other load`)
console.table([
  { path: 'bare node:http POST, keep-alive (ceiling)', 'req/s': Math.round(base.rps), 'p50 ms': f(base.p50), 'p99 ms': f(base.p99) },
  { path: 'Dispatcher drain (signed, outbox unlink per 2xx)', 'req/s': Math.round(dr.rps), 'p50 ms': '-', 'p99 ms': '-' },
  { path: `Dispatcher publish → 2xx at ${RATE}/s`, 'req/s': '-', 'p50 ms': f(lt.p50), 'p99 ms': f(lt.p99) },
  { path: 'publish() (fsync\'d outbox write)', 'req/s': Math.round(1000 / dr.pub50), 'p50 ms': f(dr.pub50), 'p99 ms': f(dr.pub99) },
])
