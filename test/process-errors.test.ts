// The policy for errors nobody handled: a client connection's error (EPIPE, a write after end, …)
// is counted, logged (at most once a minute) and ignored; anything else is logged as fatal and
// stops the engine with exit 1, once. Then the same through main(), with a stand-in engine.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { Counter, Registry } from 'prom-client'
import { classifyUncaught, processErrorHandler } from '../src/process-errors.js'
import type { MainIo } from '../src/cli.js'
import { tempDir } from './helpers/harness.js'

const err = (code: string) => Object.assign(new Error(code), { code })

t.test('connection errors are ignored, anything else is fatal', async (t) => {
  for (const c of ['EPIPE', 'ECONNRESET', 'ECONNABORTED', 'ERR_STREAM_WRITE_AFTER_END', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_PREMATURE_CLOSE']) t.equal(classifyUncaught(err(c)), 'connection', c)
  for (const e of [new Error('bug'), err('ENOSPC'), err('ERR_INVALID_ARG_TYPE'), null, undefined, 'a string', { code: 42 }]) t.equal(classifyUncaught(e), 'fatal', String(e))
})

t.test('the handler counts connection errors, logs them at most once a period, and stops once on anything else', async (t) => {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = []
  const logger = { warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }), fatal: (obj: object, msg: string) => lines.push({ level: 'fatal', obj: obj as Record<string, unknown>, msg }) }
  let count = 0
  let fatals = 0
  let now = 0
  const h = processErrorHandler({ logger, counter: { inc: () => count++ }, fatal: () => fatals++, now: () => now, logEveryMs: 1000 })
  h(err('EPIPE'), 'uncaughtException')
  h(err('ERR_STREAM_WRITE_AFTER_END'), 'uncaughtException')
  now = 500
  h(err('ECONNRESET'), 'unhandledRejection')
  now = 1000
  h(err('EPIPE'), 'uncaughtException')
  t.equal(count, 4, 'every one counted')
  t.same(lines.map((l) => [l.level, l.obj.sinceLastLog]), [['warn', 0], ['warn', 2]], 'logged once per period, with how many went unlogged')
  t.equal(fatals, 0, 'none is fatal')
  h(new Error('a stage bug'), 'uncaughtException')
  h(new Error('another'), 'unhandledRejection')
  t.equal(fatals, 1, 'the engine is stopped once')
  t.same(lines.slice(2).map((l) => [l.level, l.obj.origin]), [['fatal', 'uncaughtException'], ['fatal', 'unhandledRejection']], 'each fatal error is logged')
  t.match(lines[2]!.msg, /exit 1/)
  const h2 = processErrorHandler({ logger, counter: { inc: () => count++ }, fatal: () => fatals++ })
  h2(err('EPIPE'), 'uncaughtException')
  t.equal(lines.length, 5, 'the default clock and period')
})

t.test('main() installs the policy: a connection error leaves the engine running, a bug stops it with exit 1', async (t) => {
  let stops = 0
  const registry = new Registry()
  const counter = new Counter({ name: 'hexpatrol_uncaught_connection_errors_total', help: 'h', registers: [registry] })
  const { main, EXIT } = await t.mockImport<typeof import('../src/cli.js')>('../src/cli.js', {
    '../src/engine.js': {
      Engine: class {
        metrics = { uncaughtConnectionErrors: counter }
        async start() {}
        async stop() { stops++ }
      },
    },
  })
  const dir = tempDir()
  const path = join(dir, 'hexpatrol.yaml')
  writeFileSync(path, `data_dir: ${JSON.stringify(dir)}\n`)
  let handler: ((err: unknown, origin: string) => void) | undefined
  const logs: string[] = []
  let resolveExit!: (c: number) => void
  const exited = new Promise<number>((resolve) => { resolveExit = resolve })
  const io: MainIo = {
    argv: ['--config', path],
    env: {},
    stdout: { write: () => true },
    stderr: { write: () => true },
    exit: (c) => resolveExit(c),
    onSignal: () => undefined,
    onProcessError: (h) => { handler = h },
    logDestination: new Writable({ write(chunk: Buffer, _e, cb) { logs.push(chunk.toString()); cb() } }),
  }
  t.ok(await main(io), 'running')
  t.ok(handler, 'the policy is installed')
  handler!(err('ERR_STREAM_WRITE_AFTER_END'), 'uncaughtException')
  t.equal((await counter.get()).values[0]?.value, 1, 'counted')
  t.equal(stops, 0, 'the engine keeps running')
  handler!(new TypeError('x is undefined'), 'uncaughtException')
  t.equal(await exited, EXIT.failed)
  t.equal(stops, 1, 'stopped (flushing what it holds) before the exit')
  t.match(logs.join(''), /"level":60.*x is undefined.*Unexpected error outside any handler/)
})
