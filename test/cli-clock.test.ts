// HEXPATROL_CLOCK_OFFSET_MS (test only): main() runs the engine on a shifted clock, says so in
// the log, and the bulletin schedule follows that clock.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { stringify } from 'yaml'
import { main, type MainIo } from '../src/cli.js'
import { tempDir } from './helpers/harness.js'
import { freePort } from './helpers/mosquitto.js'

t.test('the engine runs on the shifted clock', async (t) => {
  const dir = tempDir('hexp-cli-clock-')
  const path = join(dir, 'hexpatrol.yaml')
  writeFileSync(path, stringify({ data_dir: dir, log_level: 'info', http: { host: '127.0.0.1', port: await freePort() }, broker: { port: 0 }, reports: { timezone: 'UTC', daily_at: '08:00' } }))
  const logs: string[] = []
  const signals = new Map<string, () => void>()
  let exited!: (c: number) => void
  const exit = new Promise<number>((resolve) => { exited = resolve })
  const offset = -40 * 86_400_000
  const io: MainIo = {
    argv: ['--config', path],
    env: { HEXPATROL_CLOCK_OFFSET_MS: String(offset) },
    stdout: { write: () => true },
    stderr: { write: () => true },
    exit: (c) => exited(c),
    onSignal: (s, h) => signals.set(s, h),
    logDestination: new Writable({ write(chunk: Buffer, _e, cb) { logs.push(chunk.toString()); cb() } }),
  }
  const before = Date.now()
  t.ok(await main(io), 'running')
  const lines = logs.map((l) => JSON.parse(l) as { msg: string; offsetMs?: number; nextAt?: string })
  t.equal(lines.find((l) => /shifted clock/.test(l.msg))?.offsetMs, offset, 'the shift is logged')
  const next = Date.parse(lines.find((l) => l.msg === 'Bulletin schedule running.')!.nextAt!)
  t.ok(next > before + offset && next <= before + offset + 86_400_000 + 60_000, 'the next bulletin is due a day at most after the shifted now')
  signals.get('SIGTERM')!()
  t.equal(await exit, 0)
})
