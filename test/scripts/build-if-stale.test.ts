// `npm start` rebuilds only when a build input changed: the stamp beside dist/ is a hash of the
// inputs' contents, so an unchanged tree starts at once and any edit (or a missing output) rebuilds.
import t from 'tap'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
// @ts-expect-error: a plain ES module script without type declarations
import { isCurrent, markBuilt, sourceHash } from '../../scripts/build-if-stale.mjs'
import { tempDir } from '../helpers/harness.js'

function tree () {
  const root = tempDir('hexp-build-')
  mkdirSync(join(root, 'src/api'), { recursive: true })
  mkdirSync(join(root, 'dist/web'), { recursive: true })
  mkdirSync(join(root, 'scripts'))
  writeFileSync(join(root, 'src/main.ts'), 'export {}\n')
  writeFileSync(join(root, 'src/api/server.ts'), 'export const a = 1\n')
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json', 'scripts/build-web.mjs']) writeFileSync(join(root, f), '{}\n')
  writeFileSync(join(root, 'dist/main.js'), '')
  writeFileSync(join(root, 'dist/web/index.html'), '')
  return root
}

t.test('a build of the current sources is current; any change to an input is not', async (t) => {
  const root = tree()
  t.equal(isCurrent(root), false, 'no stamp yet: build')
  markBuilt(root, sourceHash(root))
  t.equal(isCurrent(root), true, 'stamped with the sources\' hash: start without building')
  writeFileSync(join(root, 'src/api/server.ts'), 'export const a = 2\n')
  t.equal(isCurrent(root), false, 'a source edit: build')
  markBuilt(root, sourceHash(root))
  writeFileSync(join(root, 'src/api/new.ts'), '')
  t.equal(isCurrent(root), false, 'a new source file: build')
  markBuilt(root, sourceHash(root))
  writeFileSync(join(root, 'package-lock.json'), '{"v":2}\n')
  t.equal(isCurrent(root), false, 'new dependencies: build')
  markBuilt(root, sourceHash(root))
  rmSync(join(root, 'dist/web/index.html'))
  t.equal(isCurrent(root), false, 'an output is missing: build')
  writeFileSync(join(root, 'dist/web/index.html'), '')
  t.equal(isCurrent(root), true)
  writeFileSync(join(root, 'dist/web/TEST-BUILD-WITH-PROBES'), '')
  t.equal(isCurrent(root), false, 'a test build (with probes) is never started as it is: build')
})

t.test('the hash depends on contents and paths, not on file times', async (t) => {
  const a = tree()
  const b = tree()
  t.equal(sourceHash(a), sourceHash(b), 'same contents in another directory at another time: same hash')
  writeFileSync(join(b, 'src/renamed.ts'), 'export {}\n')
  rmSync(join(b, 'src/main.ts'))
  t.not(sourceHash(a), sourceHash(b), 'a renamed file changes the hash')
})
