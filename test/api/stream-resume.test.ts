// The live stream over real HTTP on DEFAULT settings (api.stream_buffer_bytes 1 MiB, ring of
// 10,000): a browser that reconnects with a Last-Event-ID whose backlog is larger than the buffer
// gets every missed event and the engine carries on ingesting (it used to end the response and
// then write to it: ERR_STREAM_WRITE_AFTER_END, uncaught, the process exited); a 10,000-unit
// fleet's snapshot (~3.7 MB) opens the stream (it used to exceed the buffer: `overflow` at
// connect) and stays connected while the whole fleet moves; a client that hangs up in the middle
// of a snapshot costs nothing.
import t, { type Test } from 'tap'
import { request, type IncomingMessage } from 'node:http'
import { as, fix, rig, testConfig, type Rig } from './helpers.js'
import { waitFor } from '../helpers/harness.js'

interface Ev { id: string; event: string; data: any }

/** An SSE reader that keeps whole events; `next` waits for one (generous bound, not a timing claim). */
function sse(base: string, path: string, headers: Record<string, string>): Promise<{ res: IncomingMessage; events: Ev[]; bytes(): number; next(event: string, pred?: (d: any) => boolean): Promise<Ev>; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: Ev[] = []
      let buf = ''
      let bytes = 0
      const waiters: Array<() => void> = []
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        bytes += chunk.length
        buf += chunk
        let i
        while ((i = buf.indexOf('\n\n')) !== -1) {
          const frame = buf.slice(0, i)
          buf = buf.slice(i + 2)
          const e: Partial<Ev> = {}
          for (const line of frame.split('\n')) {
            const k = line.slice(0, line.indexOf(': '))
            const v = line.slice(line.indexOf(': ') + 2)
            if (k === 'id') e.id = v
            else if (k === 'event') e.event = v
            else if (k === 'data') e.data = JSON.parse(v)
          }
          if (e.event !== undefined) events.push(e as Ev)
        }
        for (const w of waiters.splice(0)) w()
      })
      res.on('end', () => { for (const w of waiters.splice(0)) w() })
      resolve({
        res,
        events,
        bytes: () => bytes,
        next: (event, pred = () => true) => new Promise((ok, fail) => {
          const got = () => JSON.stringify(events.reduce<Record<string, number>>((n, e) => ({ ...n, [e.event]: (n[e.event] ?? 0) + 1 }), {}))
          const deadline = setTimeout(() => fail(new Error(`no ${event} event within 60 s (got ${got()})`)), 60_000)
          const check = () => {
            const e = events.find((x) => x.event === event && pred(x.data))
            if (e !== undefined) {
              clearTimeout(deadline)
              ok(e)
            } else if (res.readableEnded) {
              clearTimeout(deadline)
              fail(new Error(`the stream ended without a ${event} event (got ${got()})`))
            } else waiters.push(check)
          }
          check()
        }),
        close: () => req.destroy(),
      })
    })
    req.on('error', reject)
    req.end()
  })
}

