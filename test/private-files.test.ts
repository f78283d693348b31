// Private files whatever the umask: the writers set the modes themselves (the CLI also sets the
// umask to 077, test/integration/file-modes.test.ts checks a whole data directory after a run).
import t from 'tap'
import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensurePrivateDir, usePrivateUmask, writePrivateFileAtomic } from '../src/private-files.js'
import { instanceId } from '../src/instance-id.js'
import { tempDir } from './helpers/harness.js'

const mode = (p: string) => statSync(p).mode & 0o777

t.test('with an open umask, files are still 0600 and directories 0700', async (t) => {
  const old = process.umask(0o022)
  t.teardown(() => { process.umask(old) })
  const dir = join(tempDir('hexp-private-'), 'a', 'b')
  ensurePrivateDir(dir)
  t.equal(mode(dir), 0o700)
  const f = join(dir, 'state.json')
  // A temporary file left 0644 by a crash is not renamed into place with its old mode.
  writeFileSync(`${f}.tmp`, 'old', { mode: 0o644 })
  writePrivateFileAtomic(f, '{"v":1}')
  t.equal(mode(f), 0o600)
  const data = tempDir('hexp-private-')
  const id = instanceId(data)
  t.match(id, /^[a-f0-9]{16}$/)
  t.equal(mode(join(data, 'instance-id')), 0o600)
  t.equal(instanceId(data), id, 'read back, not made again')
})

t.test('usePrivateUmask: new files 0600, new directories 0700', async (t) => {
  const old = usePrivateUmask()
  t.teardown(() => { process.umask(old) })
  t.equal(process.umask(), 0o077)
  const dir = tempDir('hexp-private-')
  writeFileSync(join(dir, 'x'), 'x')
  t.equal(mode(join(dir, 'x')), 0o600)
})
