// Private files whatever the umask: the writers set the modes themselves (the CLI also sets the
// umask to 077, test/integration/file-modes.test.ts checks a whole data directory after a run).
import t from 'tap'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensurePrivateDir, usePrivateUmask, writePrivateFileAtomic, writePrivateFileAtomicAsync, writePrivateFilesAtomic } from '../src/private-files.js'
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

t.test('a batch: every file replaced whole and 0600, no temporary left, directories synced once each', async (t) => {
  const old = process.umask(0o022)
  t.teardown(() => { process.umask(old) })
  const a = tempDir('hexp-private-')
  const b = tempDir('hexp-private-')
  writeFileSync(join(a, '1.json'), 'old', { mode: 0o644 })
  writePrivateFilesAtomic([{ file: join(a, '1.json'), data: '{"n":1}' }, { file: join(a, '2.json'), data: Buffer.from('{"n":2}') }, { file: join(b, '3.json'), data: '{"n":3}' }])
  t.same(['1.json', '2.json'].map((f) => readFileSync(join(a, f), 'utf8')), ['{"n":1}', '{"n":2}'])
  t.equal(readFileSync(join(b, '3.json'), 'utf8'), '{"n":3}')
  for (const f of [join(a, '1.json'), join(a, '2.json'), join(b, '3.json')]) {
    t.equal(mode(f), 0o600, f)
    t.notOk(existsSync(`${f}.tmp`), `${f}: no temporary left`)
  }
  writePrivateFilesAtomic([])
  t.throws(() => writePrivateFilesAtomic([{ file: join(a, 'missing', 'x.json'), data: 'x' }]), { code: 'ENOENT' }, 'a missing directory is an error, not a silent loss')
})

t.test('async: data or a writer streaming through the handle; 0600 whatever the umask', async (t) => {
  const old = process.umask(0o022)
  t.teardown(() => { process.umask(old) })
  const dir = tempDir('hexp-private-')
  const f = join(dir, 'base.jsonl')
  writeFileSync(`${f}.tmp`, 'left by a crash', { mode: 0o644 })
  await writePrivateFileAtomicAsync(f, 'one\n')
  t.equal(readFileSync(f, 'utf8'), 'one\n')
  t.equal(mode(f), 0o600)
  await writePrivateFileAtomicAsync(f, async (fh) => {
    await fh.write('a\n')
    await fh.write('b\n')
  })
  t.equal(readFileSync(f, 'utf8'), 'a\nb\n', 'replaced whole')
  t.notOk(existsSync(`${f}.tmp`))
  await t.rejects(writePrivateFileAtomicAsync(f, async () => { throw new Error('disk full') }), /disk full/)
  t.equal(readFileSync(f, 'utf8'), 'a\nb\n', 'a failed write leaves the old content')
})