async function listen(x: Rig): Promise<string> {
  await x.app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(x.app.server.address() as { port: number }).port}`
}

/**
 * The codes of errors nobody handled while `fn` ran (each would have ended the engine's process),
 * asserted empty before fn's own outcome, so a failure on the old code names the crash.
 */
async function noUncaught(t: Test, fn: () => Promise<void>): Promise<void> {
  const seen: string[] = []
  const onError = (err: Error & { code?: string }) => seen.push(err.code ?? err.message)
  process.on('uncaughtException', onError)
  let failed: unknown = null
  try {
    await fn()
  } catch (err) {
    failed = err
  }
  // Errors from a write after end are emitted on the next tick: give them a few.
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
  process.off('uncaughtException', onError)
  t.same(seen, [], 'no error escaped to the process')
  if (failed !== null) throw failed
}

t.test('defaults: a reconnect whose backlog exceeds the 1 MiB buffer resumes in full, and ingestion carries on', async (t) => {
  const config = testConfig({ rules: { allowed_lateness: '0s' } })
  t.equal(config.api.stream_buffer_bytes, 1_048_576, 'the default buffer')
  const x = await rig({ config, ctx: { now: () => x.clock.now } })
  x.clock.now = Date.now()
  const hub = x.ctx.stream
  const base = await listen(x)
  t.teardown(() => x.app.close())

  const first = await sse(base, '/api/v1/stream?types=alerts,positions', as('read'))
  const lastId = (await first.next('snapshot')).id
  first.close()
  await waitFor(() => hub.clientCount === 0, 10_000, 10)
  // 40 alerts of ~40 kB while the browser's wifi is down: 1.6 MB behind, above the buffer.
  const pad = 'w'.repeat(40_000)
  for (let i = 0; i < 40; i++) hub.publish('alert', { eventId: `al_${i}.opened`, zoneId: 'g1', pad }, { zone: 'g1' })

  let back!: Awaited<ReturnType<typeof sse>>
  await noUncaught(t, async () => {
    back = await sse(base, '/api/v1/stream?types=alerts,positions', { ...as('read'), 'last-event-id': lastId })
    await back.next('alert', (d) => d.eventId === 'al_39.opened')
  })
  t.ok(back.bytes() > config.api.stream_buffer_bytes, `the backlog (${back.bytes()} bytes) is larger than the buffer`)
  t.same(back.events.map((e) => e.data.eventId), Array.from({ length: 40 }, (_, i) => `al_${i}.opened`), 'every missed event, in order, and no snapshot')
  t.notOk(back.events.some((e) => e.event === 'overflow'), 'not dropped')

  // Ingestion still runs and reaches the resumed client.
  x.ingest(fix('P-1', x.clock.now, 36.49, 117.86))
  const pos = await back.next('position', (d) => d.id === 'P-1')
  t.equal(pos.data.lastFix.lat, 36.49)
  t.equal(hub.clientCount, 1)
  back.close()
})

t.test('defaults: a 10,000-unit fleet opens the stream (its ~3.7 MB snapshot is paced, not refused)', async (t) => {
  const n = 10_000
  const base0 = testConfig()
  const units = Array.from({ length: n }, (_, i) => ({ id: `U-${String(i).padStart(5, '0')}`, name: `Patrol unit ${i}`, zone: 'g1' }))
  const config = testConfig({ units, rules: { allowed_lateness: '0s' } })
  t.equal(config.api.stream_buffer_bytes, base0.api.stream_buffer_bytes, 'default buffer (1 MiB)')
  const x = await rig({ config, ctx: { now: () => x.clock.now } })
  x.clock.now = Date.now()
  // Every unit has reported once: the snapshot carries a full view (last fix, status) per unit.
  for (let i = 0; i < n; i++) {
    const f = fix(units[i]!.id, x.clock.now - 1000, 36.47 + (i % 100) * 0.0004, 117.84 + Math.floor(i / 100) * 0.0004)
    f.flags = x.engine.classify(f)
    x.engine.ingest(f, x.clock.now)
  }
  const hub = x.ctx.stream
  const base = await listen(x)
  t.teardown(() => x.app.close())

  let c!: Awaited<ReturnType<typeof sse>>
  await noUncaught(t, async () => {
    c = await sse(base, '/api/v1/stream', as('read'))
    await c.next('snapshot')
  })
  const snap = c.events.find((e) => e.event === 'snapshot')!
  t.equal(snap.data.units.length, n, 'all 10,000 units')
  const size = Buffer.byteLength(JSON.stringify(snap.data))
  t.ok(size > 3 * config.api.stream_buffer_bytes, `the snapshot (${(size / 1e6).toFixed(2)} MB) is over three times the buffer`)
  t.notOk(c.events.some((e) => e.event === 'overflow'), 'no overflow at connect')
  hub.publish('alert', { eventId: 'after.snapshot' })
  await c.next('alert', (d) => d.eventId === 'after.snapshot')
  t.equal(hub.clientCount, 1, 'still connected, receiving live events')

  // The whole fleet moves: one position flush (~3.9 MB) is larger than the buffer by itself. A
  // client that keeps up is not behind: it is dropped only if earlier events still wait.
  x.clock.now += 1000
  for (let i = 0; i < n; i++) {
    const f = fix(units[i]!.id, x.clock.now - 500, 36.4705 + (i % 100) * 0.0004, 117.84 + Math.floor(i / 100) * 0.0004)
    f.flags = x.engine.classify(f)
    x.engine.ingest(f, x.clock.now)
  }
  await c.next('position', (d) => d.id === units[n - 1]!.id)
  t.equal(c.events.filter((e) => e.event === 'position').length, n, 'every unit\'s new position')
  t.notOk(c.events.some((e) => e.event === 'overflow'), 'no overflow')
  t.equal(hub.clientCount, 1)

  // A second browser that hangs up in the middle of its snapshot: released, nothing escapes.
  await noUncaught(t, async () => {
    const quitter = await sse(base, '/api/v1/stream', as('read'))
    await new Promise<void>((r) => quitter.res.once('data', () => r()))
    quitter.close()
    await waitFor(() => hub.clientCount === 1, 10_000, 10)
    hub.publish('alert', { eventId: 'after.quit' })
    await c.next('alert', (d) => d.eventId === 'after.quit')
  })
  t.equal(hub.clientCount, 1)
  c.close()
})
