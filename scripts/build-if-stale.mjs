// `npm start` runs this first: it builds (tsc + the map bundle) only when the sources changed since
// the last build, so a restart after a crash takes seconds instead of a full rebuild. "Changed" is
// a hash of the contents of every input of the build (src/, the tsconfigs, package-lock.json and
// the bundler script), kept beside the output in dist/.build-stamp; mtimes are not trusted (a git
// checkout or a copy changes them without changing the code).
// Usage: node scripts/build-if-stale.mjs   (exit code of the build when one runs)
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json', 'scripts/build-web.mjs']
const OUTPUTS = ['dist/main.js', 'dist/web/index.html']

function files (root, p) {
  const abs = join(root, p)
  if (!existsSync(abs)) return []
  try {
    return readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((e) => files(root, join(p, e.name)))
  } catch {
    return [p]
  }
}

/** A hash of the path and contents of every build input under root. */
export function sourceHash (root) {
  const h = createHash('sha256')
  for (const input of INPUTS) {
    for (const f of files(root, input)) h.update(relative(root, join(root, f))).update('\0').update(readFileSync(join(root, f))).update('\0')
  }
  return h.digest('hex')
}

/** Left in dist/web by a test build (build-web.mjs --probes): never served as it is. */
const TEST_BUILD = 'dist/web/TEST-BUILD-WITH-PROBES'

/** Whether dist/ holds a production build of exactly these sources. */
export function isCurrent (root, hash = sourceHash(root)) {
  const stamp = join(root, 'dist', '.build-stamp')
  return OUTPUTS.every((o) => existsSync(join(root, o))) && !existsSync(join(root, TEST_BUILD)) &&
    existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash
}

export function markBuilt (root, hash) {
  writeFileSync(join(root, 'dist', '.build-stamp'), `${hash}\n`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const hash = sourceHash(root)
  if (isCurrent(root, hash)) {
    process.stderr.write('hexpatrol: dist/ is a build of the current sources; starting without rebuilding\n')
  } else {
    process.stderr.write('hexpatrol: sources changed since the last build (or no build yet); building dist/ ...\n')
    const res = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' })
    if (res.status !== 0) process.exit(res.status ?? 1)
    markBuilt(root, hash)
  }
}
