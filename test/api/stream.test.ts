// The live stream: the hub's filtering, coalescing, ring and drop policy with fake sockets, then
// Server-Sent Events over real HTTP: snapshot, coalesced positions, coverage, alerts, resume with
// Last-Event-ID, and a client that stops reading is dropped (counted, logged once) while the
// others keep up. stream-resume.test.ts has the large-backlog and large-fleet cases on defaults.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { request, type IncomingMessage } from 'node:http'
import { connect } from 'node:net'
import { Registry } from 'prom-client'
import { StreamHub, parseList, parseTypes, type StreamSocket } from '../../src/api/stream-hub.js'
import { StreamWriter, type CloseReason } from '../../src/api/stream-writer.js'
import { as, fix, rig, testConfig } from './helpers.js'
import { captureLogger, waitFor } from '../helpers/harness.js'

/** A response stand-in: records writes; `accepting = false` makes write() ask to wait for 'drain'. */
class FakeSocket extends EventEmitter implements StreamSocket {
  chunks: string[] = []
  writableLength = 0
  ended = false
  destroyed = false
  accepting = true
  write(chunk: string | Buffer): boolean {
    if (this.ended) throw new Error('write after end (the fake throws what a response would emit)')
    this.chunks.push(chunk.toString())
    return this.accepting
  }
  end(): void {
    this.ended = true
  }
  destroy(): void {
    this.destroyed = true
  }
  /** The complete events written so far (an event may span writes). */
  events(): Array<{ id?: string; event?: string; data?: unknown }> {
    const text = this.chunks.join('')
    return parseFrames(text.slice(0, text.lastIndexOf('\n\n') + 2))
  }
}

function parseFrames(text: string): Array<{ id?: string; event?: string; data?: unknown }> {
  return text.split('\n\n').filter((f) => f.trim() !== '' && !f.startsWith('retry:')).map((f) => {
    const o: { id?: string; event?: string; data?: unknown } = {}
    for (const line of f.split('\n')) {
      const i = line.indexOf(': ')
      const k = line.slice(0, i)
      const v = line.slice(i + 2)
      if (k === 'id') o.id = v
      else if (k === 'event') o.event = v
      else if (k === 'data') o.data = JSON.parse(v)
    }
    return o
  })
}

const all = { types: null, zones: null }

t.test('types and zones in the query', async (t) => {
  t.same([...parseTypes('positions, alerts,,coverage')!], ['positions', 'position', 'alerts', 'alert', 'coverage'])
  t.equal(parseTypes(undefined), null)
  t.equal(parseTypes(' '), null)
  t.same([...parseList('g1,g2, ')!], ['g1', 'g2'])
  t.equal(parseList(''), null)
})

