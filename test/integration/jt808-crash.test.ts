// Issue 22: kill -9 between a location and its answer. The real engine runs as a child process
// with the JT/T 808 gateway on. Case 1 (controlled): the terminal stops reading its socket, sends a
// location, waits until the engine reports the fix accepted (counted only after the journal append
// is durable) and the engine is killed before the terminal has read the 0x8001. Case 2: killed at
// once after sending. Case 3: killed at a random point in a pipelined stream. After each restart
// the terminal re-sends every report it did not read an answer for, as real terminals do; at the
// end ClickHouse holds every report exactly once.
import t from 'tap'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { createClient } from '@clickhouse/client'
import { engineProcess, type EngineProcess } from '../helpers/engine-process.js'
import { freePort } from '../helpers/mosquitto.js'
import { rows } from '../helpers/clickhouse.js'
import { tempDir, waitFor } from '../helpers/harness.js'
import { rng } from '../helpers/workload.js'
import { generalAnswer, Terminal, TerminalConnection, type LocationSpec } from '../helpers/jt808-terminal.js'
import { MsgId, Result } from '../../src/decode/jt808/bodies.js'

const PHONE = '013800000001'

t.test('kill -9 between a location and its answer: re-sent, stored once', { timeout: 120_000 }, async (t) => {
  const dataDir = tempDir('hexp-jt808-crash-')
  const port = await freePort()
  const engine = await engineProcess(dataDir, {
    jt808: { port },
    units: [{ id: 'car-1', jt808: PHONE }],
    journal: { fsync: 'never', segment_max_age: '100ms' },
  })
  t.teardown(() => engine.kill9())
  await engine.start()

  const term = new Terminal(PHONE)
  const base = Math.floor(Date.now() / 1000) * 1000 - 1_200_000
  let n = 0
  const next = (): LocationSpec => {
    const i = n++
    return { ts: base + i * 1000, lat: 22.5 + i * 1e-4, lon: 114.05 + i * 1e-4, speedKmh: 30 }
  }
  const sent: LocationSpec[] = []

  // Register once; the code survives the restarts.
  let c = await TerminalConnection.open(port)
  c.send(term.register())
  const code = (await c.answer(1)).body.toString('latin1', 3)
  const session = async (): Promise<TerminalConnection> => {
    const conn = await TerminalConnection.open(port)
    conn.send(term.auth(code))
    t.equal(generalAnswer(await conn.answer(1)).result, Result.Ok, 'authenticated')
    return conn
  }
  c.close()
  c = await session()

  /** Sends the reports, waits for every answer; returns how many answers there were before. */
  const sendAll = async (conn: TerminalConnection, ls: LocationSpec[]) => {
    const had = conn.answers.length
    for (const l of ls) conn.send(term.location(l))
    await conn.answer(had + ls.length, 30_000)
    const bad = conn.answers.slice(had).filter((a) => generalAnswer(a).msgId !== MsgId.Location || generalAnswer(a).result !== Result.Ok)
    t.equal(bad.length, 0, `${ls.length} reports answered OK`)
  }
  const restart = async (unanswered: LocationSpec[]) => {
    await engine.start()
    const conn = await session()
    const before = await engine.metric('hexpatrol_redelivered_fixes_dropped_total')
    await sendAll(conn, unanswered)
    return { conn, dropped: (await engine.metric('hexpatrol_redelivered_fixes_dropped_total')) - before }
  }

  // A few answered reports first.
  const first = Array.from({ length: 5 }, next)
  sent.push(...first)
  await sendAll(c, first)

  // Case 1: journaled, answer not read.
  const accepted = async () => engine.metric('hexpatrol_fixes_accepted_total')
  const a0 = await accepted()
  c.socket.pause()
  const l1 = next()
  sent.push(l1)
  c.send(term.location(l1))
  await waitFor(async () => (await accepted()) >= a0 + 1, 20_000, 5)
  await engine.kill9()
  t.equal(c.answers.length, 1 + first.length, 'the terminal read no answer to the journaled report')
  c.close()
  let r = await restart([l1])
  t.equal(r.dropped, 1, 'the re-sent report was recognised as already journaled')
  c = r.conn

  // Case 2: killed right after sending (before or after the append: either way stored once).
  const l2 = next()
  sent.push(l2)
  c.socket.pause()
  c.send(term.location(l2))
  await engine.kill9()
  c.close()
  r = await restart([l2])
  c = r.conn

  // Case 3: killed at a random point of a pipelined stream; every unread answer is re-sent.
  const rand = rng(808)
  const stream = Array.from({ length: 1000 }, next)
  sent.push(...stream)
  const had = c.answers.length
  let k = 0
  const pump = setInterval(() => {
    for (let j = 0; j < 10 && k < stream.length; j++) c.send(term.location(stream[k++]!))
  }, 5)
  await new Promise((res) => setTimeout(res, 50 + Math.floor(rand() * 200)))
  await engine.kill9()
  clearInterval(pump)
  // Answers are in order: the first `answered` reports were answered, the rest are re-sent.
  const answered = c.answers.length - had
  c.close()
  t.ok(answered < stream.length, `killed mid-stream (${answered} of ${stream.length} answered)`)
  r = await restart(stream.slice(answered))
  c = r.conn
  c.close()

  await quiet(engine)
  t.equal(await engine.stop(), 0, 'graceful stop exits 0')

  const { createChdbConnection } = createRequire(import.meta.url)('chdb/connection') as { createChdbConnection(o: { path: string }): unknown }
  const client = createClient({ connection: createChdbConnection({ path: join(dataDir, 'clickhouse') }) } as Parameters<typeof createClient>[0])
  t.teardown(() => client.close())
  const stored = await rows<{ ts: string | number; c: string | number }>(client,
    `SELECT toUnixTimestamp64Milli(ts) AS ts, count() AS c FROM hexpatrol.positions WHERE unit_id = 'car-1' GROUP BY ts`)
  const byTs = new Map(stored.map((s) => [Number(s.ts), Number(s.c)]))
  const missing = sent.filter((l) => !byTs.has(l.ts)).length
  const duplicated = [...byTs.values()].filter((x) => x > 1).length
  t.equal(missing, 0, 'no report lost')
  t.equal(duplicated, 0, 'no report stored twice')
  t.equal(byTs.size, sent.length, `exactly ${sent.length} positions`)
})

/** Nothing new accepted and the journal empty for 1.5 s in a row. */
async function quiet(engine: EngineProcess): Promise<void> {
  let last = -1
  let still = 0
  const deadline = Date.now() + 60_000
  while (still < 3 && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 500))
    const accepted = await engine.metric('hexpatrol_fixes_accepted_total')
    const bytes = await engine.metric('hexpatrol_journal_bytes')
    still = accepted === last && bytes === 0 ? still + 1 : 0
    last = accepted
  }
}
