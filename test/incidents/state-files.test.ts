// The incidents stage's state files: a missing file reads as null, an unreadable one too (logged),
// a write replaces it (0600, in a 0700 directory), and cluster mode writes nothing.
import t from 'tap'
import { existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { StateFiles } from '../../src/incidents/state-files.js'
import { captureLogger, tempDir } from '../helpers/harness.js'

t.test('read and write: missing is null, written is read back, private modes', async (t) => {
  const dir = join(tempDir(), 'incidents')
  const { logger } = captureLogger()
  const files = new StateFiles({ dir, logger, persist: true })
  files.prepare()
  t.equal(statSync(dir).mode & 0o777, 0o700)
  t.equal(files.read('levels.json'), null)
  files.write('levels.json', { version: 1, zones: ['Z1'] })
  t.same(files.read('levels.json'), { version: 1, zones: ['Z1'] })
  t.equal(statSync(join(dir, 'levels.json')).mode & 0o777, 0o600)
  files.write('levels.json', { version: 1, zones: [] })
  t.same(files.read('levels.json'), { version: 1, zones: [] }, 'replaced')
})

t.test('an unreadable file reads as null (logged)', async (t) => {
  const dir = tempDir()
  const { logger, logs } = captureLogger()
  writeFileSync(join(dir, 'plans.json'), '{ not json')
  t.equal(new StateFiles({ dir, logger, persist: true }).read('plans.json'), null)
  t.match(logs.at(-1), { level: 40, file: join(dir, 'plans.json'), msg: 'Incidents state file is unreadable; starting without it.' })
})

t.test('cluster mode (persist false): nothing is written', async (t) => {
  const dir = tempDir()
  const { logger } = captureLogger()
  new StateFiles({ dir, logger, persist: false }).write('dispatch.json', [])
  t.notOk(existsSync(join(dir, 'dispatch.json')))
})