t.test('hub: filters, snapshot first, coalesced positions, resume from the ring', async (t) => {
  const registry = new Registry()
  const hub = new StreamHub({ ringSize: 4, registry })
  const a = new FakeSocket()
  const b = new FakeSocket()
  const ca = hub.subscribe(a, all, undefined, () => ({ units: [], alerts: [], zones: [] }))
  t.equal(ca.resumed, false)
  hub.subscribe(b, { types: parseTypes('alerts,incident'), zones: parseList('g1') }, undefined, () => ({ units: [1] }))
  t.equal(hub.clientCount, 2)
  t.same(a.events()[0]!.event, 'snapshot')
  t.same(b.events()[0]!.data, { units: [1] })
  hub.publish('alert', { n: 1 }, { zone: 'g1' })
  hub.publish('alert', { n: 2 }, { zone: 'g2' })
  hub.publish('alert', { n: 3 })
  hub.publish('incident', { n: 4 }, { zone: 'g1' })
  hub.publish('position', { v: 1 }, { unit: 'P-1', zone: 'g1' })
  hub.publish('position', { v: 2 }, { unit: 'P-1', zone: 'g1' })
  hub.publish('position', { v: 1 }, { unit: 'P-2' })
  t.same(a.events().filter((e) => e.event === 'position'), [], 'positions wait for the coalescing flush')
  hub.flushPositions()
  const aPos = a.events().filter((e) => e.event === 'position').map((e) => e.data)
  t.same(aPos, [{ v: 2 }, { v: 1 }], 'one position per unit per flush, the latest')
  t.same(b.events().slice(1).map((e) => (e.data as { n: number }).n), [1, 3, 4], 'b gets alerts and incidents of g1 (and zoneless ones), no positions')
  const ids = a.events().slice(1).map((e) => e.id!)
  t.equal(new Set(ids).size, ids.length, 'every event has its own id')
  t.equal(ids.at(-1), hub.lastId)
  // Resume: the ring holds the last 4 events.
  const c = new FakeSocket()
  const resumed = hub.subscribe(c, all, ids[3], () => ({ snap: true }))
  t.equal(resumed.resumed, true)
  t.same(c.events().map((e) => e.id), ids.slice(4), 'only what was missed, no snapshot')
  const d = new FakeSocket()
  t.equal(hub.subscribe(d, all, ids[0], () => ({ snap: true })).resumed, false, 'fell out of the ring: snapshot')
  t.equal(hub.subscribe(new FakeSocket(), all, `00000000-${ids.length}`, () => ({})).resumed, false, 'another process: snapshot')
  t.equal(hub.subscribe(new FakeSocket(), all, 'garbage', () => ({})).resumed, false)
  t.equal(hub.subscribe(new FakeSocket(), all, `${hub.boot}-99999`, () => ({})).resumed, false, 'from the future: snapshot')
  t.match(await registry.metrics(), /hexpatrol_stream_clients 7/)
  t.match(await registry.metrics(), /hexpatrol_stream_events_total\{type="position"\} 2/)
  hub.unsubscribe(ca.client)
  t.equal(hub.clientCount, 6)
  hub.publish('position', { v: 3 }, { unit: 'P-3' })
  hub.close()
  t.equal(hub.clientCount, 0)
  t.ok(b.ended)
})

t.test('hub: a position flush is one write per client, serialised once for clients with the same filter', async (t) => {
  const hub = new StreamHub()
  const sockets = Array.from({ length: 3 }, () => new FakeSocket())
  for (const s of sockets) hub.subscribe(s, all, undefined, () => ({}))
  const g2 = new FakeSocket()
  hub.subscribe(g2, { types: null, zones: parseList('g2') }, undefined, () => ({}))
  const alertsOnly = new FakeSocket()
  hub.subscribe(alertsOnly, { types: parseTypes('alerts'), zones: null }, undefined, () => ({}))
  const before = sockets.map((s) => s.chunks.length)
  for (let i = 0; i < 500; i++) hub.publish('position', { i }, { unit: `U-${i}`, zone: i % 2 === 0 ? 'g1' : 'g2' })
  hub.flushPositions()
  t.same(sockets.map((s, k) => s.chunks.length - before[k]!), [1, 1, 1], '500 positions: one write each')
  t.equal(sockets[0]!.chunks.at(-1), sockets[2]!.chunks.at(-1), 'the same text for the same filter')
  t.equal(sockets[0]!.events().filter((e) => e.event === 'position').length, 500, 'still one event (and id) per unit')
  t.same(g2.events().filter((e) => e.event === 'position').map((e) => (e.data as { i: number }).i % 2), Array(250).fill(1), 'a zone filter gets its zone\'s units only')
  t.equal(alertsOnly.chunks.length, 2, 'a client that wants no positions gets no write (retry + snapshot only)')
  hub.close()
})

t.test('hub: a client over its buffer bound is told and dropped; the others are untouched', async (t) => {
  const registry = new Registry()
  const hub = new StreamHub({ bufferBytes: 1000, registry })
  const slow = new FakeSocket()
  const fast = new FakeSocket()
  hub.subscribe(slow, all, undefined, () => ({}))
  hub.subscribe(fast, all, undefined, () => ({}))
  slow.writableLength = 5000
  hub.publish('alert', { big: 'x'.repeat(100) })
  t.equal(hub.clientCount, 1)
  t.equal(slow.events().at(-1)!.event, 'overflow')
  t.ok(slow.ended)
  hub.publish('alert', { n: 2 })
  t.equal(slow.events().filter((e) => e.event === 'alert').length, 0, 'the event that found it behind, and every later one, are not written to it')
  t.equal(fast.events().filter((e) => e.event === 'alert').length, 2)
  t.match(await registry.metrics(), /hexpatrol_stream_dropped_clients_total\{reason="behind"\} 1/)
  hub.close()
})

