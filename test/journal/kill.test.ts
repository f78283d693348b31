// The real thing: a child process appends in a tight loop and is killed with SIGKILL at a random
// moment. Every record it reported as appended must come back, in order, with no duplicates.
import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { checkSequence, openJournal, tempDir } from './fixtures/helpers.js'
import { childEnv } from '../helpers/child-env.js'

const fixture = fileURLToPath(new URL('./fixtures/appender.ts', import.meta.url))

function runAndKill(dir: string, fsync: string, target: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir, fsync], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() })
    let buffered = ''
    let reported = 0
    let stderr = ''
    let killed = false
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()! // a partial line is not a report yet
      for (const l of lines) reported = Math.max(reported, Number(l))
      if (!killed && reported >= target) {
        killed = true
        child.kill('SIGKILL')
      }
    })
    child.on('exit', (code, signal) => {
      clearTimeout(guard)
      if (!killed || signal !== 'SIGKILL') reject(new Error(`child exited on its own (code ${code}, reported ${reported}): ${stderr}`))
      else resolve(reported)
    })
  })
}

for (const fsync of ['never', 'interval', 'always']) {
  t.test(`SIGKILL while appending (fsync ${fsync}) loses nothing that was reported`, async (t) => {
    const dir = tempDir()
    // fsync=always pays a disk flush per record: a smaller target keeps the test quick on slow disks.
    const target = 200 + Math.floor(Math.random() * (fsync === 'always' ? 600 : 3000))
    const reported = await runAndKill(dir, fsync, target)
    t.ok(reported >= target, `child reported ${reported} appends before the kill`)

    const j = openJournal(dir)
    const records = j.pending().flatMap((s) => j.readSegment(s).map((b) => b.toString().split('|')[0]!))
    t.same(checkSequence(records, reported), [], `recovered ${records.length}, reported ${reported}`)
    t.ok(j.recovery.corrupt <= 1, 'at most one torn frame')

    // Control: the same check notices a record removed from the recovered data.
    const dropped = records.filter((_, i) => i !== Math.floor(records.length / 2))
    t.not(checkSequence(dropped, reported).length, 0)
    j.close()
  })
}
