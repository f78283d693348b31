// Issue 22, hostile load over TCP against the real engine (a child process, so its memory is its
// own): 2,000 idle connections, beyond jt808.max_connections, and a sub-package flood (thousands
// of parts of messages never finished) on one connection. The engine's RSS growth stays bounded,
// it does not crash, the excess connections are refused, the flooding connection is answered (or
// dropped cleanly), and a real terminal is still served and its fix stored.
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { engineProcess } from '../helpers/engine-process.js'
import { freePort } from '../helpers/mosquitto.js'
import { tempDir, waitFor } from '../helpers/harness.js'
import { generalAnswer, subPackageFrame, Terminal, TerminalConnection } from '../helpers/jt808-terminal.js'
import { MsgId, Result } from '../../src/decode/jt808/bodies.js'

const PHONE = '013800000001'
const IDLE = 2000
const MAX_CONNECTIONS = 1500
const FLOOD_PARTS = 20_000
/** Generous: the engine's RSS may grow by this much under both attacks together. */
const RSS_GROWTH_BOUND = 120 * 1024 * 1024

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m![1]) * 1024
}

async function served(t: Test, port: number, term: Terminal, code: string, ts: number): Promise<void> {
  const c = await TerminalConnection.open(port)
  c.send(term.auth(code))
  t.equal(generalAnswer(await c.answer(1, 30_000)).result, Result.Ok, 'the real terminal authenticates')
  c.send(term.location({ ts, lat: 22.54, lon: 114.05 }))
  t.same(generalAnswer(await c.answer(2, 30_000)).result, Result.Ok, 'and its location is answered')
  c.close()
}

t.test('2,000 idle connections and a sub-package flood: bounded, others served', { timeout: 180_000 }, async (t) => {
  const dataDir = tempDir('hexp-jt808-hostile-')
  const port = await freePort()
  const engine = await engineProcess(dataDir, {
    jt808: { port, max_connections: MAX_CONNECTIONS },
    units: [{ id: 'car-1', jt808: PHONE }],
    journal: { segment_max_age: '100ms' },
  })
  t.teardown(() => engine.kill9())
  await engine.start()
  const pid = engine.child!.pid!
  const term = new Terminal(PHONE)
  const reg = await TerminalConnection.open(port)
  reg.send(term.register())
  const code = (await reg.answer(1)).body.toString('latin1', 3)
  reg.close()
  const base = Math.floor(Date.now() / 1000) * 1000 - 60_000
  await served(t, port, term, code, base)
  const before = rss(pid)

  // Idle connections: opened, never a byte sent.
  const idle: Socket[] = []
  t.teardown(() => { for (const s of idle) s.destroy() })
  const closedByEngine = { n: 0 }
  for (let i = 0; i < IDLE; i += 100) {
    await Promise.all(Array.from({ length: 100 }, () => new Promise<void>((resolve) => {
      const s = connect({ port, host: '127.0.0.1' }, () => resolve())
      s.on('error', () => resolve())
      s.on('close', () => { closedByEngine.n++ })
      idle.push(s)
    })))
  }
  const connections = await waitFor(async () => {
    const n = await engine.metric('hexpatrol_jt808_connections')
    return n === MAX_CONNECTIONS ? n : undefined
  }, 30_000, 200)
  t.equal(connections, MAX_CONNECTIONS, 'the engine holds exactly max_connections')
  await waitFor(() => closedByEngine.n >= IDLE - MAX_CONNECTIONS, 30_000, 100)
  t.equal(closedByEngine.n, IDLE - MAX_CONNECTIONS, 'the excess connections were closed by the engine')
  t.ok((await engine.metric('hexpatrol_jt808_refused_total')) >= IDLE - MAX_CONNECTIONS, 'and counted')

  // Free a few slots for the flood and for the real terminal.
  for (const s of idle.splice(0, 10)) s.destroy()
  await waitFor(async () => (await engine.metric('hexpatrol_jt808_connections')) <= MAX_CONNECTIONS - 10, 30_000, 100)

  // A sub-package flood from an authenticated connection: parts of messages never finished.
  const flood = await TerminalConnection.open(port)
  flood.send(term.auth(code))
  t.equal(generalAnswer(await flood.answer(1, 30_000)).result, Result.Ok)
  const body = Buffer.alloc(900, 0x55)
  let serial = 1000
  for (let i = 0; i < FLOOD_PARTS; i++) {
    // 8 message ids (the engine holds at most 4 unfinished), 255 parts announced, never the last.
    const msgId = 0x0900 + (i % 8)
    flood.send(subPackageFrame(PHONE, msgId, serial++, 255, 1 + (i % 254), body))
    if (i % 500 === 499) await new Promise((res) => setTimeout(res, 5))
  }
  // The flood is answered (refusals) or the connection is dropped cleanly; either way the engine lives.
  await waitFor(async () => flood.closed || (await engine.metric('hexpatrol_jt808_frames_total')) >= FLOOD_PARTS, 60_000, 200)
  t.ok(flood.answers.every((a) => generalAnswer(a).result !== Result.Ok || generalAnswer(a).msgId === MsgId.Authenticate), 'no part of the flood was accepted')
  t.ok((await engine.metric('hexpatrol_jt808_refused_total')) > IDLE - MAX_CONNECTIONS, 'refused parts are counted')

  // The real terminal is still served while all of this is open.
  await served(t, port, term, code, base + 1000)
  const after = rss(pid)
  t.ok(after - before < RSS_GROWTH_BOUND, `engine RSS grew ${Math.round((after - before) / 1048576)} MiB (bound ${RSS_GROWTH_BOUND / 1048576} MiB)`)
  t.equal(engine.child!.exitCode, null, 'the engine did not crash')
  t.equal(engine.child!.signalCode, null)
  flood.close()
  t.equal((await engine.readyz())?.status, 200, 'ready throughout')
  t.equal(await engine.stop(), 0, 'graceful stop exits 0 with the idle connections open')
})