t.test('writer: the catch-up is paced to the socket, live events wait for it, then go straight through', async (t) => {
  const registry = new Registry()
  const hub = new StreamHub({ bufferBytes: 4096, registry })
  const s = new FakeSocket()
  s.accepting = false
  // A snapshot 50 times the buffer: 3,000 units of ~100 bytes.
  const units = Array.from({ length: 3000 }, (_, i) => ({ id: `U-${i}`, name: 'x'.repeat(80) }))
  hub.subscribe(s, all, undefined, () => ({ units }))
  t.equal(s.chunks.length, 1, 'the retry line, then it waits for the socket to drain')
  hub.publish('alert', { n: 1 })
  let drains = 0
  while (!s.events().some((e) => e.event === 'alert') && drains < 1000) {
    drains++
    s.emit('drain')
  }
  t.ok(drains >= 4, `the snapshot went out in pieces, each after a drain (${drains})`)
  t.ok(s.chunks.slice(1, -1).every((c) => c.length < 70 * 1024), 'no piece is much larger than 64 KiB')
  const ev = s.events()
  t.same(ev.map((e) => e.event), ['snapshot', 'alert'], 'the snapshot whole, then the alert held during it')
  t.same((ev[0]!.data as { units: unknown[] }).units, units)
  t.equal(hub.clientCount, 1)
  s.accepting = true
  hub.publish('alert', { n: 2 })
  t.equal(s.events().at(-1)!.event, 'alert', 'live: written at once')
  t.notMatch(await registry.metrics(), /dropped_clients_total\{/)
  hub.close()
  t.ok(s.ended)
})

t.test('writer: live events past the bound during the catch-up drop the client without corrupting the snapshot', async (t) => {
  const registry = new Registry()
  const { logger, logs } = captureLogger('warn')
  const hub = new StreamHub({ bufferBytes: 4096, registry, logger })
  const s = new FakeSocket()
  s.accepting = false
  hub.subscribe(s, all, undefined, () => ({ units: Array.from({ length: 3000 }, (_, i) => ({ id: `U-${i}`, name: 'x'.repeat(80) })) }))
  s.emit('drain')
  t.equal(s.chunks.length, 2, 'the retry line and the first piece of the snapshot')
  for (let i = 0; i < 10; i++) hub.publish('alert', { n: i, pad: 'y'.repeat(500) })
  t.equal(hub.clientCount, 0, 'dropped once its held live events passed 4 KiB')
  t.ok(s.ended)
  t.notOk(s.chunks.some((c) => c.includes('event: overflow')), 'no notice in the middle of the snapshot event')
  const n = s.chunks.length
  s.emit('drain')
  hub.publish('alert', { n: 99 })
  s.emit('error', new Error('EPIPE'))
  s.emit('close')
  t.equal(s.chunks.length, n, 'nothing is written after the drop (the fake throws on a write after end)')
  t.match(await registry.metrics(), /hexpatrol_stream_dropped_clients_total\{reason="behind"\} 1\n/)
  t.equal(logs.length, 1, 'logged once')
  t.match(logs[0], { reason: 'behind', bufferBytes: 4096, msg: /fell behind/ })
  hub.close()
})

t.test('writer: a client that never reads its snapshot is dropped after the stall period, at the next event', async (t) => {
  const registry = new Registry()
  const clock = { now: 1000 }
  const hub = new StreamHub({ registry, now: () => clock.now })
  const s = new FakeSocket()
  s.accepting = false
  hub.subscribe(s, all, undefined, () => ({ units: Array.from({ length: 3000 }, (_, i) => ({ id: `U-${i}`, name: 'x'.repeat(80) })) }))
  s.emit('drain')
  clock.now += 59_000
  hub.publish('alert', { n: 1 })
  s.emit('drain')
  t.equal(hub.clientCount, 1, 'slow but moving: kept')
  clock.now += 60_001
  hub.publish('alert', { n: 2 })
  t.equal(hub.clientCount, 0, 'no piece written for over 60 s: dropped')
  t.ok(s.ended)
  t.match(await registry.metrics(), /hexpatrol_stream_dropped_clients_total\{reason="behind"\} 1\n/)
})

t.test('writer: a resumed backlog larger than the buffer is paced, not dropped', async (t) => {
  const hub = new StreamHub({ bufferBytes: 4096 })
  const first = new FakeSocket()
  hub.subscribe(first, all, undefined, () => ({}))
  const from = first.events()[0]!.id!
  for (let i = 0; i < 200; i++) hub.publish('alert', { n: i, pad: 'z'.repeat(200) })
  const s = new FakeSocket()
  s.accepting = false
  t.equal(hub.subscribe(s, all, from, () => ({ snap: true })).resumed, true)
  hub.publish('alert', { n: 200 })
  for (let i = 0; i < 1000 && s.events().length < 201; i++) s.emit('drain')
  t.same(s.events().map((e) => (e.data as { n: number }).n), Array.from({ length: 201 }, (_, i) => i), 'every missed event in order, then the live one')
  t.equal(hub.clientCount, 2)
  hub.close()
})

t.test('writer: socket errors, a failing snapshot and a dead socket are contained and counted', async (t) => {
  const registry = new Registry()
  const { logger, logs } = captureLogger('warn')
  const hub = new StreamHub({ registry, logger })
  const a = new FakeSocket()
  hub.subscribe(a, all, undefined, () => ({}))
  const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })
  a.emit('error', epipe)
  t.ok(a.destroyed)
  t.equal(hub.clientCount, 0)
  a.emit('error', new Error('a second error is absorbed too'))
  hub.publish('alert', { n: 1 })
  t.notOk(a.events().some((e) => e.event === 'alert'))

  const b = new FakeSocket()
  t.equal(hub.subscribe(b, all, undefined, () => { throw new Error('snapshot bug') }).resumed, false)
  t.ok(b.destroyed, 'a snapshot that throws closes that client only')
  t.equal(hub.clientCount, 0)

  const c = new FakeSocket()
  hub.subscribe(c, all, undefined, () => ({ bad: 1n }))
  t.ok(c.destroyed, 'a snapshot that cannot be serialised (a BigInt) closes the client')

  const d = new FakeSocket()
  d.write = () => { throw new Error('socket write threw') }
  hub.subscribe(d, all, undefined, () => ({}))
  t.ok(d.destroyed, 'a write that throws closes the client')

  const gone = new FakeSocket()
  gone.destroyed = true
  hub.subscribe(gone, all, undefined, () => ({}))
  t.same(gone.chunks, [], 'a response already closed gets nothing')
  const live = new FakeSocket()
  const { client } = hub.subscribe(live, all, undefined, () => ({}))
  live.emit('close')
  t.equal(hub.clientCount, 0, 'a client that hung up is forgotten, not counted as a drop')
  hub.unsubscribe(client)

  t.match(await registry.metrics(), /hexpatrol_stream_dropped_clients_total\{reason="error"\} 4\n/)
  t.same(logs.map((l) => l.reason), ['error', 'error', 'error', 'error'], 'each logged once')
  t.match(logs[0], { err: { message: 'write EPIPE' }, msg: /the engine carries on/ })
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: await registry.metrics(), encoding: 'utf8' })
  if (lint.error !== undefined) t.comment('promtool is not installed: the exposition was not linted')
  else t.equal(`${lint.stdout}${lint.stderr}`.trim(), '', 'promtool accepts the stream metrics')
  hub.close()
})

t.test('writer: once closed, every write is refused and counted, never reaching the socket', async (t) => {
  const s = new FakeSocket()
  const closes: CloseReason[] = []
  const w = new StreamWriter(s, { bufferBytes: 100, overflowNotice: () => 'event: overflow\ndata: {}\n\n', onClose: (r) => closes.push(r), graceMs: 1 })
  w.send(Buffer.from('event: early\ndata: 1\n\n'))
  w.start('retry: 2000\n\n', ['event: a\ndata: 1\n\n'])
  w.start('again\n\n', [])
  t.same(s.chunks, ['retry: 2000\n\n', 'event: a\ndata: 1\n\n', 'event: early\ndata: 1\n\n'], 'a second start() is ignored; a send before start() waits for the catch-up')
  t.equal(w.closed, false)
  s.writableLength = 500
  w.send('event: b\ndata: 2\n\n')
  t.equal(w.closed, true)
  t.equal(s.chunks.at(-1), 'event: overflow\ndata: {}\n\n', 'told at an event boundary')
  t.ok(s.ended)
  for (let i = 0; i < 3; i++) w.send('event: c\ndata: 3\n\n')
  w.close('error')
  s.emit('error', new Error('write after end'))
  t.equal(w.refused, 3)
  t.same(closes, ['behind'], 'closed once, for the first reason')
  await new Promise((r) => setTimeout(r, 20))
  t.ok(s.destroyed, 'an ended stream that does not flush is destroyed after the grace period')

  // A socket whose end() throws is destroyed instead; the throw goes nowhere.
  const e = new FakeSocket()
  e.end = () => { throw new Error('end threw') }
  const w2 = new StreamWriter(e, { bufferBytes: 100, overflowNotice: () => '', onClose: (r) => closes.push(r) })
  w2.start('', [])
  w2.close('closed')
  t.ok(e.destroyed)
  t.same(closes, ['behind', 'closed'])
})

t.test('hub: heartbeats carry the last id', async (t) => {
  const hub = new StreamHub({ heartbeatMs: 20, now: () => 42 })
  const s = new FakeSocket()
  const { client } = hub.subscribe(s, all, undefined, () => ({}))
  await new Promise((r) => setTimeout(r, 70))
  const hb = s.events().filter((e) => e.event === 'heartbeat')
  t.ok(hb.length >= 1)
  t.same(hb[0], { id: hub.lastId, event: 'heartbeat', data: { at: 42 } })
  hub.unsubscribe(client)
  hub.unsubscribe(client)
  hub.close()
})

interface SseClient { res: IncomingMessage; events: Array<{ id?: string; event?: string; data?: unknown }>; next(event: string, pred?: (d: any) => boolean, ms?: number): Promise<any>; close(): void }

function sse(base: string, path: string, headers: Record<string, string>): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseClient['events'] = []
      let buf = ''
      const waiters: Array<() => void> = []
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buf += chunk
        const i = buf.lastIndexOf('\n\n')
        if (i === -1) return
        events.push(...parseFrames(buf.slice(0, i + 2)))
        buf = buf.slice(i + 2)
        for (const w of waiters.splice(0)) w()
      })
      const client: SseClient = {
        res,
        events,
        next: (event, pred = () => true, ms = 10_000) => new Promise((ok, fail) => {
          const deadline = setTimeout(() => fail(new Error(`no ${event} event within ${ms} ms`)), ms)
          const check = () => {
            const e = events.find((x) => x.event === event && pred(x.data))
            if (e !== undefined) {
              clearTimeout(deadline)
              ok(e)
            } else {
              waiters.push(check)
            }
          }
          check()
        }),
        close: () => req.destroy(),
      }
      resolve(client)
    })
    req.on('error', reject)
    req.end()
  })
}

t.test('SSE over HTTP: auth, snapshot, positions, coverage, alerts, Last-Event-ID, slow client dropped', async (t) => {
  const registry = new Registry()
  const { logger, logs } = captureLogger('warn')
  const hub = new StreamHub({ bufferBytes: 1024 * 1024, registry, logger })
  const x = await rig({ config: testConfig({ rules: { tick: '1s', allowed_lateness: '0s' } }), ctx: { stream: hub, now: () => x.clock.now } })
  x.clock.now = Date.now()
  await x.app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => x.app.close())
  const base = `http://127.0.0.1:${(x.app.server.address() as { port: number }).port}`

  const denied = await sse(base, '/api/v1/stream', {})
  t.equal(denied.res.statusCode, 401)
  denied.close()

  const cookie = String((await x.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: 'read-token-0123456789' } })).headers['set-cookie']).split(';')[0]!
  const a = await sse(base, '/api/v1/stream?types=positions,alerts,coverage', { cookie })
  t.equal(a.res.statusCode, 200)
  t.match(a.res.headers['content-type'], /text\/event-stream/)
  t.equal(a.res.headers['x-content-type-options'], 'nosniff', 'security headers on the stream too')
  const snap = await a.next('snapshot')
  t.same(snap.data.units.map((u: { id: string }) => u.id).sort(), ['O-2', 'P-1'])
  t.same(snap.data.zones.map((z: { id: string }) => z.id), ['g1'])
  t.same(snap.data.alerts, [])
  const onlyG2 = await sse(base, '/api/v1/stream?zone=g2', as('read'))
  t.same((await onlyG2.next('snapshot')).data, { units: [], alerts: [], zones: [] }, 'the zone filter applies to the snapshot')

  // Five fixes within a second: at most one position event for P-1 in that second.
  for (let i = 0; i < 5; i++) x.ingest(fix('P-1', x.clock.now - 1000 + i * 100, 36.49 + i * 0.00001, 117.86))
  const pos = await a.next('position', (d) => d.id === 'P-1')
  t.equal(pos.data.lastFix.lat.toFixed(5), '36.49004', 'the latest of the burst')
  t.equal(a.events.filter((e) => e.event === 'position').length, 1)
  const cov = await a.next('coverage', (d) => d.changed.length > 0)
  t.equal(cov.data.zone, 'g1')
  t.ok(cov.data.changed.length >= 1, 'the visited cells are listed')
  t.ok(cov.data.changed.every((c: { lastVisit: number | null }) => c.lastVisit !== null))

  hub.publish('alert', { eventId: 'al_1.opened', zoneId: 'g1' }, { zone: 'g1' })
  hub.publish('incident', { id: 'inc-1' })
  const al = await a.next('alert')
  t.equal(al.data.eventId, 'al_1.opened')
  t.notOk(a.events.some((e) => e.event === 'incident'), 'types not asked for are not sent')
  t.notOk(onlyG2.events.some((e) => e.event === 'alert'), 'another zone\'s alert is not sent')
  onlyG2.close()

  // Reconnect with Last-Event-ID: what was published meanwhile, no snapshot.
  const lastId = al.id as string
  a.close()
  hub.publish('alert', { eventId: 'al_2.opened' })
  hub.publish('alert', { eventId: 'al_3.opened' })
  const back = await sse(base, '/api/v1/stream?types=alerts', { cookie, 'last-event-id': lastId })
  await back.next('alert', (d) => d.eventId === 'al_3.opened')
  t.same(back.events.map((e) => (e.data as { eventId: string }).eventId), ['al_2.opened', 'al_3.opened'])
  t.notOk(back.events.some((e) => e.event === 'snapshot'))

  // A client that connects and then never reads.
  const port = (x.app.server.address() as { port: number }).port
  const stuck = connect(port, '127.0.0.1')
  await new Promise((r) => stuck.once('connect', r))
  stuck.write(`GET /api/v1/stream?types=alerts HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer read-token-0123456789\r\n\r\n`)
  stuck.pause()
  await new Promise((r) => setTimeout(r, 200))
  t.equal(hub.clientCount, 2)
  const payload = 'x'.repeat(64 * 1024)
  const started = performance.now()
  for (let i = 0; i < 3000 && hub.clientCount > 1; i++) {
    hub.publish('alert', { eventId: `bulk.${i}`, payload })
    // Let the sockets flush so the reading client keeps up.
    await new Promise((r) => setImmediate(r))
  }
  const elapsed = performance.now() - started
  t.equal(hub.clientCount, 1, 'the stuck client was dropped')
  t.comment(`published until the stuck client was dropped in ${elapsed.toFixed(0)} ms`)
  hub.publish('alert', { eventId: 'after.drop' })
  await back.next('alert', (d) => d.eventId === 'after.drop')
  t.pass('the reading client still gets every event')
  t.match(await registry.metrics(), /hexpatrol_stream_dropped_clients_total\{reason="behind"\} 1\n/, 'the drop is counted once')
  t.same(logs.filter((l) => /live-stream/.test(String(l.msg))).map((l) => l.reason), ['behind'], 'and logged once')
  stuck.destroy()
  back.close()
})

t.test('the stream survives without an engine: an empty snapshot, then live events, and the client is released on disconnect', async (t) => {
  const x = await rig({ ctx: { engine: undefined } })
  await x.app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => x.app.close())
  const c = await sse(`http://127.0.0.1:${(x.app.server.address() as { port: number }).port}`, '/api/v1/stream', as('read'))
  const snap = await c.next('snapshot')
  t.same(snap.data, { units: [], alerts: [], zones: [] })
  t.equal(snap.id, x.ctx.stream.lastId, 'the snapshot carries the newest id, so resuming from it loses nothing')
  t.equal(x.ctx.stream.clientCount, 1)
  x.ctx.stream.publish('incident', { id: 'inc-9' })
  t.equal((await c.next('incident')).data.id, 'inc-9', 'other stages\' events flow without an engine')
  c.close()
  await waitFor(() => x.ctx.stream.clientCount === 0, 10_000, 10)
  t.equal(x.ctx.stream.clientCount, 0, 'a client that hung up is forgotten')
})
